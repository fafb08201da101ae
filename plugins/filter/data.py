# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Cross-field checks of the data layer's inventory (no AWS call)."""

from __future__ import annotations

import ipaddress
import re

BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
EVICTING = "noeviction"


def bucket_name_problem(variable: str, name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name (AWS's general-purpose bucket rules), or None."""
    reason = None
    if not BUCKET.match(name or ""):
        reason = "3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
    elif ".." in name or ".-" in name or "-." in name:
        reason = "no adjacent periods, and no period next to a hyphen"
    elif name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(
        ("-s3alias", "--ol-s3", "--x-s3")
    ):
        reason = "no reserved prefix or suffix (xn--, sthree-, -s3alias, --ol-s3, --x-s3)"
    else:
        try:
            ipaddress.ip_address(name)
            reason = "not formatted as an IP address"
        except ValueError:
            pass
    return f"{variable}={name!r} is not a valid S3 bucket name: {reason}" if reason else None


def data_problems(cfg: dict) -> list[str]:
    """Every reason the data inventory cannot be built; ``cfg`` keys are the variables without ``data_``."""
    problems: list[str] = []
    version = str(cfg["rds_engine_version"])
    if version not in [str(v) for v in cfg["rds_engine_versions"]]:
        problems.append(
            f"data_rds_engine_version={version!r} is not a known PostgreSQL 16 version "
            f"(one of {', '.join(map(str, cfg['rds_engine_versions']))})"
        )
    family = ".".join(str(cfg["rds_instance_class"]).split(".")[:2])
    if family not in cfg["rds_instance_families"]:
        problems.append(
            f"data_rds_instance_class={cfg['rds_instance_class']!r} is not allowed "
            f"(families: {', '.join(cfg['rds_instance_families'])})"
        )
    if str(cfg["redis_engine_version"]) not in [str(v) for v in cfg["redis_engine_versions"]]:
        problems.append(
            f"data_redis_engine_version={cfg['redis_engine_version']!r} is not a Redis 7 version "
            f"(one of {', '.join(map(str, cfg['redis_engine_versions']))})"
        )
    if str(cfg["rds_parameters"].get("rds.force_ssl", 1)) != "1":
        problems.append(
            "data_rds_parameters sets rds.force_ssl to "
            f"{cfg['rds_parameters']['rds.force_ssl']!r}: TLS to the database is required (must be 1)"
        )
    policy = cfg["redis_parameters"].get("maxmemory-policy", EVICTING)
    if policy != EVICTING:
        problems.append(
            f"data_redis_parameters sets maxmemory-policy={policy!r}: the Celery broker's keys are the "
            "queued tasks and an evicting policy drops them silently; it must be noeviction"
        )
    nodes = int(cfg["redis_num_cache_nodes"])
    if not 1 <= nodes <= 6:
        problems.append(
            f"data_redis_num_cache_nodes={nodes} must be 1 (primary only) to 6 (primary + 5 replicas)"
        )
    if cfg["redis_automatic_failover_enabled"] and nodes < 2:
        problems.append(
            f"data_redis_automatic_failover_enabled=true needs a replica (data_redis_num_cache_nodes={nodes})"
        )
    if cfg["redis_multi_az_enabled"] and not cfg["redis_automatic_failover_enabled"]:
        problems.append("data_redis_multi_az_enabled=true needs data_redis_automatic_failover_enabled=true")
    if cfg["production"]:
        if not cfg["rds_multi_az"]:
            problems.append("data_rds_multi_az=false in production: the metadata database must be Multi-AZ")
        if int(cfg["rds_backup_retention_period"]) < 7:
            problems.append(
                f"data_rds_backup_retention_period={cfg['rds_backup_retention_period']} in production: "
                "at least 7 days"
            )
        if nodes > 1 and not cfg["redis_automatic_failover_enabled"]:
            problems.append(
                f"data_redis_automatic_failover_enabled=false with {nodes - 1} replica(s) in production: "
                "replicas without failover leave the broker down when the primary fails"
            )
    if int(cfg["rds_max_allocated_storage"]) < int(cfg["rds_allocated_storage"]):
        problems.append(
            f"data_rds_max_allocated_storage={cfg['rds_max_allocated_storage']} is below "
            f"data_rds_allocated_storage={cfg['rds_allocated_storage']}"
        )
    for variable in ("dags_bucket_name", "logs_bucket_name"):
        problem = bucket_name_problem(f"data_{variable}", str(cfg[variable]))
        if problem:
            problems.append(problem)
    if cfg["efs_throughput_mode"] == "provisioned" and int(cfg["efs_provisioned_throughput_in_mibps"]) <= 0:
        problems.append(
            "data_efs_throughput_mode=provisioned needs data_efs_provisioned_throughput_in_mibps > 0"
        )
    return problems


def mount_targets(subnet_ids: list, security_groups: list) -> list[dict]:
    """One EFS mount target per subnet, each with the given security groups."""
    return [{"subnet_id": subnet, "security_groups": list(security_groups)} for subnet in subnet_ids]


def log_group_item(name_and_component, kms_key_id: str, retention: int, tags: dict) -> dict:
    """A (log group name, component) pair as a cloudwatch_log_groups entry, tagged with the component."""
    name, component = name_and_component
    return {
        "name": name,
        "kms_key_id": kms_key_id,
        "retention": int(retention),
        "tags": {**tags, "airflow:component": component},
    }


def dag_sync_role_arn(account_id: str, name_prefix: str) -> str:
    """The dag-sync task role (created by the compute role) that alone may write to EFS."""
    return f"arn:aws:iam::{account_id}:role/{name_prefix}-dag-sync-task"


def efs_file_system_policy(file_system_arn: str, dag_sync_role: str) -> dict:
    """The file-system policy: TLS only, mounts through mount targets, only dag-sync writes, no root.

    A condition key (not a principal) names the dag-sync role, so the policy is valid before the
    role exists."""
    everyone = {"AWS": "*"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTLS",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "MountThroughMountTargetsOnly",
                "Effect": "Allow",
                "Principal": everyone,
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
            },
            {
                "Sid": "OnlyDagSyncWrites",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "elasticfilesystem:ClientWrite",
                "Resource": file_system_arn,
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": dag_sync_role}},
            },
            {
                "Sid": "NoRootAccess",
                "Effect": "Deny",
                "Principal": everyone,
                "Action": "elasticfilesystem:ClientRootAccess",
                "Resource": file_system_arn,
            },
        ],
    }


def bucket_tls_policy(bucket: str) -> dict:
    """A bucket's policy: every request without TLS is denied."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTLS",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


OIDC_DESCRIPTION = "OIDC client secret: replace with the IdP's value (never overwritten)"


def generated_secrets(prefix: str) -> list[dict]:
    """The secrets whose values managed_secret generates once (names under ``prefix``)."""
    rows = [
        ("db_master_password", "password", 40, "RDS master password"),
        ("redis_auth_token", "token", 64, "ElastiCache AUTH token"),
        ("fernet_key", "fernet", None, "Airflow [core] fernet_key"),
        ("api_secret_key", "token", 64, "Airflow [api] secret_key"),
        ("jwt_secret", "token", 64, "Airflow [api_auth] jwt_secret"),
        ("oidc_client_secret", "token", None, OIDC_DESCRIPTION),
    ]
    out = []
    for name, kind, length, description in rows:
        item = {"name": f"{prefix}/{name}", "generate": kind, "description": description}
        if length:
            item["length"] = length
        out.append(item)
    return out


def connection_secrets(prefix: str) -> list[dict]:
    """The secrets managed_secret composes from the generated ones and the endpoints.

    ``${value:...}`` and ``${secret:...}`` are filled inside the module (see secret_values)."""
    password = f"{prefix}/db_master_password"
    token = f"{prefix}/redis_auth_token"
    db_auth = f"${{value:db_user|url}}:${{secret:{password}|url}}"
    db_location = "${value:db_host}:${value:db_port}/${value:db_name|url}?sslmode=require"
    redis_location = "${value:redis_host}:${value:redis_port}/0?ssl_cert_reqs=required"
    return [
        {
            "name": f"{prefix}/db",
            "description": "RDS master credentials (username, password, engine, host, port, dbname)",
            "template": (
                f'{{"username": "${{value:db_user|json}}", "password": "${{secret:{password}|json}}", '
                '"engine": "postgres", "host": "${value:db_host|json}", "port": ${value:db_port}, '
                '"dbname": "${value:db_name|json}"}'
            ),
        },
        {
            "name": f"{prefix}/sql_alchemy_conn",
            "description": "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
            "template": f"postgresql+psycopg2://{db_auth}@{db_location}",
        },
        {
            "name": f"{prefix}/celery_result_backend",
            "description": "AIRFLOW__CELERY__RESULT_BACKEND",
            "template": f"db+postgresql://{db_auth}@{db_location}",
        },
        {
            "name": f"{prefix}/redis",
            "description": "Redis primary endpoint and AUTH token",
            "template": (
                '{"host": "${value:redis_host|json}", "port": ${value:redis_port}, '
                f'"auth_token": "${{secret:{token}|json}}"}}'
            ),
        },
        {
            "name": f"{prefix}/celery_broker_url",
            "description": "AIRFLOW__CELERY__BROKER_URL (TLS, AUTH, certificate checked)",
            "template": f"rediss://:${{secret:{token}|url}}@{redis_location}",
        },
    ]


def log_groups(services: list, name_prefix: str, kms_key_id: str, retention: int, tags: dict) -> list[dict]:
    """One cloudwatch_log_groups entry per service: ``/ecs/<name_prefix>-<service>``."""
    return [log_group_item((f"/ecs/{name_prefix}-{s}", s), kms_key_id, retention, tags) for s in services]


class FilterModule:
    def filters(self):
        return {
            "data_problems": data_problems,
            "mount_targets": mount_targets,
            "log_group_item": log_group_item,
            "log_groups": log_groups,
            "generated_secrets": generated_secrets,
            "connection_secrets": connection_secrets,
            "efs_file_system_policy": efs_file_system_policy,
            "dag_sync_role_arn": dag_sync_role_arn,
            "bucket_tls_policy": bucket_tls_policy,
        }
