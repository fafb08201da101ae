"""ElastiCache: DeleteCacheSubnetGroup.

moto 5.2.5 has CreateCacheSubnetGroup and DescribeCacheSubnetGroups but answers
DeleteCacheSubnetGroup with a 500 (``NotImplementedError``), so community.aws.elasticache_subnet_group
cannot delete (playbooks/destroy.yml). Real AWS (botocore ``DeleteCacheSubnetGroup``): empty result;
``CacheSubnetGroupNotFoundFault`` for an unknown name; ``CacheSubnetGroupInUse`` while a cache
cluster or replication group still uses the group. This implements that, and drops the group's tags.
"""

from __future__ import annotations

from moto.core.responses import EmptyResult
from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
from moto.elasticache.responses import ElastiCacheResponse


class CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"

    def __init__(self, name: str):
        super().__init__(
            f"Cache subnet group {name} is currently in use by a cache cluster or replication group."
        )


def delete_cache_subnet_group(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    group = backend.cache_subnet_groups.get(name)
    if group is None:
        raise CacheSubnetGroupNotFound(name)
    users = list(backend.cache_clusters.values()) + list(backend.replication_groups.values())
    if any(getattr(user, "cache_subnet_group_name", None) == name for user in users):
        raise CacheSubnetGroupInUse(name)
    del backend.cache_subnet_groups[name]
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


def apply() -> None:
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group
