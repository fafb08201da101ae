"""Secrets Manager: the version labelled AWSCURRENT is the one read by default, and moving labels
keeps the others.

AWS: ``GetSecretValue`` without ``VersionId`` / ``VersionStage`` returns the ``AWSCURRENT`` version;
``UpdateSecretVersionStage`` moving ``AWSCURRENT`` makes the target version the one returned (and
moves ``AWSPREVIOUS`` to the version it left); ``PutSecretValue`` of a new current value moves
``AWSCURRENT`` and ``AWSPREVIOUS`` and leaves every other label where it was. moto 5.2.5 reads a
"default version" that ``UpdateSecretVersionStage`` never changes (after a rotation's promotion the
old value was still returned), and ``PutSecretValue`` replaced the old current version's labels with
``AWSPREVIOUS`` alone (an ``AWSPENDING`` or custom label on it was lost).
"""

from __future__ import annotations

from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend


def apply() -> None:
    original_update = SecretsManagerBackend.update_secret_version_stage

    def update_secret_version_stage(
        self, secret_id, version_stage, remove_from_version_id, move_to_version_id
    ):
        answer = original_update(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].default_version_id = move_to_version_id
        return answer

    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage

    def reset_default_version(self, secret_version: dict, version_id: str) -> None:
        for old in self.versions.values():
            for stage in ("AWSPREVIOUS", "AWSCURRENT"):
                if stage in old["version_stages"]:
                    old["version_stages"].remove(stage)
        if self.default_version_id and self.default_version_id in self.versions:
            self.versions[self.default_version_id]["version_stages"].append("AWSPREVIOUS")
        self.versions[version_id] = secret_version
        self.default_version_id = version_id

    FakeSecret.reset_default_version = reset_default_version
