"""ElastiCache: CreateReplicationGroup refuses what real AWS refuses.

moto 5.2.5 accepts any CreateReplicationGroup request. Real ElastiCache (cluster mode disabled)
answers, before creating anything:

- ``InvalidParameterValue`` for a ReplicationGroupId that is not 1-40 letters, digits or
  hyphens starting with a letter (no trailing or double hyphen); for more than 5 replicas
  (``ReplicasPerNodeGroup`` > 5, ``NumCacheClusters`` > 6); for an ``AuthToken`` that is not
  16-128 printable ASCII characters without space, ``"``, ``/`` or ``@``; for ``AuthToken``
  without ``TransitEncryptionEnabled``;
- ``InvalidParameterCombination`` for ``AutomaticFailoverEnabled`` with no replica, for
  ``MultiAZEnabled`` without automatic failover, for ``KmsKeyId`` without
  ``AtRestEncryptionEnabled``, and for a parameter group whose family does not match the engine
  version;
- ``CacheParameterGroupNotFound`` / ``CacheSubnetGroupNotFoundFault`` for a named group that
  does not exist.
"""

from __future__ import annotations

import re

from moto.elasticache.exceptions import CacheSubnetGroupNotFound
from moto.elasticache.models import ElastiCacheBackend

from local_aws.extensions.elasticache_parameter_groups import (
    InvalidParameterCombination,
    InvalidParameterValue,
    get_group,
)
from local_aws.extensions.elasticache_replication_group_members import (
    full_engine_version,
    parameter_group_family,
)

ID_PATTERN = re.compile(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,39}")
TOKEN_PATTERN = re.compile(r"[!#-.0-?A-~]{16,128}")  # printable ASCII minus space, ", / and @


def validate_auth_token(token: str | None) -> None:
    if token is not None and not TOKEN_PATTERN.fullmatch(token):
        raise InvalidParameterValue(
            "Invalid AuthToken provided: it must be 16 to 128 printable characters and must not "
            'contain space, ", / or @.'
        )


def validate_failover(nodes: int, failover: bool | None, multi_az: bool | None) -> None:
    if failover and nodes < 2:
        raise InvalidParameterCombination(
            "Replication group must have at least one read replica to enable autofailover."
        )
    if multi_az and not failover:
        raise InvalidParameterCombination("Multi-AZ requires automatic failover to be enabled.")


def apply() -> None:
    original_create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self, **kwargs):
        group_id = kwargs.get("replication_group_id") or ""
        if len(group_id) > 40 or not ID_PATTERN.fullmatch(group_id) or group_id.endswith("-"):
            raise InvalidParameterValue(
                f"Invalid replication group id: {group_id}. It must be 1 to 40 letters, digits or hyphens, "
                "begin with a letter and must not end with a hyphen or contain two consecutive hyphens."
            )
        replicas = kwargs.get("replicas_per_node_group")
        nodes = replicas + 1 if replicas is not None else (kwargs.get("num_cache_clusters") or 1)
        if kwargs.get("cluster_mode") != "enabled" and not kwargs.get("num_node_groups"):
            if nodes > 6 or nodes < 1:
                raise InvalidParameterValue(
                    "The number of replicas per node group must be between 0 and 5 (NumCacheClusters 1 to 6)."
                )
            validate_failover(nodes, kwargs.get("automatic_failover_enabled"), kwargs.get("multi_az_enabled"))
        token = kwargs.get("auth_token")
        validate_auth_token(token)
        if token is not None and not kwargs.get("transit_encryption_enabled"):
            raise InvalidParameterValue(
                "The AUTH token is only supported when encryption in-transit is enabled."
            )
        if kwargs.get("kms_key_id") and not kwargs.get("at_rest_encryption_enabled"):
            raise InvalidParameterCombination("KmsKeyId requires AtRestEncryptionEnabled to be true.")
        if kwargs.get("cache_parameter_group_name"):
            group = get_group(self, kwargs["cache_parameter_group_name"])
            engine = kwargs.get("engine") or "redis"
            family = parameter_group_family(engine, full_engine_version(engine, kwargs.get("engine_version")))
            if group.cache_parameter_group_family != family:
                raise InvalidParameterCombination(
                    f"The parameter group family {group.cache_parameter_group_family} of "
                    f"{group.cache_parameter_group_name} does not match the engine family {family}."
                )
        subnet_group = kwargs.get("cache_subnet_group_name")
        if subnet_group and subnet_group not in self.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(subnet_group)
        return original_create(self, **kwargs)

    ElastiCacheBackend.create_replication_group = create_replication_group
