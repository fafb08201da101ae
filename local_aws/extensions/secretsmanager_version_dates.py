"""Secrets Manager: ListSecretVersionIds gives each version's own CreatedDate.

botocore's ``SecretVersionsListEntry`` has ``CreatedDate`` ("The date and time this version of the
secret was created"), which is how a reader tells how old the ``AWSCURRENT`` value is. moto 5.2.5
answers every version with the time of the request, so every secret looked freshly rotated. Here
each entry carries the time its version was created (``CreateSecret``, ``PutSecretValue``,
``UpdateSecret`` with a value); ``LastAccessedDate`` is left as moto gives it. Also answered as AWS
does: ``ResourceNotFoundException`` for a secret that does not exist (moto: HTTP 500).
"""

from __future__ import annotations

import json

from moto.secretsmanager.exceptions import SecretNotFoundException
from moto.secretsmanager.models import SecretsManagerBackend


def apply() -> None:
    original = SecretsManagerBackend.list_secret_version_ids

    def list_secret_version_ids(self, secret_id: str) -> str:
        if secret_id not in self.secrets:
            raise SecretNotFoundException()
        answer = json.loads(original(self, secret_id))
        versions = self.secrets[secret_id].versions
        for entry in answer["Versions"]:
            created = versions.get(entry["VersionId"], {}).get("createdate")
            if created is not None:
                entry["CreatedDate"] = created
        return json.dumps(answer)

    SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids
