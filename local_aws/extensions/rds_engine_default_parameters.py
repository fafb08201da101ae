"""RDS: parameter groups answer with the engine's parameters, as real RDS does.

botocore's ``DescribeDBParameters`` returns every parameter of the group's family
(``Source`` = ``engine-default`` | ``system`` | ``user``, with ``DataType``, ``AllowedValues``,
``IsModifiable``, ``ApplyType``), filtered by the optional ``Source`` member; and
``DescribeEngineDefaultParameters`` returns a family's defaults as ``EngineDefaults``.
moto 5.2.5 returns only the parameters a caller set (no ``DataType``, which
amazon.aws.rds_instance_param_group needs) and lacks ``DescribeEngineDefaultParameters``.
``DescribeDBParameterGroups`` for a name that does not exist answers an empty list where
RDS answers ``DBParameterGroupNotFound`` (the stock module then fails with an IndexError).

The catalogue below is a subset of the real postgres family parameters (names, types,
ranges and defaults as RDS documents them for PostgreSQL 15/16), enough for the parameters
this collection and its users set; an unknown name is rejected as RDS rejects it.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.rds.exceptions import DBParameterGroupNotFoundError, RDSClientError
from moto.rds.responses import RDSResponse


def _param(name, data_type, allowed, default=None, apply_type="dynamic", modifiable=True, description=""):
    entry = {
        "ParameterName": name,
        "Description": description or name,
        "Source": "engine-default",
        "ApplyType": apply_type,
        "DataType": data_type,
        "AllowedValues": allowed,
        "IsModifiable": modifiable,
        "ApplyMethod": "pending-reboot",
    }
    if default is not None:
        entry["ParameterValue"] = default
    return entry


POSTGRES = [
    _param("rds.force_ssl", "boolean", "0,1", "1", description="Force SSL connections."),
    _param("ssl_min_protocol_version", "string", "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", "TLSv1.2"),
    _param("password_encryption", "string", "md5,scram-sha-256", "scram-sha-256"),
    _param("max_connections", "integer", "6-262143", "LEAST({DBInstanceClassMemory/9531392},5000)", "static"),
    _param(
        "shared_preload_libraries",
        "list",
        "auto_explain,pg_cron,pg_stat_statements,pgaudit",
        "pg_stat_statements",
        "static",
    ),
    _param("log_min_duration_statement", "integer", "-1-2147483647"),
    _param("log_connections", "boolean", "0,1"),
    _param("log_disconnections", "boolean", "0,1"),
    _param("log_statement", "string", "ddl,mod,all,none"),
    _param("idle_in_transaction_session_timeout", "integer", "0-2147483647"),
    _param("statement_timeout", "integer", "0-2147483647"),
    _param("work_mem", "integer", "64-2147483647"),
    _param("rds.log_retention_period", "integer", "1440-10080", "4320"),
    _param("timezone", "string", "", "UTC"),
    _param("rds.extensions", "list", "", None, modifiable=False),
]


def catalogue(family: str | None) -> list[dict]:
    return [dict(p) for p in POSTGRES] if (family or "").startswith("postgres") else []


def effective_parameters(group) -> list[dict]:
    """The family's parameters with the caller's values over them (Source=user)."""
    merged = {p["ParameterName"]: p for p in catalogue(group.family)}
    for name, user in group.parameters.items():
        base = merged.get(
            name,
            {
                "ParameterName": name,
                "DataType": "string",
                "IsModifiable": True,
                "ApplyType": "dynamic",
                "Description": name,
            },
        )
        merged[name] = {**base, **user, "Source": "user"}
    return [merged[name] for name in sorted(merged)]


def apply() -> None:
    def describe_db_parameters(self):
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        parameters = effective_parameters(groups[0])
        source = self.params.get("Source")
        if source:
            parameters = [p for p in parameters if p["Source"] == source]
        return ActionResult({"Parameters": parameters})

    def describe_engine_default_parameters(self):
        family = self.params.get("DBParameterGroupFamily")
        return ActionResult(
            {"EngineDefaults": {"DBParameterGroupFamily": family, "Parameters": catalogue(family)}}
        )

    original_modify = RDSResponse.modify_db_parameter_group

    def modify_db_parameter_group(self):
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        known = {p["ParameterName"]: p for p in catalogue(groups[0].family)} if groups else {}
        for param in self.params.get("Parameters", []):
            entry = param.original_dict()
            spec = known.get(entry["ParameterName"])
            if known and spec is None:
                raise RDSClientError(
                    "InvalidParameterValue", f"Could not find parameter with name: {entry['ParameterName']}"
                )
            if spec is not None and not spec["IsModifiable"]:
                raise RDSClientError(
                    "InvalidParameterCombination", f"cannot modify parameter {entry['ParameterName']}"
                )
        return original_modify(self)

    original_describe_groups = RDSResponse.describe_db_parameter_groups

    def describe_db_parameter_groups(self):
        name = self.params.get("DBParameterGroupName")
        if name and not self.backend.describe_db_parameter_groups({"db_parameter_group_name": name}):
            raise DBParameterGroupNotFoundError(name)
        return original_describe_groups(self)

    RDSResponse.describe_db_parameter_groups = describe_db_parameter_groups
    RDSResponse.describe_db_parameters = describe_db_parameters
    RDSResponse.describe_engine_default_parameters = describe_engine_default_parameters
    RDSResponse.modify_db_parameter_group = modify_db_parameter_group
