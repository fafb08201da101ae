"""RDS: CreateDBInstance and ModifyDBInstance refuse engine versions RDS no longer offers.

Real RDS answers ``InvalidParameterCombination`` / ``Cannot find version 16.8 for postgres`` when
a new DB instance asks for a version it does not offer (retired minors such as PostgreSQL
16.1-16.8, or versions that never existed), and the same for a ModifyDBInstance upgrade to one
(restating the version an instance already runs is not a change and passes).
moto 5.2.5 accepted any string. The versions come from cfn-lint's data (AWS's engine-version
lists, kept current by cfn-lint) through ``plugins/module_utils/aws_engine_versions.py``, the
same source the roles' preflight uses: listed and not deprecated for new instances. An engine
the data does not cover, or a request without ``EngineVersion``, is left to moto.
"""

from __future__ import annotations

from moto.rds.exceptions import InvalidParameterCombination
from moto.rds.models import RDSBackend

from local_aws.module_utils import load


def check_engine_version(engine: str | None, version: str | None) -> None:
    """Raise RDS's InvalidParameterCombination when ``version`` of ``engine`` is not offered."""
    if not engine or not version:
        return
    if load("aws_engine_versions").rds_engine_version_offered(engine, version) is False:
        raise InvalidParameterCombination(f"Cannot find version {version} for {engine}")


def apply() -> None:
    original_create = RDSBackend.create_db_instance
    original_modify = RDSBackend.modify_db_instance

    def create_db_instance(self, db_kwargs):
        check_engine_version(db_kwargs.get("engine"), db_kwargs.get("engine_version"))
        return original_create(self, db_kwargs)

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        version = db_kwargs.get("engine_version")
        if version:
            database = self.describe_db_instances(db_instance_identifier)[0]  # DBInstanceNotFound
            if version != database.engine_version:  # the version it runs is not a change
                check_engine_version(database.engine, version)
        return original_modify(self, db_instance_identifier, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance
