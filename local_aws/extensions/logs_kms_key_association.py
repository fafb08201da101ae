"""CloudWatch Logs: AssociateKmsKey and DisassociateKmsKey.

botocore's ``AssociateKmsKeyRequest`` takes ``kmsKeyId`` (required) and either ``logGroupName`` or
``resourceIdentifier`` (a log group name or ARN); ``DisassociateKmsKeyRequest`` takes one of the
latter two. Real AWS sets (or clears) the key that encrypts the group's new log data, answers with
an empty body, raises ``ResourceNotFoundException`` for a missing group and
``InvalidParameterException`` when ``kmsKeyId`` is not a KMS key ARN (the API requires the ARN).
moto 5.2.5 does not implement either action (a 500); pathwai.airflow_ecs.cloudwatch_log_groups
calls AssociateKmsKey to repair a group whose key drifted.
"""

from __future__ import annotations

import re

from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse

KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:(?P<name>.+?)(?::\*)?$")


def _group(backend: LogsBackend, name: str | None, identifier: str | None):
    if not name and not identifier:
        raise InvalidParameterException("Either logGroupName or resourceIdentifier must be specified.")
    if not name:
        match = GROUP_ARN.match(identifier)
        name = match.group("name") if match else identifier
    if name not in backend.groups:
        raise ResourceNotFoundException("The specified log group does not exist.")
    return backend.groups[name]


def apply() -> None:
    def associate_kms_key(self) -> str:
        key = self._get_param("kmsKeyId")
        if not key or not KEY_ARN.match(key):
            raise InvalidParameterException(
                constraint="Member must be the ARN of a KMS key", parameter="kmsKeyId", value=key
            )
        group = _group(
            self.logs_backend, self._get_param("logGroupName"), self._get_param("resourceIdentifier")
        )
        group.kms_key_id = key
        return ""

    def disassociate_kms_key(self) -> str:
        group = _group(
            self.logs_backend, self._get_param("logGroupName"), self._get_param("resourceIdentifier")
        )
        group.kms_key_id = None
        return ""

    LogsResponse.associate_kms_key = associate_kms_key
    LogsResponse.disassociate_kms_key = disassociate_kms_key
