# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""EFS file systems and access points: normalise AWS shapes, compare desired with current.

Pure functions only (no AWS calls): ``efs_api`` reads and writes, the modules decide with these.
"""

from __future__ import annotations

import json

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import (
    resulting_tags,
    tag_changes,
    tags_dict,
    tags_list,
)

CREATE_ONLY = ("encrypted", "kms_key_id", "performance_mode", "availability_zone_name")
LIFECYCLE_KEYS = {
    "transition_to_ia": "TransitionToIA",
    "transition_to_primary_storage_class": "TransitionToPrimaryStorageClass",
    "transition_to_archive": "TransitionToArchive",
}


def dns_name(file_system_id: str, region: str) -> str:
    return f"{file_system_id}.efs.{region}.amazonaws.com"


def parse_policy(policy) -> dict | None:
    if policy is None or isinstance(policy, dict):
        return policy
    return json.loads(policy) if policy else None


def _canonical(value):
    """Policy documents compared as IAM reads them: a one-element list equals its element."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def same_policy(a: dict | None, b: dict | None) -> bool:
    return _canonical(a) == _canonical(b)


def lifecycle_from_aws(policies: list | None) -> dict:
    """DescribeLifecycleConfiguration's list -> {transition_to_ia: ..., ...} (None when unset)."""
    merged: dict = {}
    for entry in policies or []:
        merged.update(entry)
    return {key: merged.get(aws) for key, aws in LIFECYCLE_KEYS.items()}


def lifecycle_to_aws(lifecycle: dict) -> list:
    """{transition_to_ia: ...} -> the PutLifecycleConfiguration list (one policy per rule)."""
    return [{aws: lifecycle[key]} for key, aws in LIFECYCLE_KEYS.items() if lifecycle.get(key)]


def backup_enabled(status: str | None) -> bool:
    return status in ("ENABLED", "ENABLING")


def key_matches(current_arn: str | None, wanted: str | None) -> bool:
    """Whether a key given as id, key ARN or (already resolved) ARN is the file system's key."""
    if not wanted:
        return True
    if not current_arn:
        return False
    return current_arn == wanted or current_arn.endswith(f":key/{wanted}")


def normalise_file_system(
    fs: dict | None,
    region: str,
    lifecycle: list | None = None,
    backup_status: str | None = None,
    policy=None,
    mount_targets: list | None = None,
    tags: list | None = None,
) -> dict | None:
    """The comparable view of a file system (DescribeFileSystems entry plus its sub-resources).

    ``mount_targets`` entries are DescribeMountTargets entries with ``SecurityGroups`` added.
    """
    if not fs:
        return None
    mode = fs.get("ThroughputMode") or "bursting"
    return {
        "file_system_id": fs["FileSystemId"],
        "arn": fs.get("FileSystemArn"),
        "dns_name": dns_name(fs["FileSystemId"], region),
        "name": fs.get("CreationToken"),
        "life_cycle_state": fs.get("LifeCycleState"),
        "encrypted": bool(fs.get("Encrypted")),
        "kms_key_id": fs.get("KmsKeyId"),
        "performance_mode": fs.get("PerformanceMode"),
        "availability_zone_name": fs.get("AvailabilityZoneName"),
        "throughput_mode": mode,
        "provisioned_throughput_in_mibps": (
            fs.get("ProvisionedThroughputInMibps") if mode == "provisioned" else None
        ),
        "lifecycle": lifecycle_from_aws(lifecycle),
        "backup": backup_enabled(backup_status),
        "policy": parse_policy(policy),
        "mount_targets": sorted(
            (
                {
                    "mount_target_id": mt["MountTargetId"],
                    "subnet_id": mt["SubnetId"],
                    "availability_zone_name": mt.get("AvailabilityZoneName"),
                    "ip_address": mt.get("IpAddress"),
                    "life_cycle_state": mt.get("LifeCycleState"),
                    "security_groups": sorted(mt.get("SecurityGroups") or []),
                }
                for mt in mount_targets or []
            ),
            key=lambda m: m["subnet_id"],
        ),
        "tags": tags_dict(tags if tags is not None else fs.get("Tags")),
    }


def desired_tags(params: dict, current_tags: dict | None) -> dict:
    """Tags after the run: the Name tag is always the file system / access point name."""
    return {**resulting_tags(params, current_tags), "Name": params["name"]}


def desired_file_system(params: dict, current: dict | None, region: str) -> dict:
    """What the file system should look like after this run (unset options keep current values)."""
    base = dict(current or {})
    view = {
        "file_system_id": base.get("file_system_id"),
        "arn": base.get("arn"),
        "dns_name": base.get("dns_name"),
        "name": params["name"],
        "encrypted": True,
        "kms_key_id": base.get("kms_key_id") if current else params.get("kms_key_id"),
        "performance_mode": base.get("performance_mode") if current else params["performance_mode"],
        "availability_zone_name": (
            base.get("availability_zone_name") if current else params.get("availability_zone_name")
        ),
    }
    mode = params.get("throughput_mode") or base.get("throughput_mode") or "bursting"
    view["throughput_mode"] = mode
    if mode == "provisioned":
        mibps = params.get("provisioned_throughput_in_mibps")
        view["provisioned_throughput_in_mibps"] = (
            float(mibps) if mibps is not None else base.get("provisioned_throughput_in_mibps")
        )
    else:
        view["provisioned_throughput_in_mibps"] = None
    if params.get("lifecycle") is not None:
        view["lifecycle"] = {key: params["lifecycle"].get(key) for key in LIFECYCLE_KEYS}
    else:
        view["lifecycle"] = base.get("lifecycle") or lifecycle_from_aws([])
    view["backup"] = params["backup"] if params.get("backup") is not None else base.get("backup", False)
    view["policy"] = params["policy"] if params.get("policy") is not None else base.get("policy")
    if params.get("mount_targets") is not None:
        have = {m["subnet_id"]: m for m in base.get("mount_targets", [])}
        view["mount_targets"] = sorted(
            (
                {
                    **{k: v for k, v in have.get(t["subnet_id"], {}).items()},
                    "subnet_id": t["subnet_id"],
                    "security_groups": sorted(t.get("security_groups") or []),
                }
                for t in params["mount_targets"]
            ),
            key=lambda m: m["subnet_id"],
        )
    else:
        view["mount_targets"] = base.get("mount_targets", [])
    view["tags"] = desired_tags(params, base.get("tags"))
    return view


def create_only_conflicts(current: dict, params: dict, resolved_kms_key: str | None = None) -> list[str]:
    """Messages for settings that can only be chosen when the file system is created."""
    problems = []
    if not current["encrypted"]:
        problems.append(
            f"file system {current['file_system_id']} is not encrypted at rest; encryption can only be "
            "set at creation: create a new encrypted file system and migrate the data"
        )
    wanted_key = resolved_kms_key or params.get("kms_key_id")
    if wanted_key and not key_matches(current.get("kms_key_id"), wanted_key):
        problems.append(
            f"kms_key_id {params['kms_key_id']!r} differs from the file system's key "
            f"{current.get('kms_key_id')!r}; the key can only be chosen at creation"
        )
    if params.get("performance_mode") and params["performance_mode"] != current.get("performance_mode"):
        problems.append(
            f"performance_mode {params['performance_mode']!r} differs from "
            f"{current.get('performance_mode')!r}; it can only be chosen at creation"
        )
    wanted_az = params.get("availability_zone_name")
    if wanted_az and wanted_az != current.get("availability_zone_name"):
        problems.append(
            f"availability_zone_name {wanted_az!r} differs from "
            f"{current.get('availability_zone_name')!r}; One Zone placement is chosen at creation"
        )
    return problems


def plan_file_system(current: dict, desired: dict) -> dict:
    """The changes that turn ``current`` into ``desired`` ({} when equal), one key per API call.

    update_file_system: UpdateFileSystem parameters; lifecycle: PutLifecycleConfiguration list;
    backup: PutBackupPolicy status; policy: PutFileSystemPolicy document; mount_targets:
    {create: [{subnet_id, security_groups}], delete: [mount_target_id], security_groups:
    {mount_target_id: [groups]}}; tags: {set: {...}, remove: [...]}.
    """
    plan: dict = {}
    update: dict = {}
    if desired["throughput_mode"] != current["throughput_mode"]:
        update["ThroughputMode"] = desired["throughput_mode"]
    if desired["throughput_mode"] == "provisioned" and desired.get("provisioned_throughput_in_mibps") != (
        current.get("provisioned_throughput_in_mibps")
    ):
        update["ProvisionedThroughputInMibps"] = desired["provisioned_throughput_in_mibps"]
    if update:
        plan["update_file_system"] = update
    if desired["lifecycle"] != current["lifecycle"]:
        plan["lifecycle"] = lifecycle_to_aws(desired["lifecycle"])
    if desired["backup"] != current["backup"]:
        plan["backup"] = "ENABLED" if desired["backup"] else "DISABLED"
    if desired.get("policy") is not None and not same_policy(desired["policy"], current.get("policy")):
        plan["policy"] = desired["policy"]
    mounts = plan_mount_targets(current["mount_targets"], desired["mount_targets"])
    if mounts:
        plan["mount_targets"] = mounts
    to_set, to_remove = tag_changes(current["tags"], desired["tags"])
    if to_set or to_remove:
        plan["tags"] = {"set": to_set, "remove": to_remove}
    return plan


def plan_mount_targets(current: list, desired: list) -> dict:
    have = {m["subnet_id"]: m for m in current}
    want = {m["subnet_id"]: m for m in desired}
    create = [
        {"subnet_id": s, "security_groups": want[s]["security_groups"]} for s in sorted(want) if s not in have
    ]
    delete = sorted(have[s]["mount_target_id"] for s in have if s not in want)
    groups = {
        have[s]["mount_target_id"]: want[s]["security_groups"]
        for s in sorted(want)
        if s in have and sorted(have[s]["security_groups"]) != want[s]["security_groups"]
    }
    plan: dict = {}
    if create:
        plan["create"] = create
    if delete:
        plan["delete"] = delete
    if groups:
        plan["security_groups"] = groups
    return plan


def create_file_system_request(params: dict) -> dict:
    """The CreateFileSystem parameters for a new file system."""
    request = {
        "CreationToken": params["name"],
        "Encrypted": True,
        "PerformanceMode": params["performance_mode"],
        "Tags": tags_list(desired_tags(params, {})),
    }
    if params.get("kms_key_id"):
        request["KmsKeyId"] = params["kms_key_id"]
    if params.get("throughput_mode"):
        request["ThroughputMode"] = params["throughput_mode"]
        if params["throughput_mode"] == "provisioned":
            request["ProvisionedThroughputInMibps"] = float(params["provisioned_throughput_in_mibps"])
    if params.get("availability_zone_name"):
        request["AvailabilityZoneName"] = params["availability_zone_name"]
    if params.get("backup") is not None:
        request["Backup"] = bool(params["backup"])
    return request


# Access points ---------------------------------------------------------------------------


def _mode(permissions: str | None) -> int | None:
    return int(permissions, 8) if permissions else None


def normalise_access_point(ap: dict | None) -> dict | None:
    if not ap:
        return None
    posix = ap.get("PosixUser")
    root = ap.get("RootDirectory") or {}
    info = root.get("CreationInfo")
    tags = tags_dict(ap.get("Tags"))
    return {
        "access_point_id": ap["AccessPointId"],
        "arn": ap.get("AccessPointArn"),
        "file_system_id": ap["FileSystemId"],
        "name": ap.get("Name") or tags.get("Name"),
        "life_cycle_state": ap.get("LifeCycleState"),
        "path": root.get("Path") or "/",
        "posix_user": (
            {
                "uid": posix["Uid"],
                "gid": posix["Gid"],
                "secondary_gids": sorted(posix.get("SecondaryGids") or []),
            }
            if posix
            else None
        ),
        "creation_info": (
            {"owner_uid": info["OwnerUid"], "owner_gid": info["OwnerGid"], "permissions": info["Permissions"]}
            if info
            else None
        ),
        "tags": tags,
    }


def desired_access_point(params: dict, current: dict | None) -> dict:
    posix = params.get("posix_user")
    info = params.get("creation_info")
    base = dict(current or {})
    return {
        "access_point_id": base.get("access_point_id"),
        "arn": base.get("arn"),
        "file_system_id": params["file_system_id"],
        "name": params["name"],
        "path": params["path"],
        "posix_user": (
            {
                "uid": posix["uid"],
                "gid": posix["gid"],
                "secondary_gids": sorted(posix.get("secondary_gids") or []),
            }
            if posix
            else None
        ),
        "creation_info": (
            {
                "owner_uid": info["owner_uid"],
                "owner_gid": info["owner_gid"],
                "permissions": info["permissions"],
            }
            if info
            else None
        ),
        "tags": desired_tags(params, base.get("tags")),
    }


def access_point_differences(current: dict, desired: dict) -> list[str]:
    """The immutable settings that differ (path, posix_user, creation_info)."""
    differ = []
    if current["path"].rstrip("/") != desired["path"].rstrip("/"):
        differ.append("path")
    if current["posix_user"] != desired["posix_user"]:
        differ.append("posix_user")
    have, want = current["creation_info"], desired["creation_info"]
    if (have is None) != (want is None) or (
        have
        and want
        and (
            (have["owner_uid"], have["owner_gid"], _mode(have["permissions"]))
            != (want["owner_uid"], want["owner_gid"], _mode(want["permissions"]))
        )
    ):
        differ.append("creation_info")
    return differ


def create_access_point_request(params: dict) -> dict:
    desired = desired_access_point(params, None)
    root: dict = {"Path": desired["path"]}
    if desired["creation_info"]:
        info = desired["creation_info"]
        root["CreationInfo"] = {
            "OwnerUid": info["owner_uid"],
            "OwnerGid": info["owner_gid"],
            "Permissions": info["permissions"],
        }
    request = {
        "FileSystemId": params["file_system_id"],
        "RootDirectory": root,
        "Tags": tags_list(desired["tags"]),
    }
    if desired["posix_user"]:
        posix = desired["posix_user"]
        request["PosixUser"] = {"Uid": posix["uid"], "Gid": posix["gid"]}
        if posix["secondary_gids"]:
            request["PosixUser"]["SecondaryGids"] = posix["secondary_gids"]
    return request
