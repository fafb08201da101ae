"""EFS: PutBackupPolicy, and DescribeBackupPolicy that reflects it.

botocore's ``PutBackupPolicy`` (PUT /2015-02-01/file-systems/{FileSystemId}/backup-policy)
takes ``BackupPolicy.Status`` ENABLED or DISABLED and returns the ``BackupPolicyDescription``;
``DescribeBackupPolicy`` then returns that status. moto 5.2.5 answers PutBackupPolicy with
HTTP 500 and DescribeBackupPolicy only knows the ``Backup`` flag given at creation (and
fails with HTTP 500, not ``FileSystemNotFound``, for an unknown file system). A file system
that never had a policy still answers ``PolicyNotFound``, as moto did. Not emulated: the
transitional ENABLING / DISABLING states.
"""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError
from moto.efs.models import EFSBackend, FileSystem
from moto.efs.responses import EFSResponse


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def apply() -> None:
    def backup_policy(self):
        status = getattr(self, "_backup_status", None)
        if status:
            return {"Status": status}
        return {"Status": "ENABLED"} if self._backup else None

    def put_backup_policy(self, file_system_id: str, status: str | None) -> dict:
        if status not in ("ENABLED", "DISABLED"):
            raise ValidationException("BackupPolicy.Status must be ENABLED or DISABLED.")
        _, found = self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        found[0]._backup_status = status
        return found[0].backup_policy

    original_describe = EFSBackend.describe_backup_policy

    def describe_backup_policy(self, file_system_id: str):
        self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        return original_describe(self, file_system_id)

    def put_backup_policy_response(self):
        policy = self.efs_backend.put_backup_policy(
            self._get_param("FileSystemId"), (self._get_param("BackupPolicy") or {}).get("Status")
        )
        return json.dumps({"BackupPolicy": policy}), {"Content-Type": "application/json"}

    FileSystem.backup_policy = property(backup_policy)
    EFSBackend.put_backup_policy = put_backup_policy
    EFSBackend.describe_backup_policy = describe_backup_policy
    EFSResponse.put_backup_policy = put_backup_policy_response
