"""EFS: UpdateFileSystem, and the throughput-mode rules CreateFileSystem enforces.

botocore's ``UpdateFileSystem`` (PUT /2015-02-01/file-systems/{FileSystemId}, 202) changes
``ThroughputMode`` (bursting | provisioned | elastic) and ``ProvisionedThroughputInMibps``
and returns the ``FileSystemDescription``. moto 5.2.5 answers HTTP 500 (not implemented).
Real EFS also refuses, with ``BadRequest``, a ``provisioned`` mode without
``ProvisionedThroughputInMibps``, a provisioned throughput with any other mode, and
``elastic`` on a ``maxIO`` file system; moto accepted all three at CreateFileSystem.
Not emulated: the ``updating`` state and the once-per-24-hours limit on decreasing
provisioned throughput or changing the throughput mode.
"""

from __future__ import annotations

import json

from moto.efs.exceptions import BadRequest
from moto.efs.models import EFSBackend
from moto.efs.responses import EFSResponse


def _check_throughput(mode: str | None, mibps, performance_mode: str | None) -> None:
    if mode == "provisioned" and mibps is None:
        raise BadRequest("ProvisionedThroughputInMibps is required when ThroughputMode is provisioned.")
    if mode != "provisioned" and mibps is not None:
        raise BadRequest("ProvisionedThroughputInMibps can only be set when ThroughputMode is provisioned.")
    if mode == "elastic" and performance_mode == "maxIO":
        raise BadRequest("Elastic throughput is not supported for file systems in Max I/O performance mode.")


def apply() -> None:
    original_create = EFSBackend.create_file_system

    def create_file_system(self, *args, **kwargs):
        _check_throughput(
            kwargs.get("throughput_mode") or "bursting",
            kwargs.get("provisioned_throughput_in_mibps"),
            kwargs.get("performance_mode") or "generalPurpose",
        )
        return original_create(self, *args, **kwargs)

    def update_file_system(self, file_system_id: str, throughput_mode, provisioned_throughput_in_mibps):
        _, found = self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        file_system = found[0]
        mode = throughput_mode or file_system.throughput_mode
        if mode == file_system.throughput_mode == "provisioned" and provisioned_throughput_in_mibps is None:
            provisioned_throughput_in_mibps = file_system.provisioned_throughput_in_mibps
        _check_throughput(mode, provisioned_throughput_in_mibps, file_system.performance_mode)
        file_system.throughput_mode = mode
        file_system.provisioned_throughput_in_mibps = provisioned_throughput_in_mibps
        return file_system

    def update_file_system_response(self):
        file_system = self.efs_backend.update_file_system(
            file_system_id=self._get_param("FileSystemId"),
            throughput_mode=self._get_param("ThroughputMode"),
            provisioned_throughput_in_mibps=self._get_param("ProvisionedThroughputInMibps"),
        )
        return json.dumps(file_system.info_json()), {"status": 202, "Content-Type": "application/json"}

    EFSBackend.create_file_system = create_file_system
    EFSBackend.update_file_system = update_file_system
    EFSResponse.update_file_system = update_file_system_response
