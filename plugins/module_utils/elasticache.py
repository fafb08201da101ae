# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ElastiCache: normalise what AWS returns and compare it with what is wanted (pure functions, no
AWS call; ``elasticache_api`` waits), shared by the parameter-group and replication-group modules.

Nothing here ever sees or returns an AUTH token except ``create_request``, whose result goes
straight to CreateReplicationGroup.
"""

from __future__ import annotations

import re

# ModifyCacheParameterGroup / ResetCacheParameterGroup take at most 20 parameters per request.
MAX_PARAMETERS_PER_CALL = 20
GROUP_ID = re.compile(r"[a-z](?!.*--)[a-z0-9-]{0,39}")
AUTH_TOKEN = re.compile(r"[!#-.0-?A-~]{16,128}")  # printable ASCII without space, ", / and @
# Fields of a replication group that AWS cannot change in place.
IMMUTABLE = {
    "transit_encryption_enabled": "transit encryption",
    "at_rest_encryption_enabled": "at-rest encryption",
    "kms_key_id": "the KMS key",
    "cache_subnet_group_name": "the cache subnet group",
    "port": "the port",
    "auth_token_enabled": "AUTH (this module neither enables nor rotates AUTH tokens in place)",
}
# Fields left out of the diff: they describe the live group, not what is wanted.
LIVE_ONLY = ("status", "arn", "primary_endpoint", "reader_endpoint", "member_clusters")


# ---------------------------------------------------------------- tags


def wanted_tags(have: dict, want: dict | None, purge: bool) -> dict:
    if want is None:
        return dict(have)
    merged = {} if purge else dict(have)
    merged.update({k: str(v) for k, v in want.items()})
    return merged


# ---------------------------------------------------------------- parameter groups


def parameter_value(value) -> str:
    """AWS's string form of a parameter value (YAML ``yes``/``true`` become Redis's ``yes``)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def user_parameters(parameters: list[dict]) -> dict:
    """{name: value} of the parameters set by the user (Source ``user``)."""
    return {p["ParameterName"]: p.get("ParameterValue", "") for p in parameters if p.get("Source") == "user"}


def _allowed(parameter: dict, value: str) -> bool:
    allowed = parameter.get("AllowedValues")
    if not allowed:
        return True
    if parameter.get("DataType") != "integer":
        return value in allowed.split(",")
    if not re.fullmatch(r"-?\d+", value):
        return False
    number = int(value)
    for part in allowed.split(","):
        low, sep, high = part.partition("-") if not part.startswith("-") else ("", "-", part[1:])
        if not sep and low and number == int(low):
            return True
        if sep and (not low or number >= int(low)) and (not high or number <= int(high)):
            return True
    return False


def parameter_changes(current: list[dict], desired: dict | None, purge: bool) -> tuple[dict, list, list]:
    """Compare DescribeCacheParameters output with the wanted {name: value}.

    Returns (``{name: value}`` to modify, names to reset to the default, error messages). A
    parameter whose effective value already equals the wanted one is not a change, whatever its
    Source. With ``purge``, user-set parameters not wanted are reset.
    """
    by_name = {p["ParameterName"]: p for p in current}
    wanted = {k: parameter_value(v) for k, v in (desired or {}).items()}
    errors = []
    modify = {}
    for name, value in sorted(wanted.items()):
        parameter = by_name.get(name)
        if parameter is None:
            errors.append(f"{name}: not a parameter of this family")
            continue
        if parameter.get("ParameterValue", "") == value:
            continue
        if not parameter.get("IsModifiable", True):
            errors.append(f"{name}: not modifiable")
        elif not _allowed(parameter, value):
            errors.append(f"{name}: {value!r} is not one of {parameter.get('AllowedValues')}")
        else:
            modify[name] = value
    reset = []
    if purge and desired is not None:
        reset = sorted(n for n in user_parameters(current) if n not in wanted)
    return modify, reset, errors


def chunks(items: list, size: int = MAX_PARAMETERS_PER_CALL) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def normalise_parameter_group(group: dict | None, parameters: list[dict], tags: dict) -> dict | None:
    if not group:
        return None
    return {
        "name": group["CacheParameterGroupName"],
        "family": group["CacheParameterGroupFamily"],
        "description": group.get("Description", ""),
        "arn": group.get("ARN"),
        "parameters": user_parameters(parameters),
        "tags": tags,
    }


# ---------------------------------------------------------------- replication groups


def normalise_group(group: dict | None, cluster: dict | None, tags: dict) -> dict | None:
    """The comparable view of a replication group (DescribeReplicationGroups) and its primary
    cache cluster (DescribeCacheClusters), which alone reports engine version, parameter group,
    subnet group, security groups and maintenance window."""
    if not group:
        return None
    cluster = cluster or {}
    node_group = (group.get("NodeGroups") or [{}])[0]
    primary = node_group.get("PrimaryEndpoint") or {}
    reader = node_group.get("ReaderEndpoint") or {}
    members = list(group.get("MemberClusters") or [])
    return {
        "replication_group_id": group["ReplicationGroupId"],
        "description": group.get("Description", ""),
        "status": group.get("Status"),
        "arn": group.get("ARN"),
        "engine": group.get("Engine") or cluster.get("Engine") or "redis",
        "engine_version": cluster.get("EngineVersion"),
        "node_type": group.get("CacheNodeType"),
        "replicas_per_node_group": max(len(members) - 1, 0),
        "cache_parameter_group_name": (cluster.get("CacheParameterGroup") or {}).get(
            "CacheParameterGroupName"
        ),
        "cache_subnet_group_name": cluster.get("CacheSubnetGroupName"),
        "security_group_ids": sorted(g["SecurityGroupId"] for g in cluster.get("SecurityGroups") or []),
        "port": primary.get("Port"),
        "transit_encryption_enabled": bool(group.get("TransitEncryptionEnabled")),
        "at_rest_encryption_enabled": bool(group.get("AtRestEncryptionEnabled")),
        "kms_key_id": group.get("KmsKeyId"),
        "auth_token_enabled": bool(group.get("AuthTokenEnabled")),
        "automatic_failover_enabled": group.get("AutomaticFailover") in ("enabled", "enabling"),
        "multi_az_enabled": group.get("MultiAZ") == "enabled",
        "snapshot_retention_limit": group.get("SnapshotRetentionLimit") or 0,
        "snapshot_window": group.get("SnapshotWindow"),
        "preferred_maintenance_window": cluster.get("PreferredMaintenanceWindow"),
        "primary_endpoint": {"address": primary["Address"], "port": primary.get("Port")} if primary else None,
        "reader_endpoint": {"address": reader["Address"], "port": reader.get("Port")} if reader else None,
        "member_clusters": members,
        "tags": tags,
    }


def engine_version_matches(current: str | None, wanted: str | None) -> bool:
    """``7.1`` is met by ``7.1.0``/``7.1.2``; ``6.x`` by any ``6.*``."""
    if not wanted or current == wanted:
        return True
    if not current:
        return False
    prefix = wanted[:-2] if wanted.endswith(".x") else wanted
    return current.startswith(prefix + ".")


def kms_key_matches(current: str | None, wanted: str | None) -> bool:
    """A key id, key ARN or the same alias names the same key (aliases are resolved by the caller)."""
    if not wanted or current == wanted:
        return True
    return bool(current) and current.endswith("/" + wanted)


def desired_view(params: dict, current: dict | None) -> dict:
    """What the group should look like after this run: options left unset keep current values."""
    base = dict(current or {})
    view = {k: v for k, v in base.items() if k not in LIVE_ONLY}
    view["replication_group_id"] = params["replication_group_id"]
    simple = (
        "description",
        "engine",
        "node_type",
        "replicas_per_node_group",
        "cache_subnet_group_name",
        "port",
        "transit_encryption_enabled",
        "at_rest_encryption_enabled",
        "automatic_failover_enabled",
        "multi_az_enabled",
        "snapshot_retention_limit",
        "snapshot_window",
    )
    for key in simple:
        if params.get(key) is not None:
            view[key] = params[key]
    if params.get("cache_parameter_group_name") is not None:
        view["cache_parameter_group_name"] = params["cache_parameter_group_name"].lower()
    if params.get("preferred_maintenance_window") is not None:
        view["preferred_maintenance_window"] = params["preferred_maintenance_window"].lower()
    if params.get("security_group_ids") is not None:
        view["security_group_ids"] = sorted(set(params["security_group_ids"]))
    wanted_version = params.get("engine_version")
    if wanted_version and not engine_version_matches(base.get("engine_version"), wanted_version):
        view["engine_version"] = wanted_version
    wanted_key = params.get("kms_key_id")
    if wanted_key and not kms_key_matches(base.get("kms_key_id"), wanted_key):
        view["kms_key_id"] = wanted_key
    if params.get("auth_token"):
        view["auth_token_enabled"] = True
    elif current is None:
        view["auth_token_enabled"] = False
    if current is None:
        view.setdefault("replicas_per_node_group", 0)
        view.setdefault("automatic_failover_enabled", False)
        view.setdefault("multi_az_enabled", False)
    view["tags"] = wanted_tags(base.get("tags", {}), params.get("tags"), params.get("purge_tags", True))
    return view


def diff_view(view: dict | None) -> dict:
    return {k: v for k, v in (view or {}).items() if k not in LIVE_ONLY}


def validate(params: dict, current: dict | None) -> list[str]:
    """What AWS would refuse, checked before any call (messages name the options)."""
    errors = []
    group_id = params["replication_group_id"]
    if len(group_id) > 40 or not GROUP_ID.fullmatch(group_id) or group_id.endswith("-"):
        errors.append(
            "replication_group_id must be 1-40 lowercase letters, digits or hyphens, start with a letter, "
            "and must not end with a hyphen or contain two consecutive hyphens"
        )
    if params.get("state", "present") == "absent":
        return errors
    if current is None:
        for option in ("description", "node_type"):
            if not params.get(option):
                errors.append(f"{option} is required to create a replication group")
    replicas = params.get("replicas_per_node_group")
    if replicas is None:
        replicas = (current or {}).get("replicas_per_node_group", 0)
    if not 0 <= replicas <= 5:
        errors.append("replicas_per_node_group must be between 0 and 5")
    failover = params.get("automatic_failover_enabled")
    if failover is None:
        failover = (current or {}).get("automatic_failover_enabled", False)
    multi_az = params.get("multi_az_enabled")
    if multi_az is None:
        multi_az = (current or {}).get("multi_az_enabled", False)
    if failover and replicas < 1:
        errors.append("automatic_failover_enabled needs at least one replica (replicas_per_node_group >= 1)")
    if multi_az and not failover:
        errors.append("multi_az_enabled needs automatic_failover_enabled")
    token = params.get("auth_token")
    if token is not None:
        if not params.get("transit_encryption_enabled"):
            errors.append("auth_token needs transit_encryption_enabled")
        if not AUTH_TOKEN.fullmatch(token):
            errors.append('auth_token must be 16-128 printable ASCII characters without space, ", / or @')
    if params.get("kms_key_id") and not params.get("at_rest_encryption_enabled"):
        errors.append("kms_key_id needs at_rest_encryption_enabled")
    return errors


def immutable_differences(current: dict, desired: dict) -> list[str]:
    """Settings that differ but that AWS cannot change on an existing group."""
    found = []
    for key, label in IMMUTABLE.items():
        if key == "auth_token_enabled" and not desired.get(key):
            continue  # not giving a token never turns AUTH off
        if key in desired and desired[key] != current.get(key):
            found.append(f"{label}: {current.get(key)!r} -> {desired[key]!r}")
    return found


MODIFIABLE = (
    ("description", "ReplicationGroupDescription"),
    ("engine", "Engine"),
    ("engine_version", "EngineVersion"),
    ("node_type", "CacheNodeType"),
    ("cache_parameter_group_name", "CacheParameterGroupName"),
    ("security_group_ids", "SecurityGroupIds"),
    ("automatic_failover_enabled", "AutomaticFailoverEnabled"),
    ("multi_az_enabled", "MultiAZEnabled"),
    ("snapshot_retention_limit", "SnapshotRetentionLimit"),
    ("snapshot_window", "SnapshotWindow"),
    ("preferred_maintenance_window", "PreferredMaintenanceWindow"),
)


def modify_request(current: dict, desired: dict) -> dict:
    """The ModifyReplicationGroup parameters (without id and ApplyImmediately); {} when equal.

    Replica count and tags have calls of their own (see ``plan``)."""
    request = {}
    for key, name in MODIFIABLE:
        if key in desired and desired[key] != current.get(key):
            request[name] = desired[key]
    return request


def plan(current: dict, desired: dict) -> list[tuple[str, object]]:
    """The calls that turn ``current`` into ``desired``, in an order AWS accepts: replicas are
    added before failover/Multi-AZ are turned on, and removed after they are turned off."""
    steps: list[tuple[str, object]] = []
    have, want = current.get("replicas_per_node_group", 0), desired.get("replicas_per_node_group", 0)
    if want > have:
        steps.append(("increase_replica_count", want))
    request = modify_request(current, desired)
    if request:
        steps.append(("modify_replication_group", request))
    if want < have:
        steps.append(("decrease_replica_count", want))
    return steps


def create_request(params: dict) -> dict:
    """The CreateReplicationGroup parameters (cluster mode disabled: one node group)."""
    request = {
        "ReplicationGroupId": params["replication_group_id"],
        "ReplicationGroupDescription": params["description"],
        "Engine": params.get("engine") or "redis",
        "CacheNodeType": params["node_type"],
        "NumCacheClusters": (params.get("replicas_per_node_group") or 0) + 1,
        "Port": params.get("port") or 6379,
        "TransitEncryptionEnabled": bool(params.get("transit_encryption_enabled")),
        "AtRestEncryptionEnabled": bool(params.get("at_rest_encryption_enabled")),
    }
    optional = (
        ("engine_version", "EngineVersion"),
        ("cache_parameter_group_name", "CacheParameterGroupName"),
        ("cache_subnet_group_name", "CacheSubnetGroupName"),
        ("kms_key_id", "KmsKeyId"),
        ("auth_token", "AuthToken"),
        ("automatic_failover_enabled", "AutomaticFailoverEnabled"),
        ("multi_az_enabled", "MultiAZEnabled"),
        ("snapshot_retention_limit", "SnapshotRetentionLimit"),
        ("snapshot_window", "SnapshotWindow"),
        ("preferred_maintenance_window", "PreferredMaintenanceWindow"),
    )
    for key, name in optional:
        if params.get(key) is not None:
            request[name] = params[key]
    if params.get("security_group_ids") is not None:
        request["SecurityGroupIds"] = sorted(set(params["security_group_ids"]))
    if params.get("tags"):
        request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in sorted(params["tags"].items())]
    return request
