"""EFS: an encrypted file system reports its KMS key as the key's ARN.

``CreateFileSystem.KmsKeyId`` accepts a key id, key ARN, alias name or alias ARN; real EFS
resolves it and ``FileSystemDescription.KmsKeyId`` is always the key ARN. Without a
``KmsKeyId`` an encrypted file system uses the AWS managed key ``alias/aws/elasticfilesystem``
(its ARN is reported). moto 5.2.5 echoed whatever string was sent and reported no key for
the default. A key unknown to the emulator's KMS is kept as sent.
"""

from __future__ import annotations

from moto.efs.models import EFSBackend
from moto.kms.models import kms_backends

DEFAULT_ALIAS = "alias/aws/elasticfilesystem"


def apply() -> None:
    original_create = EFSBackend.create_file_system

    def create_file_system(self, *args, **kwargs):
        file_system = original_create(self, *args, **kwargs)
        if file_system.encrypted:
            wanted = file_system.kms_key_id or DEFAULT_ALIAS
            try:
                key = kms_backends[self.account_id][self.region_name].describe_key(wanted)
            except Exception:  # not a key this emulator knows: keep it as sent
                key = None
            if key is not None:
                file_system.kms_key_id = key.arn
        return file_system

    EFSBackend.create_file_system = create_file_system
