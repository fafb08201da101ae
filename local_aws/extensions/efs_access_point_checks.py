"""EFS: access points belong to an existing file system, and unknown ids are errors.

Per botocore, ``CreateAccessPoint`` and ``DescribeAccessPoints`` (by ``FileSystemId``) fail
with ``FileSystemNotFound`` when the file system does not exist, ``DescribeAccessPoints``
with both ``AccessPointId`` and ``FileSystemId`` is a ``BadRequest``, and
``DeleteAccessPoint`` of an unknown id fails with ``AccessPointNotFound``. moto 5.2.5
created access points on any id, listed none for a missing file system and deleted unknown
ids silently. (``PosixUser`` and ``RootDirectory.CreationInfo`` already round-trip.)
"""

from __future__ import annotations

from moto.efs.exceptions import AccessPointNotFound, BadRequest
from moto.efs.models import EFSBackend


def apply() -> None:
    original_create = EFSBackend.create_access_point
    original_describe = EFSBackend.describe_access_points
    original_delete = EFSBackend.delete_access_point

    def create_access_point(self, client_token, tags, file_system_id, posix_user, root_directory):
        self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        return original_create(self, client_token, tags, file_system_id, posix_user, root_directory)

    def describe_access_points(self, access_point_id, file_system_id):
        if access_point_id and file_system_id:
            raise BadRequest("Specify either AccessPointId or FileSystemId, not both.")
        if file_system_id:
            self.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        return original_describe(self, access_point_id, file_system_id)

    def delete_access_point(self, access_point_id):
        if access_point_id not in self.access_points:
            raise AccessPointNotFound(access_point_id)
        original_delete(self, access_point_id)
        self.tagging_service.delete_all_tags_for_resource(access_point_id)

    EFSBackend.create_access_point = create_access_point
    EFSBackend.describe_access_points = describe_access_points
    EFSBackend.delete_access_point = delete_access_point
