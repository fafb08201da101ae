"""EFS: file-system policy errors as real EFS gives them, and DeleteFileSystemPolicy.

botocore's ``PutFileSystemPolicy`` fails with ``InvalidPolicyException`` for a policy that is
not a JSON object with a ``Statement``, and Put/Describe fail with ``FileSystemNotFound`` for
an unknown file system; ``DeleteFileSystemPolicy`` (DELETE
/2015-02-01/file-systems/{FileSystemId}/policy) restores the default policy, after which
``DescribeFileSystemPolicy`` answers ``PolicyNotFound``. moto 5.2.5 stored any string,
answered HTTP 500 for an unknown file system and did not implement DeleteFileSystemPolicy.
"""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError
from moto.efs.models import EFSBackend
from moto.efs.responses import EFSResponse


class InvalidPolicyException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidPolicyException", message)


def apply() -> None:
    original_put = EFSBackend.put_file_system_policy
    original_describe = EFSBackend.describe_file_system_policy

    def put_file_system_policy(self, file_system_id, policy, bypass_policy_lockout_safety_check):
        self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        try:
            document = json.loads(policy or "")
        except ValueError:
            raise InvalidPolicyException("The policy is not valid JSON.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise InvalidPolicyException("The policy must be a JSON object with a Statement.")
        return original_put(self, file_system_id, policy, bypass_policy_lockout_safety_check)

    def describe_file_system_policy(self, file_system_id):
        self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        return original_describe(self, file_system_id)

    def delete_file_system_policy(self, file_system_id):
        _, found = self.describe_file_systems(file_system_id=file_system_id)
        found[0].file_system_policy = None

    def delete_file_system_policy_response(self):
        self.efs_backend.delete_file_system_policy(self._get_param("FileSystemId"))
        return "", {"status": 200, "Content-Type": "application/json"}

    EFSBackend.put_file_system_policy = put_file_system_policy
    EFSBackend.describe_file_system_policy = describe_file_system_policy
    EFSBackend.delete_file_system_policy = delete_file_system_policy
    EFSResponse.delete_file_system_policy = delete_file_system_policy_response
