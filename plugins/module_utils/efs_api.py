# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""EFS reads and waits (boto3 calls with retries), shared by efs_file_system and efs_access_point.

Every function takes a client from ``common.retrying_client`` (calls pass ``aws_retry=True``).
Waits use ``common.poll`` (1 s doubling to 15 s, until a deadline).
"""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate, poll
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs import normalise_file_system

# File systems -----------------------------------------------------------------------------


def find_file_system(client, name: str) -> dict | None:
    """The file system whose creation token is ``name`` (None when there is none)."""
    found = paginate(client, "describe_file_systems", CreationToken=name).get("FileSystems", [])
    found = [fs for fs in found if fs.get("LifeCycleState") not in ("deleted", "deleting")]
    return found[0] if found else None


def read_file_system(client, file_system_id: str) -> dict | None:
    try:
        found = client.describe_file_systems(FileSystemId=file_system_id, aws_retry=True)["FileSystems"]
    except is_boto3_error_code("FileSystemNotFound"):
        return None
    return found[0] if found else None


def list_tags(client, resource_id: str) -> list:
    """ListTagsForResource, every page (the operation has no botocore paginator)."""
    tags, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = client.list_tags_for_resource(ResourceId=resource_id, aws_retry=True, **kwargs)
        tags.extend(page.get("Tags", []))
        token = page.get("NextToken")
        if not token:
            return tags


def backup_status(client, file_system_id: str) -> str | None:
    try:
        return client.describe_backup_policy(FileSystemId=file_system_id, aws_retry=True)["BackupPolicy"][
            "Status"
        ]
    except is_boto3_error_code("PolicyNotFound"):
        return None  # never set: automatic backups are off


def file_system_policy(client, file_system_id: str) -> str | None:
    try:
        return client.describe_file_system_policy(FileSystemId=file_system_id, aws_retry=True).get("Policy")
    except is_boto3_error_code("PolicyNotFound"):
        return None  # the default policy is in effect


def mount_targets(client, file_system_id: str) -> list:
    """DescribeMountTargets entries with their ``SecurityGroups`` (one read per mount target)."""
    found = paginate(client, "describe_mount_targets", FileSystemId=file_system_id).get("MountTargets", [])
    live = [m for m in found if m.get("LifeCycleState") not in ("deleting", "deleted")]
    for target in live:
        target["SecurityGroups"] = client.describe_mount_target_security_groups(
            MountTargetId=target["MountTargetId"], aws_retry=True
        ).get("SecurityGroups", [])
    return live


def read_state(client, fs: dict, region: str) -> dict:
    """The normalised view of ``fs`` with lifecycle, backup, policy, mount targets and tags."""
    fs_id = fs["FileSystemId"]
    lifecycle = client.describe_lifecycle_configuration(FileSystemId=fs_id, aws_retry=True).get(
        "LifecyclePolicies", []
    )
    return normalise_file_system(
        fs,
        region,
        lifecycle=lifecycle,
        backup_status=backup_status(client, fs_id),
        policy=file_system_policy(client, fs_id),
        mount_targets=mount_targets(client, fs_id),
        tags=list_tags(client, fs_id),
    )


def wait_file_system_available(client, file_system_id: str, timeout: float, sleep=time.sleep) -> dict:
    return poll(
        lambda: read_file_system(client, file_system_id),
        lambda fs: fs is not None and fs.get("LifeCycleState") == "available",
        timeout,
        f"EFS file system {file_system_id} to become available",
        failed=lambda fs: fs is not None and fs.get("LifeCycleState") == "error",
        sleep=sleep,
    )


def wait_file_system_deleted(client, file_system_id: str, timeout: float, sleep=time.sleep) -> None:
    poll(
        lambda: read_file_system(client, file_system_id),
        lambda fs: fs is None or fs.get("LifeCycleState") == "deleted",
        timeout,
        f"EFS file system {file_system_id} to be deleted",
        sleep=sleep,
    )


def _targets(client, file_system_id: str) -> list:
    return paginate(client, "describe_mount_targets", FileSystemId=file_system_id).get("MountTargets", [])


def wait_mount_targets_available(client, file_system_id: str, timeout: float, sleep=time.sleep) -> None:
    poll(
        lambda: _targets(client, file_system_id),
        lambda found: all(m.get("LifeCycleState") == "available" for m in found),
        timeout,
        f"mount targets of {file_system_id} to become available",
        failed=lambda found: any(m.get("LifeCycleState") == "error" for m in found),
        sleep=sleep,
    )


def wait_mount_targets_gone(client, file_system_id: str, ids: list, timeout: float, sleep=time.sleep) -> None:
    gone = set(ids)
    poll(
        lambda: _targets(client, file_system_id),
        lambda found: (
            not any(m["MountTargetId"] in gone and m.get("LifeCycleState") != "deleted" for m in found)
        ),
        timeout,
        f"mount targets {sorted(gone)} of {file_system_id} to be deleted",
        sleep=sleep,
    )


# Access points ----------------------------------------------------------------------------


def find_access_points(client, file_system_id: str, name: str) -> list:
    """The live access points of ``file_system_id`` whose Name tag is ``name``."""
    found = paginate(client, "describe_access_points", FileSystemId=file_system_id).get("AccessPoints", [])
    named = []
    for ap in found:
        ap_name = ap.get("Name") or next((t["Value"] for t in ap.get("Tags", []) if t["Key"] == "Name"), None)
        if ap_name == name and ap.get("LifeCycleState") not in ("deleting", "deleted"):
            named.append(ap)
    return named


def read_access_point(client, access_point_id: str) -> dict | None:
    try:
        found = client.describe_access_points(AccessPointId=access_point_id, aws_retry=True)["AccessPoints"]
    except is_boto3_error_code("AccessPointNotFound"):
        return None
    return found[0] if found else None


def wait_access_point_available(client, access_point_id: str, timeout: float, sleep=time.sleep) -> dict:
    return poll(
        lambda: read_access_point(client, access_point_id),
        lambda ap: ap is not None and ap.get("LifeCycleState") == "available",
        timeout,
        f"EFS access point {access_point_id} to become available",
        failed=lambda ap: ap is not None and ap.get("LifeCycleState") == "error",
        sleep=sleep,
    )
