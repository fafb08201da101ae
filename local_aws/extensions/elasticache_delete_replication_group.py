"""ElastiCache: a deleted replication group goes away, with its cache clusters.

Real ElastiCache answers DeleteReplicationGroup with the group in status ``deleting``, and some
minutes later DescribeReplicationGroups raises ``ReplicationGroupNotFoundFault`` and its member
cache clusters are gone. moto 5.2.5 left the group in ``deleting`` for ever, so nothing could wait
for the deletion to finish and the id could never be reused. Here the response still says
``deleting``; the deletion has completed by the next call. A group that is not ``available``
(for example already ``deleting``) is refused with ``InvalidReplicationGroupState``, as AWS does.
"""

from __future__ import annotations

from moto.elasticache.exceptions import ElastiCacheException, ReplicationGroupNotFound
from moto.elasticache.models import ElastiCacheBackend


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


def apply() -> None:
    original_delete = ElastiCacheBackend.delete_replication_group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = self.replication_groups.get(replication_group_id)
        if group is None:
            raise ReplicationGroupNotFound(replication_group_id)
        if group.status != "available":
            raise InvalidReplicationGroupState(
                f"Replication group {replication_group_id} is not in available state ({group.status})."
            )
        members = list(group.member_clusters)
        primary = members[0] if members else None
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        del self.replication_groups[replication_group_id]
        for cluster_id in members:
            if retain_primary_cluster and cluster_id == primary:
                self.cache_clusters[cluster_id].replication_group_id = None
                continue
            self.cache_clusters.pop(cluster_id, None)
        self.tagging_service.delete_all_tags_for_resource(group.arn)
        return group

    ElastiCacheBackend.delete_replication_group = delete_replication_group
