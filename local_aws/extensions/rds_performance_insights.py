"""RDS: an instance keeps its Performance Insights settings.

botocore's DBInstance shape has ``PerformanceInsightsEnabled``, ``PerformanceInsightsKMSKeyId``
(the key ARN) and ``PerformanceInsightsRetentionPeriod``; real RDS returns what
CreateDBInstance / ModifyDBInstance set (``EnablePerformanceInsights``,
``PerformanceInsightsKMSKeyId``, ``PerformanceInsightsRetentionPeriod``, default 7 days).
moto 5.2.5 drops all three, so amazon.aws.rds_instance fails on its second run
(``'NoneType' object has no attribute 'split'``) and an audit cannot see the key.
"""

from __future__ import annotations

from moto.rds.models import DBInstance, RDSBackend


def _key_arn(backend, key: str | None) -> str | None:
    if not key or key.startswith("arn:"):
        return key
    return f"arn:aws:kms:{backend.region_name}:{backend.account_id}:key/{key.rsplit('/', 1)[-1]}"


def _apply(instance, kwargs: dict) -> None:
    if "enable_performance_insights" in kwargs:
        instance.performance_insights_enabled = bool(kwargs["enable_performance_insights"])
    if kwargs.get("performance_insights_kms_key_id"):
        instance.performance_insights_kms_key_id = _key_arn(
            instance.backend, kwargs["performance_insights_kms_key_id"]
        )
    if kwargs.get("performance_insights_retention_period"):
        instance.performance_insights_retention_period = int(kwargs["performance_insights_retention_period"])
    if instance.performance_insights_enabled and not instance.performance_insights_retention_period:
        instance.performance_insights_retention_period = 7


def apply() -> None:
    original_init = DBInstance.__init__

    def __init__(self, backend, *args, **kwargs):
        original_init(self, backend, *args, **kwargs)
        self.performance_insights_enabled = False
        self.performance_insights_kms_key_id = None
        self.performance_insights_retention_period = None
        _apply(self, kwargs)

    DBInstance.__init__ = __init__

    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        database = original_modify(self, db_instance_identifier, db_kwargs)
        _apply(database, db_kwargs)
        return database

    RDSBackend.modify_db_instance = modify_db_instance
