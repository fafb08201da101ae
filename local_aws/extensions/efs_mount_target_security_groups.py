"""EFS: mount-target security groups are checked, and default to the VPC's default group.

Real EFS (botocore ``CreateMountTarget`` / ``ModifyMountTargetSecurityGroups``) refuses a
security group that does not exist or is not in the mount target's VPC
(``SecurityGroupNotFound``) and more than five (``SecurityGroupLimitExceeded``); a mount
target created without ``SecurityGroups`` gets the VPC's default security group, which
``DescribeMountTargetSecurityGroups`` then returns. moto 5.2.5 accepted any id on modify
and returned no groups at all for a mount target created without them.
"""

from __future__ import annotations

from moto.efs.exceptions import MountTargetNotFound, SecurityGroupLimitExceeded, SecurityGroupNotFound
from moto.efs.models import EFSBackend


def _check_groups(ec2_backend, vpc_id: str, group_ids: list[str]) -> None:
    if len(group_ids) > 5:
        raise SecurityGroupLimitExceeded(
            "The maximum number of security groups per interface has been reached."
        )
    for group_id in group_ids:
        group = ec2_backend.get_security_group_from_id(group_id)
        if group is None or group.vpc_id != vpc_id:
            raise SecurityGroupNotFound(group_id)


def apply() -> None:
    original_create = EFSBackend.create_mount_target
    original_modify = EFSBackend.modify_mount_target_security_groups

    def create_mount_target(self, file_system_id, subnet_id, ip_address=None, security_groups=None):
        try:
            vpc_id = self.ec2_backend.get_subnet(subnet_id).vpc_id
        except Exception:  # unknown subnet: moto's own SubnetNotFound follows
            vpc_id = None
        if vpc_id and security_groups:
            _check_groups(self.ec2_backend, vpc_id, security_groups)
        elif vpc_id:
            default = self.ec2_backend.get_default_security_group(vpc_id)
            security_groups = [default.id] if default is not None else security_groups
        return original_create(self, file_system_id, subnet_id, ip_address, security_groups)

    def modify_mount_target_security_groups(self, mount_target_id, security_groups):
        if mount_target_id not in self.mount_targets_by_id:
            raise MountTargetNotFound(mount_target_id)
        mount_target = self.mount_targets_by_id[mount_target_id]
        _check_groups(self.ec2_backend, mount_target.vpc_id, security_groups or [])
        return original_modify(self, mount_target_id, security_groups)

    EFSBackend.create_mount_target = create_mount_target
    EFSBackend.modify_mount_target_security_groups = modify_mount_target_security_groups
