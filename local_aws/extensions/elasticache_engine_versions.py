"""ElastiCache: CreateReplicationGroup and ModifyReplicationGroup refuse engine versions not offered.

Real ElastiCache answers ``InvalidParameterCombination`` / ``Cannot find version 4.0.13 for
redis`` for an ``EngineVersion`` it does not offer for the engine. moto 5.2.5 accepted any string.
The offered versions come from cfn-lint's data (``aws_elasticache_cachecluster/engine_version.json``:
redis 4.0.10, 5.0.6, 6.0, 6.2, 7.0, 7.1; valkey 7.2 ... ; memcached ...) through
``plugins/module_utils/aws_engine_versions.py``, the source the roles' preflight uses. The
legacy ``6.x`` spelling, still accepted by AWS for Redis OSS 6, is kept. An engine the data does
not cover, or a request without ``EngineVersion``, is left as it was. ModifyReplicationGroup
(``elasticache_modify_replication_group``) calls ``check_engine_version`` too.
"""

from __future__ import annotations

from moto.elasticache.models import ElastiCacheBackend

from local_aws.extensions.elasticache_parameter_groups import InvalidParameterCombination
from local_aws.module_utils import load

LEGACY = {"redis": {"6.x"}}


def check_engine_version(engine: str | None, version: str | None) -> None:
    """Raise ElastiCache's InvalidParameterCombination when ``version`` of ``engine`` is not offered."""
    engine = (engine or "redis").lower()
    if not version or version in LEGACY.get(engine, ()):
        return
    if load("aws_engine_versions").elasticache_engine_version_offered(engine, version) is False:
        raise InvalidParameterCombination(f"Cannot find version {version} for {engine}")


def apply() -> None:
    original_create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self, **kwargs):
        check_engine_version(kwargs.get("engine"), kwargs.get("engine_version"))
        return original_create(self, **kwargs)

    ElastiCacheBackend.create_replication_group = create_replication_group
