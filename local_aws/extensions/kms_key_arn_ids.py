"""KMS: ScheduleKeyDeletion and CancelKeyDeletion accept a key ARN.

Real AWS takes either the key id or the key ARN as ``KeyId`` of ScheduleKeyDeletion and
CancelKeyDeletion (botocore ``KeyIdType``: "key ID or key ARN"), and answers with the key ARN.
moto 5.2.5 validates the ARN but then indexes its key table with it, so the call fails with a 500
(``KeyError``); amazon.aws.kms_key with ``state: absent`` passes the ARN (playbooks/destroy.yml).
This resolves an ARN to the key id before the backend call.
"""

from __future__ import annotations

from moto.kms.models import KmsBackend


def apply() -> None:
    for name in ("schedule_key_deletion", "cancel_key_deletion"):
        original = getattr(KmsBackend, name)

        def resolved(self, key_id, *args, _original=original, **kwargs):
            return _original(self, KmsBackend.get_key_id(key_id), *args, **kwargs)

        setattr(KmsBackend, name, resolved)
