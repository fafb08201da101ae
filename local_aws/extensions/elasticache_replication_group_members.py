"""ElastiCache: a replication group has one cache cluster per node, and reports what it was given.

Real ElastiCache, for a group with cluster mode disabled (botocore shapes ``ReplicationGroup``,
``NodeGroup``, ``NodeGroupMember``, ``CacheCluster``):

- ``NumCacheClusters=N`` (or ``ReplicasPerNodeGroup=R``, N = R + 1) makes N nodes: ``MemberClusters``
  and ``NodeGroups[0].NodeGroupMembers`` list ``<id>-001`` (primary) .. ``<id>-00N`` (replicas).
  moto 5.2.5 honoured only ReplicasPerNodeGroup and made 1 node for NumCacheClusters=3;
- each node is a cache cluster that DescribeCacheClusters returns with ``ReplicationGroupId``,
  ``EngineVersion`` (the full version: ``7.1`` becomes ``7.1.0``), ``CacheParameterGroup``
  (``default.<family>`` when none was named), ``CacheSubnetGroupName``, ``SecurityGroups``,
  ``PreferredMaintenanceWindow``, ``SnapshotWindow`` and the encryption/AUTH flags. moto kept
  these on the group only, where the ReplicationGroup shape has no member for them, so they
  could not be read back at all; it created no cache clusters;
- ``NodeGroups[0].ReaderEndpoint`` (``replica.<domain>``) is returned; moto dropped it;
- ``SnapshottingClusterId`` is a replica when there is one and retention is on.

``sync_members`` is shared with the modify and replica-count extensions, so that every change
to the group shows in its cache clusters.
"""

from __future__ import annotations

import re

from moto.core.utils import utcnow
from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup

FULL_VERSIONS = {
    "redis": {"7.1": "7.1.0", "7.0": "7.0.7", "6.x": "6.2.6", "6.2": "6.2.6", "6.0": "6.0.5", "5.0": "5.0.6"},
    "valkey": {"8.1": "8.1.0", "8.0": "8.0.1", "7.2": "7.2.6"},
}
LATEST = {"redis": "7.1.0", "valkey": "8.0.1"}


def full_engine_version(engine: str, version: str | None) -> str:
    """The version AWS reports for a requested one (``7.1`` -> ``7.1.0``)."""
    engine = (engine or "redis").lower()
    if not version:
        return LATEST.get(engine, "7.1.0")
    if re.fullmatch(r"\d+\.\d+\.\d+", version):
        return version
    return FULL_VERSIONS.get(engine, {}).get(version, version)


def parameter_group_family(engine: str, version: str) -> str:
    """``redis7``, ``redis6.x``, ``redis5.0``, ``valkey8`` ... for an engine version."""
    engine = (engine or "redis").lower()
    parts = [int(p) for p in re.findall(r"\d+", version or "")] or [7, 1]
    major = parts[0]
    if engine == "valkey":
        return f"valkey{major}"
    if major >= 7:
        return "redis7"
    if major == 6:
        return "redis6.x"
    return f"redis{major}.{parts[1] if len(parts) > 1 else 0}"


def _domain(group: ReplicationGroup) -> str:
    address = group.node_groups[0]["primary_endpoint"]["address"]
    return address.split(".", 1)[1]


def _az(region: str, index: int) -> str:
    return f"{region}{'abc'[index % 3]}"


def _new_cluster(backend: ElastiCacheBackend, group: ReplicationGroup, cluster_id: str) -> CacheCluster:
    return CacheCluster(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=cluster_id,
        cache_node_type=group.cache_node_type,
        replication_group_id=group.replication_group_id,
        az_mode="single-az",
        preferred_availability_zone=None,
        num_cache_nodes=1,
        engine=group.engine,
        engine_version=group.engine_version,
        cache_parameter_group_name=group.cache_parameter_group_name,
        cache_subnet_group_name=group.cache_subnet_group_name,
        transit_encryption_enabled=group.transit_encryption_enabled,
        network_type=group.network_type,
        ip_discovery=group.ip_discovery,
        snapshot_name=None,
        preferred_maintenance_window=group.preferred_maintenance_window,
        port=group.port,
        notification_topic_arn=group.notification_topic_arn,
        auto_minor_version_upgrade=group.auto_minor_version_upgrade,
        snapshot_retention_limit=0,
        snapshot_window=group.snapshot_window,
        auth_token=None,
        outpost_mode=None,
        preferred_outpost_arn=None,
        preferred_availability_zones=None,
        cache_security_group_names=None,
        security_group_ids=group.security_group_ids,
        tags=None,
        snapshot_arns=None,
        preferred_outpost_arns=None,
        log_delivery_configurations=[],
        cache_node_ids_to_remove=None,
        cache_node_ids_to_reboot=None,
    )


def sync_members(
    backend: ElastiCacheBackend, group: ReplicationGroup, count: int | None = None, remove: list | None = None
) -> None:
    """Bring the group's nodes to ``count`` (primary included) and its cache clusters in line.

    ``remove`` names replicas to drop first (DecreaseReplicaCount's ReplicasToRemove).
    """
    node_group = group.node_groups[0]
    members = node_group["node_group_members"]
    domain = _domain(group)
    for cluster_id in remove or []:
        members[:] = [
            m for m in members if m["cache_cluster_id"] != cluster_id or m.get("current_role") == "primary"
        ]
    if count is not None:
        while len(members) > count:
            members.pop()
        suffix = max(int(m["cache_cluster_id"].rsplit("-", 1)[1]) for m in members)
        while len(members) < count:
            suffix += 1
            cluster_id = f"{group.replication_group_id}-{suffix:03d}"
            members.append(
                {
                    "cache_cluster_id": cluster_id,
                    "cache_node_id": "0001",
                    "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
                    "preferred_availability_zone": _az(backend.region_name, len(members)),
                    "current_role": "replica",
                }
            )
    for member in members:
        member["cache_node_id"] = "0001"
    node_group["reader_endpoint"] = {"address": f"replica.{domain}", "port": group.port}
    group.member_clusters[:] = [m["cache_cluster_id"] for m in members]
    group.snapshotting_cluster_id = (
        (group.member_clusters[1] if len(group.member_clusters) > 1 else group.member_clusters[0])
        if (group.snapshot_retention_limit or 0) > 0
        else None
    )

    for cluster_id in [
        c
        for c, cl in backend.cache_clusters.items()
        if getattr(cl, "replication_group_id", None) == group.replication_group_id
    ]:
        if cluster_id not in group.member_clusters:
            del backend.cache_clusters[cluster_id]
    for member in members:
        cluster = backend.cache_clusters.get(member["cache_cluster_id"])
        if cluster is None:
            cluster = _new_cluster(backend, group, member["cache_cluster_id"])
            backend.cache_clusters[cluster.cache_cluster_id] = cluster
        cluster.replication_group_id = group.replication_group_id
        cluster.engine = group.engine
        cluster.engine_version = group.engine_version
        cluster.cache_node_type = group.cache_node_type
        cluster.cache_subnet_group_name = group.cache_subnet_group_name
        cluster.preferred_availability_zone = member.get("preferred_availability_zone")
        cluster.preferred_maintenance_window = group.preferred_maintenance_window
        cluster.snapshot_window = group.snapshot_window
        cluster.snapshot_retention_limit = (
            group.snapshot_retention_limit if cluster.cache_cluster_id == group.snapshotting_cluster_id else 0
        )
        cluster.transit_encryption_enabled = group.transit_encryption_enabled
        cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
        cluster.auth_token_enabled = group.auth_token_enabled
        cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
        cluster.cache_parameter_group = {
            "CacheParameterGroupName": group.cache_parameter_group_name,
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        }
        cluster.security_group_ids = list(group.security_group_ids or [])
        cluster.security_groups = [
            {"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []
        ]
        cluster.replication_group_log_delivery_enabled = False
        cluster.cache_cluster_status = group.status


def apply() -> None:
    original_create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self, **kwargs):
        group = original_create(self, **kwargs)
        group.engine_version = full_engine_version(group.engine, kwargs.get("engine_version"))
        group.cache_parameter_group_name = (
            kwargs.get("cache_parameter_group_name") or ""
        ).lower() or f"default.{parameter_group_family(group.engine, group.engine_version)}"
        group.security_group_ids = list(kwargs.get("security_group_ids") or [])
        group.preferred_maintenance_window = (
            kwargs.get("preferred_maintenance_window") or "sun:05:00-sun:06:00"
        )
        group.snapshot_window = kwargs.get("snapshot_window") or "06:30-07:30"
        group.auth_token_last_modified_date = utcnow() if group.auth_token_enabled else None
        if group.cluster_mode != "enabled":
            replicas = kwargs.get("replicas_per_node_group")
            count = replicas + 1 if replicas is not None else (kwargs.get("num_cache_clusters") or 1)
            sync_members(self, group, count=count)
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group
