"""ElastiCache: ModifyReplicationGroup applies every member of its request.

botocore's ``ModifyReplicationGroupMessage`` has, among others, ``SecurityGroupIds``,
``CacheParameterGroupName``, ``EngineVersion``, ``SnapshotWindow``,
``PreferredMaintenanceWindow``, ``SnapshotRetentionLimit``, ``CacheNodeType``,
``AutomaticFailoverEnabled``, ``MultiAZEnabled``, ``AuthToken`` + ``AuthTokenUpdateStrategy``
(SET, ROTATE, DELETE) and ``ApplyImmediately``. moto 5.2.5 parsed only the description, engine,
node type, failover, Multi-AZ and retention, and silently dropped the rest, so a changed
security group or parameter group was never applied. Real AWS also refuses, with
``InvalidParameterCombination``, failover on a group without replicas, Multi-AZ without
failover and an engine downgrade (and a version ElastiCache does not offer:
``elasticache_engine_versions``); with ``CacheParameterGroupNotFound`` an unknown parameter group
(``InvalidParameterCombination`` when its family does not match the engine); with
``InvalidParameterValue`` an AuthToken without transit encryption. The tokens a ``ROTATE`` /
``SET`` leave accepted: ``elasticache_auth_tokens``.

Real AWS moves the group to ``modifying`` and back to ``available``; here the change is complete
when the call returns (``ApplyImmediately`` or not), and shows in the member cache clusters.
"""

from __future__ import annotations

import re

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.elasticache.exceptions import ReplicationGroupNotFound
from moto.elasticache.responses import ElastiCacheResponse

from local_aws.extensions.elasticache_auth_tokens import apply_update as apply_token_update
from local_aws.extensions.elasticache_auth_tokens import check_update as check_token_update
from local_aws.extensions.elasticache_engine_versions import check_engine_version
from local_aws.extensions.elasticache_parameter_groups import (
    InvalidParameterCombination,
    InvalidParameterValue,
    get_group,
)
from local_aws.extensions.elasticache_replication_group_members import (
    full_engine_version,
    parameter_group_family,
    sync_members,
)
from local_aws.extensions.elasticache_replication_group_validation import (
    validate_auth_token,
    validate_failover,
)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text or ""))


def apply() -> None:
    def modify_replication_group(self):
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = backend.replication_groups.get(group_id)
        if group is None:
            raise ReplicationGroupNotFound(group_id)

        failover = self._get_bool_param("AutomaticFailoverEnabled")
        multi_az = self._get_bool_param("MultiAZEnabled")
        new_failover = group.automatic_failover == "enabled" if failover is None else failover
        new_multi_az = group.multi_az == "enabled" if multi_az is None else multi_az
        validate_failover(len(group.member_clusters), new_failover, new_multi_az)

        engine = (self._get_param("Engine") or group.engine).lower()
        version = self._get_param("EngineVersion")
        check_engine_version(engine, version)
        new_version = full_engine_version(engine, version) if version else group.engine_version
        if _version(new_version) < _version(group.engine_version) and engine == group.engine:
            raise InvalidParameterCombination(
                f"Cannot downgrade the engine version from {group.engine_version} to {new_version}."
            )
        family = parameter_group_family(engine, new_version)
        parameter_group_name = self._get_param("CacheParameterGroupName")
        if parameter_group_name:
            parameter_group = get_group(backend, parameter_group_name)
            if parameter_group.cache_parameter_group_family != family:
                raise InvalidParameterCombination(
                    f"The parameter group family {parameter_group.cache_parameter_group_family} does not "
                    f"match the engine family {family}."
                )
        elif parameter_group_family(group.engine, group.engine_version) != family:
            parameter_group_name = f"default.{family}"  # a major upgrade moves to the new default

        token = self._get_param("AuthToken")
        strategy = self._get_param("AuthTokenUpdateStrategy")
        if token is not None:
            validate_auth_token(token)
            if not group.transit_encryption_enabled:
                raise InvalidParameterValue(
                    "The AUTH token is only supported when encryption in-transit is enabled."
                )
        if strategy and strategy not in ("SET", "ROTATE", "DELETE"):
            raise InvalidParameterValue(f"Invalid AuthTokenUpdateStrategy: {strategy}.")
        if token is not None:
            check_token_update(group, token, strategy)

        # all checks passed: apply
        description = self._get_param("ReplicationGroupDescription")
        if description is not None:
            group.description = description
        group.automatic_failover = "enabled" if new_failover else "disabled"
        group.multi_az = "enabled" if new_multi_az else "disabled"
        group.engine, group.engine_version = engine, new_version
        if parameter_group_name:
            group.cache_parameter_group_name = parameter_group_name.lower()
        security_group_ids = self._get_param("SecurityGroupIds")
        if security_group_ids is not None:
            group.security_group_ids = list(security_group_ids)
        for param, attr in (
            ("CacheNodeType", "cache_node_type"),
            ("PreferredMaintenanceWindow", "preferred_maintenance_window"),
            ("SnapshotWindow", "snapshot_window"),
            ("NotificationTopicArn", "notification_topic_arn"),
        ):
            value = self._get_param(param)
            if value is not None:
                setattr(group, attr, value)
        retention = self._get_int_param("SnapshotRetentionLimit")
        if retention is not None:
            group.snapshot_retention_limit = retention
        minor = self._get_bool_param("AutoMinorVersionUpgrade")
        if minor is not None:
            group.auto_minor_version_upgrade = minor
        if token is not None or strategy == "DELETE":
            apply_token_update(group, token, strategy)
            group.auth_token_enabled = strategy != "DELETE"
            group.auth_token_last_modified_date = utcnow()
        sync_members(backend, group)
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheResponse.modify_replication_group = modify_replication_group
