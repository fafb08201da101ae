# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Cross-field checks of the data layer's inventory (no AWS call)."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy_documents import (
    deny_without_tls,
    service_trust_policy,
    tls_only_statement,
)

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
    family = ".".join(str(cfg["rds_instance_class"]).split(".")[:2])
    if family not in cfg["rds_instance_families"]:
        problems.append(
            f"data_rds_instance_class={cfg['rds_instance_class']!r} is not allowed "
            f"(families: {', '.join(cfg['rds_instance_families'])})"
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
    buckets = [("dags_bucket_name", "dags"), ("logs_bucket_name", "logs")]
    if "access_logs_bucket_name" in cfg:
        buckets.append(("access_logs_bucket_name", "s3-access-logs"))
    for variable, kind in buckets:
        name, env = str(cfg[variable]), str(cfg.get("env", ""))
        links = [
            {"variable": f"data_{variable}", "value": name, "default": f"pathwai-airflow3-{kind}-{env}"},
            {"variable": "airflow_env", "value": env},
        ]
        problem = aws_rules.blame(bucket_name_problem(f"data_{variable}", name), links)
        if problem:
            problems.append(problem)
    if cfg["efs_throughput_mode"] == "provisioned" and int(cfg["efs_provisioned_throughput_in_mibps"]) <= 0:
        problems.append(
            "data_efs_throughput_mode=provisioned needs data_efs_provisioned_throughput_in_mibps > 0"
        )
    problems.extend(_aws_problems(cfg))
    problems.extend(hardening_problems(cfg))
    return problems


# S3 lifecycle day counts the role sets (S3 refuses 0 and negatives; no library holds the rule).
LIFECYCLE_DAYS = (
    "logs_expiration_days",
    "logs_noncurrent_expiration_days",
    "dags_noncurrent_expiration_days",
    "access_logs_expiration_days",
    "s3_abort_incomplete_multipart_days",
)


def hardening_problems(cfg: dict) -> list[str]:
    """Enhanced monitoring, log retention and the buckets' lifecycle (issue 16): RDS's documented
    monitoring intervals (cfn-lint's schema), on in production; the compute role's log groups kept
    at least ``data_min_log_retention_days`` (when the inventory sets their retention: the data role
    runs before compute's defaults are loaded); lifecycle days S3 accepts."""
    problems = []
    interval = cfg.get("rds_monitoring_interval", 0)
    problem = aws_rules.documented_value_problem(
        "data_rds_monitoring_interval", interval, "AWS::RDS::DBInstance", "MonitoringInterval"
    )
    if problem:
        problems.append(problem)
    elif cfg.get("production") and str(interval) == "0":
        problems.append(
            "data_rds_monitoring_interval=0 in production: RDS enhanced monitoring must be on (1-60 seconds)"
        )
    minimum = cfg.get("min_log_retention_days") or 0
    if not str(minimum).isdigit():
        problems.append(f"data_min_log_retention_days={minimum!r} must be a number of days (0: no minimum)")
        minimum = 0
    kept = [
        ("compute_log_retention_days", cfg.get("log_retention_days")),
        ("compute_exec_log_retention_days", cfg.get("exec_log_retention_days")),
    ]
    for variable, days in kept:
        if str(days).isdigit() and int(days) < int(minimum):
            problems.append(
                f"{variable}={days} is below data_min_log_retention_days={minimum} "
                f"(airflow_env={cfg.get('env', '')!r}): keep the logs at least that long"
            )
    for key in LIFECYCLE_DAYS[1:]:
        if key in cfg and (not str(cfg[key]).isdigit() or int(cfg[key]) < 1):
            problems.append(f"data_{key}={cfg[key]!r} is refused by S3: lifecycle days must be 1 or more")
    return problems


def _major(family: str, engine: str) -> str:
    """postgres16 -> 16, redis7 -> 7, valkey8 -> 8 (the family's major version)."""
    return str(family)[len(engine) :].split(".")[0] if str(family).startswith(engine) else ""


def _engine_problems(cfg: dict) -> list[str]:
    """Engine versions AWS offers and has not deprecated (cfn-lint's data), of the families' majors."""
    redis_engine = "valkey" if str(cfg["redis_parameter_group_family"]).startswith("valkey") else "redis"
    return list(
        filter(
            None,
            [
                aws_rules.engine_version_problem(
                    "data_rds_engine_version",
                    cfg["rds_engine_version"],
                    "AWS::RDS::DBInstance",
                    "postgres",
                    _major(cfg["rds_parameter_group_family"], "postgres"),
                    f"data_rds_parameter_group_family={cfg['rds_parameter_group_family']!r}",
                ),
                aws_rules.engine_version_problem(
                    "data_redis_engine_version",
                    cfg["redis_engine_version"],
                    "AWS::ElastiCache::CacheCluster",
                    redis_engine,
                    _major(cfg["redis_parameter_group_family"], redis_engine),
                    f"data_redis_parameter_group_family={cfg['redis_parameter_group_family']!r}",
                ),
            ],
        )
    )


def _aws_problems(cfg: dict) -> list[str]:
    """What AWS itself would refuse (cfn-lint's resource schemas and data, botocore's models, the
    windows' rules): names derived from the prefix, versions, limits, enumerations, windows."""
    region = cfg.get("region") or aws_rules.DEFAULT_REGION
    prefix = str(cfg.get("name_prefix") or "")
    links = aws_rules.prefix_links("data", prefix, cfg.get("project", ""), cfg.get("env", ""))
    postgres = {"Engine": "postgres"}
    checks = [
        aws_rules.blame(
            aws_rules.property_problem(
                "the RDS instance identifier",
                layer_names(prefix)["db"],
                "AWS::RDS::DBInstance",
                "DBInstanceIdentifier",
            ),
            links,
        ),
        aws_rules.blame(
            aws_rules.name_problem(
                "the ElastiCache replication group id",
                layer_names(prefix)["redis"],
                "AWS::ElastiCache::ReplicationGroup ReplicationGroupId",
            ),
            links,
        ),
        aws_rules.property_problem(
            "data_rds_instance_class",
            cfg["rds_instance_class"],
            "AWS::RDS::DBInstance",
            "DBInstanceClass",
            region,
            postgres,
            extensions=("dbinstanceclass_enum",),
        ),
        aws_rules.property_problem(
            "data_rds_backup_retention_period",
            cfg["rds_backup_retention_period"],
            "AWS::RDS::DBInstance",
            "BackupRetentionPeriod",
            region,
            postgres,
        ),
        aws_rules.property_problem(
            "data_rds_performance_insights_retention_period",
            cfg["rds_performance_insights_retention_period"],
            "AWS::RDS::DBInstance",
            "PerformanceInsightsRetentionPeriod",
            region,
        ),
        aws_rules.property_problem(
            "data_redis_node_type",
            cfg["redis_node_type"],
            "AWS::ElastiCache::CacheCluster",
            "CacheNodeType",
            region,
            extensions=("cachenodetype_enum",),
        ),
        aws_rules.property_problem(
            "data_efs_throughput_mode", cfg["efs_throughput_mode"], "AWS::EFS::FileSystem", "ThroughputMode"
        ),
    ]
    if cfg["efs_lifecycle_transition_to_ia"]:
        checks.append(
            aws_rules.property_problem(
                "data_efs_lifecycle_transition_to_ia",
                cfg["efs_lifecycle_transition_to_ia"],
                "AWS::EFS::FileSystem",
                "LifecyclePolicy.TransitionToIA",
            )
        )
    if cfg["efs_throughput_mode"] == "provisioned":
        checks.append(
            aws_rules.api_member_problem(
                "data_efs_provisioned_throughput_in_mibps",
                cfg["efs_provisioned_throughput_in_mibps"],
                "efs",
                "CreateFileSystem",
                "ProvisionedThroughputInMibps",
            )
        )
    problems = [problem for problem in checks if problem]
    # S3 lifecycle: "Days" must be a positive integer (S3 refuses 0 and negatives; no library holds it).
    days = cfg["logs_expiration_days"]
    if not str(days).isdigit() or int(days) < 1:
        problems.append(
            f"data_logs_expiration_days={days!r} is refused by S3: expiration days must be 1 or more"
        )
    # ElastiCache keeps automatic snapshots 0-35 days (AWS's documented limit).
    if not 0 <= int(cfg["redis_snapshot_retention_limit"]) <= 35:
        problems.append(
            f"data_redis_snapshot_retention_limit={cfg['redis_snapshot_retention_limit']} is refused by "
            "ElastiCache: 0-35 days"
        )
    problems.extend(_engine_problems(cfg))
    problems.extend(
        aws_rules.window_problems(
            ("data_rds_backup_window", cfg["rds_backup_window"]),
            ("data_rds_maintenance_window", cfg["rds_maintenance_window"]),
            30,
            30,
            "RDS",
        )
    )
    problems.extend(
        aws_rules.window_problems(
            ("data_redis_snapshot_window", cfg["redis_snapshot_window"]),
            ("data_redis_maintenance_window", cfg["redis_maintenance_window"]),
            60,
            60,
            "ElastiCache",
        )
    )
    return problems


def mount_targets(subnet_ids: list, security_groups: list) -> list[dict]:
    """One EFS mount target per subnet, each with the given security groups."""
    return [{"subnet_id": subnet, "security_groups": list(security_groups)} for subnet in subnet_ids]


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
        "Statement": [tls_only_statement(bucket)],
    }


def s3_access_log_bucket_policy(bucket: str, account_id: str, source_buckets: list) -> dict:
    """The server-access-log bucket's policy: TLS only, and S3's logging service may put log
    objects for our source buckets in our account only (AWS's documented grant; ACLs stay off)."""
    policy = bucket_tls_policy(bucket)
    policy["Statement"].append(
        {
            "Sid": "S3ServerAccessLogsDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{name}" for name in source_buckets]},
                "StringEquals": {"aws:SourceAccount": str(account_id)},
            },
        }
    )
    return policy


def dag_events_queue_policy(queue_arn: str, bucket: str, account_id: str) -> dict:
    """The DAG-events queue's policy: only S3, on behalf of the DAGs bucket of this account
    (``aws:SourceArn`` and ``aws:SourceAccount``), may send; nothing reaches the queue without TLS.
    Readers (the dag-sync task role) are granted by IAM in the same account, not here."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_without_tls("sqs:*", queue_arn),
            {
                "Sid": "S3DagsBucketNotifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                    "StringEquals": {"aws:SourceAccount": str(account_id)},
                },
            },
        ],
    }


def dlq_policy(queue_arn: str) -> dict:
    """The dead-letter queue's policy: nothing without TLS (SQS moves messages there itself)."""
    return {
        "Version": "2012-10-17",
        "Statement": [deny_without_tls("sqs:*", queue_arn)],
    }


def rds_monitoring_trust_policy(account_id: str) -> dict:
    """Who may assume the RDS enhanced-monitoring role: the RDS monitoring service, for our account."""
    return service_trust_policy("monitoring.rds.amazonaws.com", account_id)


def bucket_lifecycle_rules(dags: str, logs: str, access_logs: str, days: dict) -> list[dict]:
    """One lifecycle rule per bucket (every bucket is versioned): task logs and access logs expire,
    DAGs do not; every bucket expires noncurrent versions and aborts unfinished multipart uploads."""
    abort = int(days["s3_abort_incomplete_multipart_days"])
    return [
        {
            "bucket": dags,
            "id": "expire-noncurrent-dags",
            "noncurrent_days": int(days["dags_noncurrent_expiration_days"]),
            "abort_multipart_days": abort,
        },
        {
            "bucket": logs,
            "id": "expire-task-logs",
            "expiration_days": int(days["logs_expiration_days"]),
            "noncurrent_days": int(days["logs_noncurrent_expiration_days"]),
            "abort_multipart_days": abort,
        },
        {
            "bucket": access_logs,
            "id": "expire-access-logs",
            "expiration_days": int(days["access_logs_expiration_days"]),
            "noncurrent_days": int(days["logs_noncurrent_expiration_days"]),
            "abort_multipart_days": abort,
        },
    ]


def bucket_access_logging(dags: str, logs: str, access_logs: str) -> list[dict]:
    """Server access logging of the DAGs and task-logs buckets into the access-log bucket."""
    return [
        {"name": dags, "target_bucket": access_logs, "target_prefix": "dags/"},
        {"name": logs, "target_bucket": access_logs, "target_prefix": "logs/"},
    ]


RDS_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def rds_monitoring_role(name_prefix: str, account_id: str, tags: dict, env: str) -> dict:
    """The RDS enhanced-monitoring role as an iam_roles entry: trusted by monitoring.rds for our
    account, AWS's managed AmazonRDSEnhancedMonitoringRole policy only, no inline policy."""
    return {
        "name": layer_names(name_prefix)["rds_monitoring_role"],
        "description": f"{name_prefix} RDS enhanced monitoring (publishes OS metrics to CloudWatch Logs)",
        "assume_role_policy": rds_monitoring_trust_policy(account_id),
        "inline_policies": {},
        "managed_policy_arns": [RDS_MONITORING_POLICY],
        "tags": {**tags, "airflow:env": env, "airflow:component": "rds"},
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


# The RDS CA bundle in the Airflow image (files/images/airflow/Dockerfile, pinned by checksum): the
# database connections verify the server certificate against it and its host name (verify-full).
RDS_CA_BUNDLE = "/etc/ssl/certs/rds-global-bundle.pem"


def connection_secrets(prefix: str, ca_bundle: str = RDS_CA_BUNDLE) -> list[dict]:
    """The secrets managed_secret composes from the generated ones and the endpoints.

    The database URLs verify the server (``sslmode=verify-full``: the certificate against
    ``ca_bundle``, the RDS CA bundle in the image, and the endpoint's host name); the broker URL
    verifies ElastiCache's certificate against the image's CA store (``ssl_cert_reqs=required``).
    ``${value:...}`` and ``${secret:...}`` are filled inside the module (module_utils/managed_secret.py)."""
    password = f"{prefix}/db_master_password"
    token = f"{prefix}/redis_auth_token"
    db_auth = f"${{value:db_user|url}}:${{secret:{password}|url}}"
    verified = f"sslmode=verify-full&sslrootcert={ca_bundle}"
    db_location = f"${{value:db_host}}:${{value:db_port}}/${{value:db_name|url}}?{verified}"
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


class FilterModule:
    def filters(self):
        return {
            "data_problems": data_problems,
            "mount_targets": mount_targets,
            "generated_secrets": generated_secrets,
            "connection_secrets": connection_secrets,
            "efs_file_system_policy": efs_file_system_policy,
            "dag_sync_role_arn": dag_sync_role_arn,
            "bucket_tls_policy": bucket_tls_policy,
            "s3_access_log_bucket_policy": s3_access_log_bucket_policy,
            "rds_monitoring_role": rds_monitoring_role,
            "bucket_lifecycle_rules": bucket_lifecycle_rules,
            "bucket_access_logging": bucket_access_logging,
            "dag_events_queue_policy": dag_events_queue_policy,
            "dlq_policy": dlq_policy,
        }
