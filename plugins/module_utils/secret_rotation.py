# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""secret_rotation's pure part: where a rotation stands, read from a secret's version stages, and
what a run does next.

A rotation keeps its state in Secrets Manager's own staging labels, so nothing else can lose it:

- ``idle``      no ``AWSPENDING`` version: nothing under way;
- ``pending``   the new value is stored as ``AWSPENDING`` (before anything uses it), ``AWSCURRENT``
                still the old one;
- ``promoted``  ``AWSCURRENT`` moved to the new value, ``AWSPENDING`` still on it until the run has
                rolled the services (and, for Redis, SET the token; for the Fernet key, re-encrypted).

A re-run finds a ``pending`` or ``promoted`` secret and finishes with the value already stored: a
second value is never generated while one is pending. The secrets of one kind (the JWT and API
secret keys) move in step, the first ("lead") one last, so the lead's state is the kind's.

The Fernet key's value is a comma-separated list (Airflow decrypts with every key and encrypts with
the first): a rotation stores ``new,old``; once ``airflow rotate-fernet-key`` has re-encrypted
everything the current version gets the label :data:`REENCRYPTED`, and a later run stores the new
key alone (dropping the old one).
"""

from __future__ import annotations

from datetime import datetime

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.managed_secret import generate

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"
REENCRYPTED = "AIRFLOW_ECS_REENCRYPTED"


def stages(versions: list[dict]) -> dict[str, dict]:
    """Staging label -> the ListSecretVersionIds entry that carries it."""
    return {stage: v for v in versions for stage in v.get("VersionStages", [])}


def state(versions: list[dict]) -> str:
    labelled = stages(versions)
    if PENDING not in labelled:
        return "idle"
    if CURRENT in labelled and labelled[PENDING]["VersionId"] == labelled[CURRENT]["VersionId"]:
        return "promoted"
    return "pending"


def age_days(created, now: datetime) -> float | None:
    """Days since ``created`` (a datetime, as botocore parses CreatedDate), unrounded."""
    if created is None:
        return None
    return (now - created).total_seconds() / 86400


def fernet_keys(value: str) -> list[str]:
    return [k.strip() for k in value.split(",") if k.strip()]


def next_value(spec: dict, current: str) -> str:
    """The value a rotation stores as AWSPENDING: a new one, or for a Fernet key the new key before
    the current one (``new,old``), or the first key alone when the current value still lists two."""
    if spec["generate"] != "fernet":
        return generate(spec["generate"], spec["length"])
    keys = fernet_keys(current)
    if len(keys) > 1:
        return keys[0]
    return ",".join([generate("fernet", 0), *keys])


def kind_action(rows: list[dict]) -> str:
    """What a run does for one kind, from its secrets' status rows (lead first)."""
    if any(r["state"] != "idle" for r in rows):
        return "resume"
    for r in rows:
        if r.get("keys", 1) > 1:
            return "drop_old_key" if r.get("reencrypted") else "reencrypt"
    if any(r["due"] for r in rows):
        return "rotate"
    return "none"


def reencrypts(rows: list[dict], action: str) -> bool:
    """Whether the run ends with ``airflow rotate-fernet-key``: a Fernet rotation (two keys stored),
    not the drop of the old key."""
    fernet = [r for r in rows if r.get("generate") == "fernet"]
    if not fernet or action in ("none", "drop_old_key"):
        return False
    if action == "rotate" or action == "reencrypt":
        return True
    return fernet[0].get("pending_keys", 1) > 1
