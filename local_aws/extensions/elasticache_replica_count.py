"""ElastiCache: IncreaseReplicaCount and DecreaseReplicaCount.

Real ElastiCache (botocore ``IncreaseReplicaCountMessage`` / ``DecreaseReplicaCountMessage``)
adds or removes read replicas of a group online; for cluster mode disabled the request names
``NewReplicaCount`` (0..5) and, to decrease, optionally ``ReplicasToRemove``. ``ApplyImmediately``
must be true. It refuses with ``InvalidParameterValue`` a count that does not grow (increase) or
shrink (decrease) the group or is outside 0..5, and with ``InvalidParameterCombination`` a
decrease to 0 replicas while automatic failover is on. moto 5.2.5 answered HTTP 500 to both.
The new member clusters (``<id>-00N``) appear at once here; real AWS shows the group
``modifying`` until they are ``available``.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import ReplicationGroupNotFound
from moto.elasticache.responses import ElastiCacheResponse

from local_aws.extensions.elasticache_parameter_groups import (
    InvalidParameterCombination,
    InvalidParameterValue,
)
from local_aws.extensions.elasticache_replication_group_members import sync_members


def _change(self, grow: bool):
    backend = self.elasticache_backend
    group_id = self._get_param("ReplicationGroupId")
    group = backend.replication_groups.get(group_id)
    if group is None:
        raise ReplicationGroupNotFound(group_id)
    if not self._get_bool_param("ApplyImmediately"):
        raise InvalidParameterValue(
            "ApplyImmediately must be true: scheduled replica changes are not supported."
        )
    wanted = self._get_int_param("NewReplicaCount")
    if wanted is None:
        raise InvalidParameterValue(
            "NewReplicaCount is required for a replication group with cluster mode disabled."
        )
    current = len(group.member_clusters) - 1
    if not 0 <= wanted <= 5:
        raise InvalidParameterValue(f"NewReplicaCount must be between 0 and 5, not {wanted}.")
    if grow and wanted <= current:
        raise InvalidParameterValue(
            f"The new replica count ({wanted}) must be greater than the current replica count ({current})."
        )
    if not grow and wanted >= current:
        raise InvalidParameterValue(
            f"The new replica count ({wanted}) must be less than the current replica count ({current})."
        )
    if not grow and wanted < 1 and group.automatic_failover == "enabled":
        raise InvalidParameterCombination(
            "Cannot remove all replicas of a replication group with automatic failover enabled."
        )
    remove = [] if grow else list(self._get_param("ReplicasToRemove") or [])
    unknown = [r for r in remove if r not in group.member_clusters]
    if unknown:
        raise InvalidParameterValue(
            f"ReplicasToRemove names clusters not in {group_id}: {', '.join(unknown)}."
        )
    sync_members(backend, group, count=wanted + 1, remove=remove)
    return ActionResult({"ReplicationGroup": group})


def apply() -> None:
    def increase_replica_count(self):
        return _change(self, grow=True)

    def decrease_replica_count(self):
        return _change(self, grow=False)

    ElastiCacheResponse.increase_replica_count = increase_replica_count
    ElastiCacheResponse.decrease_replica_count = decrease_replica_count
