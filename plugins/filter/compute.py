# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The compute layer as data: inventory checks, IAM policies and task definitions (no AWS call).

Every Airflow service is one row of the ``compute_services`` table; these filters turn a row
plus the looked-up context (key, secret, bucket, log group and EFS identifiers) into the IAM
policy and the ECS task definition the role registers. Keeping it here makes one place to read,
test and audit what each service may do and what it runs.
"""

from __future__ import annotations

import json
import re

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy_documents import service_trust_policy

# AWS Fargate task sizes: cpu units -> allowed memory (MiB).
FARGATE_SIZES = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# The two services outside the table: the DAG sync (its own row, compute_dag_sync) and the one-off
# db migrate task (compute_migrate). No row of compute_services may take these names.
DAG_SYNC = "dag-sync"
MIGRATE = "db-migrate"
# Secrets an Airflow row may name (its `secrets`): short name under the secret prefix -> the
# variable the container gets. jwt_secret ([api_auth] jwt_secret) signs and checks task tokens.
SECRET_VARIABLES = {
    "sql_alchemy_conn": "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "celery_broker_url": "AIRFLOW__CELERY__BROKER_URL",
    "celery_result_backend": "AIRFLOW__CELERY__RESULT_BACKEND",
    "fernet_key": "AIRFLOW__CORE__FERNET_KEY",
    "api_secret_key": "AIRFLOW__API__SECRET_KEY",
    "jwt_secret": "AIRFLOW__API_AUTH__JWT_SECRET",
}
# Every key a row may have, and the value a row without it gets (None: required).
ROW_KEYS = {
    "image": None,
    "cpu": None,
    "memory": None,
    "command": None,
    "health_command": None,
    "security_group": None,
    "log_group": None,
    "secrets": None,
    "desired_count": 1,
    "capacity_provider": "FARGATE",
    "environment": {},
    "port": None,
    "tls": False,
    "load_balancer": False,
    "login": False,
    "task_logs": "none",
    "metrics": False,
    "queue_depth": False,
    "queues": None,
    "concurrency": 16,
    "scale_in_protection": False,
    "min_capacity": None,
    "max_capacity": None,
    "scale_out_step": None,
    "scale_in_step": None,
    "stop_timeout": 30,
    "health_start_period": 120,
    "health_interval": 30,
    "health_timeout": 30,
    "health_retries": 3,
    "extends": None,
    "user": None,
    "scratch_paths": [],
}
TASK_LOGS = ("none", "read", "write")
# The one-off migration reads only these.
MIGRATE_SECRETS = ("sql_alchemy_conn", "fernet_key")
ROW_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
IMAGE = re.compile(r"^(?P<repo>[^@\s]+?)(?::(?P<tag>[\w][\w.-]{0,127})|@sha256:[0-9a-f]{64})$")
DAGS_VOLUME = "dags"
STATSD_ENVIRONMENT = {
    "AIRFLOW__METRICS__STATSD_ON": "True",
    "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
    "AIRFLOW__METRICS__STATSD_PORT": "8125",
    "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
}
DAGS_PATH = "/opt/airflow/dags"
# `user` of a container definition: a numeric uid (not 0), optionally :gid.
CONTAINER_USER = re.compile(r"^(?P<uid>[0-9]{1,10})(?::[0-9]{1,10})?$")
SCRATCH_PATH = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
# A row with `tls`: the container starts through airflow_ecs_image.serve_tls, which writes a new key
# and self-signed certificate here (the task's own file system) and then runs `airflow <command>`;
# Airflow's api-server reads the same variables ([api] ssl_cert / ssl_key) and serves HTTPS. /tmp is
# the task's own, new with each container (issue 16's read-only root needs a task volume there).
TLS_ENTRYPOINT = ["python", "-m", "airflow_ecs_image.serve_tls"]
TLS_ENVIRONMENT = {
    "AIRFLOW__API__SSL_CERT": "/tmp/airflow-tls/api-server.pem",  # noqa: S108 - the task's own /tmp
    "AIRFLOW__API__SSL_KEY": "/tmp/airflow-tls/api-server.key",  # noqa: S108 - the task's own /tmp
}


def image_problem(variable: str, image: str) -> str | None:
    """Why ``image`` cannot be deployed reproducibly (no tag or digest), or None."""
    last = str(image or "").rsplit("/", 1)[-1]
    if not image or not IMAGE.match(str(image)) or (":" not in last and "@" not in last):
        return f"{variable}={image!r} must name a tag or a digest (repository:tag or repository@sha256:...)"
    return None


def size_problem(variable: str, cpu, memory) -> str | None:
    try:
        cpu_i, mem_i = int(cpu), int(memory)
    except (TypeError, ValueError):
        return f"{variable}: cpu={cpu!r} and memory={memory!r} must be integers (cpu units, MiB)"
    if cpu_i not in FARGATE_SIZES:
        return f"{variable}: cpu={cpu_i} is not a Fargate size (one of {', '.join(map(str, FARGATE_SIZES))})"
    allowed = FARGATE_SIZES[cpu_i]
    if mem_i not in allowed:
        return (
            f"{variable}: memory={mem_i} is not valid with cpu={cpu_i} on Fargate "
            f"({allowed[0]}-{allowed[-1]} MiB in steps of {allowed[1] - allowed[0]})"
        )
    return None


# ---- The service table --------------------------------------------------------------------


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in over.items()}}
    return over


def merged_rows(defaults: dict, overlay: dict | None = None) -> dict:
    """``compute_services_defaults`` with the overlay merged over it (recursive), as written: an
    overlay row set to null removes that service."""
    merged = _merge(dict(defaults or {}), dict(overlay or {}))
    return {name: row for name, row in merged.items() if row is not None}


def service_table(defaults: dict, overlay: dict | None = None, merged: dict | None = None) -> dict:
    """The merged rows (:func:`merged_rows`, or ``merged`` when the caller has them) with each row's
    ``extends`` resolved (the named row's merged row, then this row's keys over it) and every
    optional key filled in (ROW_KEYS)."""
    merged = merged_rows(defaults, overlay) if merged is None else merged

    def resolve(name: str, seen: tuple) -> dict:
        row = dict(merged[name] or {})
        parent = row.get("extends")
        if parent and parent in merged and parent not in seen:
            row = _merge(resolve(parent, (*seen, parent)), {k: v for k, v in row.items() if k != "extends"})
            row["extends"] = parent
        return row

    table = {}
    for name in merged:
        row = resolve(name, (name,))
        table[name] = {key: row.get(key, default) for key, default in ROW_KEYS.items()}
        table[name].update({k: v for k, v in row.items() if k not in ROW_KEYS})
    return table


def service_names(table: dict) -> list[str]:
    """Every long-running service: the table's rows, then the DAG sync."""
    return [*table, DAG_SYNC]


def worker_pools(table: dict) -> dict:
    """Celery worker pools (rows with ``queues``): service -> its queues."""
    return {name: list(row["queues"]) for name, row in table.items() if row.get("queues")}


def autoscaled(table: dict) -> list[str]:
    """Rows whose desired count Application Auto Scaling owns (min/max capacity set)."""
    return [name for name, row in table.items() if row.get("max_capacity") is not None]


def scalable_targets(table: dict, cluster: str, prefix: str) -> list[dict]:
    """The Application Auto Scaling targets of the autoscaled rows (teardown_extras' shape)."""
    return [
        {
            "service_namespace": "ecs",
            "resource_id": f"service/{cluster}/{prefix}-{name}",
            "scalable_dimension": "ecs:service:DesiredCount",
        }
        for name in autoscaled(table)
    ]


def _count_problems(name: str, row: dict) -> list[str]:
    problems = []
    desired = row.get("desired_count", 1)
    low, high = row.get("min_capacity"), row.get("max_capacity")
    if int(desired) < 0:
        problems.append(f"compute_services.{name}.desired_count={desired} must be >= 0")
    if (low is None) != (high is None):
        problems.append(
            f"compute_services.{name} needs both min_capacity and max_capacity (autoscaling) or neither"
        )
    elif low is not None:
        if int(low) > int(high):
            problems.append(
                f"compute_services.{name}: min_capacity={low} is greater than max_capacity={high}"
            )
        elif not int(low) <= int(desired) <= int(high):
            problems.append(
                f"compute_services.{name}.desired_count={desired} is outside min_capacity..max_capacity "
                f"({low}..{high})"
            )
        if int(low) < 0:
            problems.append(
                f"compute_services.{name}.min_capacity={low} is refused by Application Auto "
                "Scaling: capacities are 0 or more"
            )
    return problems


def _row_problems(name: str, row: dict, raw: dict) -> list[str]:
    """What is wrong with one row's shape (before any AWS rule)."""
    where = f"compute_services.{name}"
    problems = []
    if not ROW_NAME.match(name) or name in (DAG_SYNC, MIGRATE):
        return [
            f"{where}: a service name is 1-31 lower-case letters, digits and hyphens, from a letter, "
            f"and not {DAG_SYNC} or {MIGRATE} (their rows are compute_dag_sync and compute_migrate)"
        ]
    parent = (raw.get(name) or {}).get("extends")
    if parent and parent not in raw:
        problems.append(f"{where}.extends={parent!r} names no row (rows: {', '.join(raw)})")
    unknown = sorted(set(raw.get(name) or {}) - set(ROW_KEYS))
    if unknown:
        problems.append(f"{where} has unknown keys {unknown} (known: {', '.join(ROW_KEYS)})")
    missing = [
        key
        for key, default in ROW_KEYS.items()
        if default is None and key not in _OPTIONAL and row.get(key) in (None, "", [])
    ]
    if missing:
        problems.append(f"{where} is missing {missing} (or `extends: <row>` to take them from another row)")
    bad_secrets = sorted(set(row.get("secrets") or []) - set(SECRET_VARIABLES))
    if bad_secrets:
        problems.append(
            f"{where}.secrets names unknown secrets {bad_secrets} (known: {', '.join(SECRET_VARIABLES)})"
        )
    if row.get("task_logs") not in TASK_LOGS:
        problems.append(f"{where}.task_logs={row.get('task_logs')!r} must be one of {', '.join(TASK_LOGS)}")
    if row.get("load_balancer") and not row.get("port"):
        problems.append(f"{where}: load_balancer needs the container's port")
    if row.get("load_balancer") and not row.get("tls"):
        problems.append(
            f"{where}: load_balancer needs tls: true (the ALB's target group and health check speak HTTPS)"
        )
    if row.get("tls") and not row.get("port"):
        problems.append(f"{where}: tls serves the container's port over HTTPS: set port")
    if row.get("queue_depth") and not row.get("metrics"):
        problems.append(f"{where}: queue_depth is published by the metrics container: set metrics: true")
    queues = row.get("queues")
    if queues is not None and (
        not isinstance(queues, list) or not queues or not all(QUEUE_NAME.match(str(q)) for q in queues)
    ):
        problems.append(f"{where}.queues={queues!r} must be a non-empty list of Celery queue names")
    return problems


# Row keys that may stay unset: the optional ones (None means "not set" for these).
_OPTIONAL = ("port", "queues", "min_capacity", "max_capacity", "scale_out_step", "scale_in_step", "extends")


def _table_problems(table: dict, raw: dict) -> list[str]:
    problems = []
    for name, row in table.items():
        problems.extend(_row_problems(name, row, raw))
    served: dict[str, str] = {}
    for pool, queues in worker_pools(table).items():
        for queue in queues:
            if queue in served:
                problems.append(
                    f"Celery queue {queue!r} is served by both compute_services.{served[queue]} and "
                    f"compute_services.{pool}: a queue belongs to one pool (its autoscaling reads that queue)"
                )
            served.setdefault(queue, pool)
    fronted = [name for name, row in table.items() if row.get("load_balancer")]
    if len(fronted) > 1:
        problems.append(
            f"compute_services: only one row may sit behind the ALB's target group (now {fronted})"
        )
    if not any(row.get("queue_depth") for row in table.values()) and autoscaled(table):
        problems.append(
            "compute_services: autoscaled pools scale on queue depth; no row publishes it (queue_depth: true)"
        )
    return problems


def _filesystem_problems(variable: str, row: dict, said_missing: bool) -> list[str]:
    """Every container runs as a pinned non-root user on a read-only root file system; only the
    row's scratch paths (task-scoped volumes) are writable. ``said_missing``: a table row without a
    user is already reported as missing a required key."""
    problems = []
    user = row.get("user")
    found = CONTAINER_USER.match(str(user or ""))
    if not (user is None and said_missing) and (not found or int(found["uid"]) == 0):
        problems.append(
            f"{variable}.user={row.get('user')!r}: pin the image's non-root numeric user "
            "(uid or uid:gid, not 0), e.g. '50000:0'"
        )
    paths = row.get("scratch_paths") or []
    for path in paths:
        if not SCRATCH_PATH.match(str(path)) or path == DAGS_PATH or str(path).startswith(DAGS_PATH + "/"):
            problems.append(
                f"{variable}.scratch_paths has {path!r}: an absolute directory other than / and the DAGs "
                f"folder {DAGS_PATH} (letters, digits, . _ - between slashes)"
            )
    if len(set(map(scratch_volume, paths))) != len(paths):
        problems.append(f"{variable}.scratch_paths repeats a path: {paths}")
    return problems


def compute_problems(cfg: dict) -> list[str]:
    """Every reason the compute inventory cannot be deployed. ``cfg``: services_defaults and
    services (the table and its overlay), dag_sync (its row), migrate (its row),
    default_capacity_provider_strategy, capacity_providers, and the names _aws_problems checks."""
    problems: list[str] = []
    raw = merged_rows(cfg.get("services_defaults") or {}, cfg.get("services"))
    table = service_table({}, merged=raw)
    problems.extend(_table_problems(table, raw))
    rows = {**table, DAG_SYNC: cfg["dag_sync"], MIGRATE: cfg["migrate"]}
    for name, row in rows.items():
        variable = {DAG_SYNC: "compute_dag_sync", MIGRATE: "compute_migrate"}.get(
            name, f"compute_services.{name}"
        )
        problems.extend(filter(None, [size_problem(variable, row.get("cpu"), row.get("memory"))]))
        problems.extend(filter(None, [image_problem(f"{variable}.image", row.get("image"))]))
        problems.extend(_filesystem_problems(variable, row, said_missing=name in table))
        if name in table:
            problems.extend(_count_problems(name, row))
        provider = row.get("capacity_provider", "FARGATE")
        if provider not in cfg["capacity_providers"] or provider not in CAPACITY_PROVIDERS:
            problems.append(
                f"{variable}.capacity_provider={provider!r} is not one of the cluster's capacity providers "
                f"({', '.join(p for p in cfg['capacity_providers'] if p in CAPACITY_PROVIDERS)})"
            )
    for provider in cfg["capacity_providers"]:
        if provider not in CAPACITY_PROVIDERS:
            problems.append(
                f"compute_capacity_providers has {provider!r}: "
                f"a Fargate cluster knows {', '.join(CAPACITY_PROVIDERS)}"
            )
    for entry in cfg["default_capacity_provider_strategy"]:
        if entry.get("capacity_provider") not in cfg["capacity_providers"]:
            problems.append(
                f"compute_default_capacity_provider_strategy names {entry.get('capacity_provider')!r}, "
                "which is not in compute_capacity_providers"
            )
    problems.extend(_aws_problems(cfg, rows))
    return problems


def _aws_problems(cfg: dict, rows: dict) -> list[str]:
    """What AWS itself would refuse: the cluster, service and IAM role names (said about the
    variable the user set), the exec log group, the CPU architecture, autoscaling bounds."""
    prefix = str(cfg.get("name_prefix") or "")
    root = aws_rules.prefix_links("compute", prefix, cfg.get("project", ""), cfg.get("env", ""))
    cluster = str(cfg.get("cluster_name") or "")
    exec_group = str(cfg.get("exec_log_group") or "")
    checks = [
        aws_rules.blame(
            aws_rules.name_problem("compute_cluster_name", cluster, "AWS::ECS::Cluster ClusterName"),
            [{"variable": "compute_cluster_name", "value": cluster, "default": prefix}, *root],
        ),
        aws_rules.blame(
            aws_rules.property_problem(
                "compute_exec_log_group", exec_group, "AWS::Logs::LogGroup", "LogGroupName"
            ),
            [
                {
                    "variable": "compute_exec_log_group",
                    "value": exec_group,
                    "default": layer_names(prefix)["exec_log_group"],
                },
                *root,
            ],
        ),
        aws_rules.property_problem(
            "compute_log_retention_days",
            cfg.get("log_retention_days", 30),
            "AWS::Logs::LogGroup",
            "RetentionInDays",
        ),
        aws_rules.property_problem(
            "compute_exec_log_retention_days",
            cfg.get("exec_log_retention_days", 30),
            "AWS::Logs::LogGroup",
            "RetentionInDays",
        ),
        aws_rules.property_problem(
            "compute_cpu_architecture",
            cfg.get("cpu_architecture", "X86_64"),
            "AWS::ECS::TaskDefinition",
            "RuntimePlatform.CpuArchitecture",
        ),
    ]
    for short, name in log_groups(
        prefix, {n: r for n, r in rows.items() if n not in (DAG_SYNC, MIGRATE)}
    ).items():
        checks.append(
            aws_rules.blame(
                aws_rules.property_problem(
                    f"the log group name of {short!r}", name, "AWS::Logs::LogGroup", "LogGroupName"
                ),
                root,
            )
        )
    names = [f"{prefix}-{service}-execution" for service in rows]
    names += [f"{prefix}-{service}-task" for service in rows if service != MIGRATE]
    # The first refused IAM role and service name is enough: they share the prefix.
    checks.append(
        next(
            filter(
                None,
                (
                    aws_rules.api_member_problem("the IAM role name", name, "iam", "CreateRole", "RoleName")
                    for name in names
                ),
            ),
            None,
        )
    )
    checks[-1] = aws_rules.blame(checks[-1], root)
    checks.append(
        aws_rules.blame(
            next(
                filter(
                    None,
                    (
                        aws_rules.name_problem(
                            "the ECS service name", f"{prefix}-{service}", "AWS::ECS::Service ServiceName"
                        )
                        for service in rows
                    ),
                ),
                None,
            ),
            root,
        )
    )
    if not cfg.get("alb_domain_name", "set"):
        checks.append(
            "compute_alb_domain_name (default: alb_domain_name) is empty: Airflow's workers, triggerer and "
            "dag-processor reach the Task Execution API at https://<that name>:"
            f"{cfg.get('execution_api_port')}/execution/ and verify the ALB certificate against it"
        )
    problems = []
    for problem in checks:
        if problem and problem not in problems:
            problems.append(problem)
    return problems


# ---- IAM ------------------------------------------------------------------------------------


def _statement(sid: str, actions: list[str], resources, condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _log_group_arn(ctx: dict, group: str) -> str:
    return f"arn:aws:logs:{ctx['region']}:{ctx['account_id']}:log-group:{group}:*"


def _exec_statements(ctx: dict) -> list[dict]:
    """ECS Exec: the SSM channel (no resource-level permissions exist) and its encrypted log group."""
    return [
        _statement(
            "EcsExecChannel",
            [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "*",
        ),
        _statement(
            "EcsExecLogs",
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            _log_group_arn(ctx, ctx["exec_log_group"]),
        ),
        _statement("EcsExecLogsGroups", ["logs:DescribeLogGroups"], "*"),
        _statement("EcsExecKeys", ["kms:Decrypt", "kms:GenerateDataKey"], ctx["key_arns"]["logs"]),
    ]


def _efs_statement(ctx: dict, write: bool) -> dict:
    actions = ["elasticfilesystem:ClientMount"] + (["elasticfilesystem:ClientWrite"] if write else [])
    return _statement(
        "DagsFileSystem",
        actions,
        ctx["efs"]["arn"],
        {"StringEquals": {"elasticfilesystem:AccessPointArn": ctx["efs"]["access_point_arn"]}},
    )


def _task_logs_statements(ctx: dict, write: bool) -> list[dict]:
    """Remote task logs in s3://<logs bucket>/<env>/ (the s3 key encrypts them)."""
    bucket = f"arn:aws:s3:::{ctx['logs_bucket']}"
    objects = ["s3:GetObject"] + (["s3:PutObject"] if write else [])
    keys = ["kms:Decrypt"] + (["kms:GenerateDataKey"] if write else [])
    return [
        _statement(
            "TaskLogsList", ["s3:ListBucket"], bucket, {"StringLike": {"s3:prefix": [f"{ctx['env']}/*"]}}
        ),
        _statement("TaskLogsObjects", objects, f"{bucket}/{ctx['env']}/*"),
        _statement("TaskLogsKey", keys, ctx["key_arns"]["s3"]),
    ]


def metrics_namespaces(row: dict) -> list[str]:
    """The CloudWatch namespaces a row's metrics container puts into."""
    return ["Airflow"] + (["Airflow/Celery"] if row.get("queue_depth") else [])


def _metrics_statement(row: dict) -> dict:
    """PutMetricData for the metrics container, limited to its namespaces."""
    return _statement(
        "AirflowMetrics",
        ["cloudwatch:PutMetricData"],
        "*",
        {"StringEquals": {"cloudwatch:namespace": metrics_namespaces(row)}},
    )


def _row_statements(ctx: dict, row: dict) -> list[dict]:
    """An Airflow row's own grants: its DAG mount (read-only), its task logs (``task_logs``), the
    scale-in protection of its own tasks, its metrics namespaces. No ecs:RunTask or iam:PassRole
    for any row (Celery needs neither)."""
    cluster_tasks = f"arn:aws:ecs:{ctx['region']}:{ctx['account_id']}:task/{ctx['cluster']}/*"
    statements = []
    if row["task_logs"] != "none":
        statements.extend(_task_logs_statements(ctx, write=row["task_logs"] == "write"))
    statements.append(_efs_statement(ctx, write=False))
    if row.get("scale_in_protection"):
        statements.append(
            _statement(
                "ScaleInProtection", ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"], cluster_tasks
            )
        )
    if row.get("metrics"):
        statements.append(_metrics_statement(row))
    return statements


def dag_events_context(delivery: str, region: str, account_id: str, queue_name: str, reconcile: int) -> dict:
    """The DAG-events queue the dag-sync program long-polls in event mode (the data role's queue,
    named by the layer names), and its full-reconcile interval; empty in poll mode."""
    if delivery != "event":
        return {}
    return {
        "queue_arn": f"arn:aws:sqs:{region}:{account_id}:{queue_name}",
        "queue_url": f"https://sqs.{region}.amazonaws.com/{account_id}/{queue_name}",
        "reconcile_interval": int(reconcile),
    }


def _dag_events_statements(ctx: dict) -> list[dict]:
    """Event mode: receive and delete on the DAG-events queue only (DeleteMessageBatch is
    sqs:DeleteMessage); its messages are decrypted with the s3 key, already granted (DagsKey)."""
    events = ctx.get("dag_events") or {}
    if not events:
        return []
    return [_statement("DagEvents", ["sqs:DeleteMessage", "sqs:ReceiveMessage"], events["queue_arn"])]


def _dag_sync_statements(ctx: dict) -> list[dict]:
    dags = f"arn:aws:s3:::{ctx['dags_bucket']}"
    return [
        *_dag_events_statements(ctx),
        _statement("DagsList", ["s3:ListBucket"], dags, {"StringLike": {"s3:prefix": [f"{ctx['env']}/*"]}}),
        _statement("DagsRead", ["s3:GetObject"], f"{dags}/{ctx['env']}/*"),
        _statement("DagsKey", ["kms:Decrypt"], ctx["key_arns"]["s3"]),
        _statement(
            "SyncLagMetric",
            ["cloudwatch:PutMetricData"],
            "*",
            {"StringEquals": {"cloudwatch:namespace": ctx["dag_sync_metric_namespace"]}},
        ),
        _efs_statement(ctx, write=True),
    ]


def task_role_policies(ctx: dict) -> dict:
    """Service -> the inline policy document of its task role, from its row (``ctx['services']``,
    the merged table). No wildcard action; every KMS grant names its key ARN; S3 grants name bucket
    and prefix."""
    per_service = {name: _row_statements(ctx, row) for name, row in ctx["services"].items()}
    per_service[DAG_SYNC] = _dag_sync_statements(ctx)
    return {
        service: {"Version": "2012-10-17", "Statement": statements + _exec_statements(ctx)}
        for service, statements in per_service.items()
    }


def _row_of(ctx: dict, service: str) -> dict:
    if service == DAG_SYNC:
        return ctx["dag_sync"]
    return ctx["migrate"] if service == MIGRATE else ctx["services"][service]


def service_secrets(ctx: dict, service: str) -> list[str]:
    """Short names of every secret a service's task definition names (all its containers): its
    row's ``secrets`` (the metrics container's broker URL is one of them), db migrate's two, none for
    the DAG sync. Its execution role may read exactly these."""
    if service == DAG_SYNC:
        return []
    if service == MIGRATE:
        return list(MIGRATE_SECRETS)
    row = ctx["services"][service]
    return sorted(set(row["secrets"]) | ({"celery_broker_url"} if row.get("queue_depth") else set()))


def _log_group_of(ctx: dict, service: str) -> str:
    return service if service in (DAG_SYNC, MIGRATE) else ctx["services"][service]["log_group"]


def execution_role_policy(ctx: dict, service: str) -> dict:
    """The task execution role of one service: pull its image, write to its log group, read exactly
    the secrets its task definition names (by ARN) and decrypt them."""
    image = _row_of(ctx, service)["image"]
    match = re.match(
        r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)", image
    )
    statements = []
    if match:
        repository = f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
        statements += [
            _statement("EcrAuth", ["ecr:GetAuthorizationToken"], "*"),
            _statement(
                "EcrPull",
                ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                [repository],
            ),
        ]
    group = ctx["log_groups"][_log_group_of(ctx, service)]
    statements.append(
        _statement(
            "ContainerLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [_log_group_arn(ctx, group)]
        )
    )
    secrets = service_secrets(ctx, service)
    if secrets:
        arns = sorted(_secret_arn(ctx, short) for short in secrets)
        statements += [
            _statement("Secrets", ["secretsmanager:GetSecretValue"], arns),
            _statement("SecretsKey", ["kms:Decrypt"], ctx["key_arns"]["secrets"]),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def task_trust_policy(ctx: dict) -> dict:
    """ECS tasks of this account may assume the role."""
    return service_trust_policy("ecs-tasks.amazonaws.com", ctx["account_id"])


# ---- Task definitions ------------------------------------------------------------------------


def _env_list(env: dict) -> list[dict]:
    return [{"name": k, "value": str(v)} for k, v in sorted(env.items())]


def _secret_arn(ctx: dict, short: str) -> str:
    name = f"{ctx['secret_prefix']}/{short}"
    if name not in ctx["secret_arns"]:
        raise ValueError(f"secret {name} is missing (run phase 2 first)")
    return ctx["secret_arns"][name]


def _secret_list(ctx: dict, wanted: dict) -> list[dict]:
    missing = [
        short for short in wanted.values() if f"{ctx['secret_prefix']}/{short}" not in ctx["secret_arns"]
    ]
    if missing:
        raise ValueError(f"secrets missing under {ctx['secret_prefix']}/: {missing} (run phase 2 first)")
    return [
        {"name": name, "valueFrom": ctx["secret_arns"][f"{ctx['secret_prefix']}/{short}"]}
        for name, short in sorted(wanted.items())
    ]


def _logging(ctx: dict, group: str, stream_prefix: str) -> dict:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": ctx["log_groups"][group],
            "awslogs-region": ctx["region"],
            "awslogs-stream-prefix": stream_prefix,
        },
    }


def _health(command: list[str], row: dict) -> dict:
    return {
        "command": ["CMD", *command],
        "interval": int(row.get("health_interval", 30)),
        "timeout": int(row.get("health_timeout", 30)),
        "retries": int(row.get("health_retries", 3)),
        "startPeriod": int(row.get("health_start_period", 120)),
    }


def scratch_volume(path: str) -> str:
    """The task-scoped volume (Fargate: empty ephemeral storage) mounted writable at ``path``."""
    return "scratch-" + str(path).strip("/").replace("/", "-").replace(".", "-")


def _scratch_mounts(row: dict) -> list[dict]:
    return [
        {"sourceVolume": scratch_volume(path), "containerPath": path, "readOnly": False}
        for path in row.get("scratch_paths") or []
    ]


def _scratch_volumes(row: dict) -> list[dict]:
    return [{"name": scratch_volume(path)} for path in row.get("scratch_paths") or []]


def _locked_down(container: dict, row: dict) -> dict:
    """A read-only root file system and the row's pinned user; writable only where the row's
    scratch paths (and a writable mount the caller added) are."""
    container["readonlyRootFilesystem"] = True
    container["user"] = str(row["user"])
    container["mountPoints"] = [*container.get("mountPoints", []), *_scratch_mounts(row)]
    return container


def _task(ctx: dict, service: str, row: dict, containers: list, task_role: str | None, volumes: list) -> dict:
    task = {
        "family": f"{ctx['prefix']}-{service}",
        "cpu": str(row["cpu"]),
        "memory": str(row["memory"]),
        "network_mode": "awsvpc",
        "requires_compatibilities": ["FARGATE"],
        "execution_role_arn": ctx["execution_role_arns"][service],
        "runtime_platform": {"cpu_architecture": ctx["cpu_architecture"], "operating_system_family": "LINUX"},
        "container_definitions": containers,
        "volumes": [*volumes, *_scratch_volumes(row)],
    }
    if task_role:
        task["task_role_arn"] = task_role
    return task


def _dags_volume(ctx: dict) -> list[dict]:
    return [
        {
            "name": DAGS_VOLUME,
            "efsVolumeConfiguration": {
                "fileSystemId": ctx["efs"]["file_system_id"],
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": ctx["efs"]["access_point_id"], "iam": "ENABLED"},
            },
        }
    ]


def metrics_container(service: str, ctx: dict, row: dict) -> dict:
    """The non-essential second container of a row with ``metrics``: Airflow's StatsD to
    CloudWatch and, with ``queue_depth``, every worker pool's Celery queue depth read from Redis
    with the broker URL (one datum per pool, dimension WorkerPool, and the total)."""
    logging = _logging(ctx, row["log_group"], f"{service}-metrics")
    env = {"AIRFLOW_ECS_METRICS_ENVIRONMENT": ctx["env"], "AWS_REGION": ctx["region"]}
    command = ["airflow_ecs_image.statsd_bridge"]
    if row.get("queue_depth"):
        command.append("--queue-depth")
        env["AIRFLOW_ECS_QUEUE_POOLS"] = json.dumps(worker_pools(ctx["services"]), sort_keys=True)
    container = {
        "name": "metrics",
        "image": row["image"],
        "essential": False,
        "entryPoint": ["python", "-m"],
        "command": command,
        "environment": _env_list(env),
        "logConfiguration": logging,
        "stopTimeout": 10,
        # Writes nothing: a read-only root and no mount at all.
        "readonlyRootFilesystem": True,
        "user": str(row["user"]),
    }
    if row.get("queue_depth"):
        container["secrets"] = _secret_list(ctx, {"AIRFLOW__CELERY__BROKER_URL": "celery_broker_url"})
    return container


def _command(row: dict) -> list[str]:
    """The row's command; a worker pool serves its queues (``airflow celery worker --queues``)."""
    command = [str(part) for part in row["command"]]
    if row.get("queues"):
        command += ["--queues", ",".join(row["queues"])]
    return command


def airflow_task_definition(service: str, ctx: dict) -> dict:
    """The task definition (pathwai.airflow_ecs.ecs_task_definition options) of one Airflow service,
    from its row alone: image, size, command, health check, port (HTTPS with ``tls``), secrets,
    login settings, worker concurrency, metrics container, log group."""
    row = ctx["services"][service]
    env = dict(ctx["airflow_environment"])
    env.update(row.get("environment") or {})
    if row.get("login"):
        env.update(ctx["auth_environment"])
    if row.get("queues"):
        env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = row.get("concurrency", 16)
    if row.get("metrics"):
        env.update(STATSD_ENVIRONMENT)
    if row.get("tls"):
        env.update(TLS_ENVIRONMENT)
    container = {
        "name": service,
        "image": row["image"],
        "essential": True,
        "command": _command(row),
        "environment": _env_list(env),
        "secrets": _secret_list(ctx, {SECRET_VARIABLES[short]: short for short in row["secrets"]}),
        "mountPoints": [{"sourceVolume": DAGS_VOLUME, "containerPath": DAGS_PATH, "readOnly": True}],
        "logConfiguration": _logging(ctx, row["log_group"], service),
        "healthCheck": _health(row["health_command"], row),
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": int(row.get("stop_timeout", 30)),
    }
    if row.get("tls"):
        container["entryPoint"] = list(TLS_ENTRYPOINT)
    if row.get("port"):
        container["portMappings"] = [{"containerPort": int(row["port"]), "protocol": "tcp"}]
    containers = [_locked_down(container, row)]
    if row.get("metrics"):
        containers.append(metrics_container(service, ctx, row))
    return _task(ctx, service, row, containers, ctx["task_role_arns"][service], _dags_volume(ctx))


def _dag_events_environment(ctx: dict) -> dict:
    """Event mode on (the queue's URL) with its periodic full reconcile; nothing in poll mode."""
    events = ctx.get("dag_events") or {}
    if not events:
        return {}
    return {
        "DAG_SYNC_QUEUE_URL": events["queue_url"],
        "DAG_SYNC_RECONCILE_INTERVAL": str(events["reconcile_interval"]),
    }


def dag_sync_task_definition(ctx: dict) -> dict:
    row = ctx["dag_sync"]
    env = {
        "DAGS_BUCKET": ctx["dags_bucket"],
        "ENV": ctx["env"],
        "DAG_SYNC_DEST": DAGS_PATH,
        "DAG_SYNC_METRIC_NAMESPACE": ctx["dag_sync_metric_namespace"],
        "AWS_REGION": ctx["region"],
        "AWS_DEFAULT_REGION": ctx["region"],
        **_dag_events_environment(ctx),
        **(row.get("environment") or {}),
    }
    container = {
        "name": "dag-sync",
        "image": row["image"],
        "essential": True,
        "environment": _env_list(env),
        "mountPoints": [{"sourceVolume": DAGS_VOLUME, "containerPath": DAGS_PATH, "readOnly": False}],
        "logConfiguration": _logging(ctx, DAG_SYNC, DAG_SYNC),
        "healthCheck": _health(["airflow-dag-sync", "--health"], row),
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
    }
    return _task(
        ctx, DAG_SYNC, row, [_locked_down(container, row)], ctx["task_role_arns"][DAG_SYNC], _dags_volume(ctx)
    )


def migrate_task_definition(ctx: dict) -> dict:
    """The one-off `airflow db migrate`: the database URL only, no mount, no task role."""
    row = ctx["migrate"]
    container = {
        "name": "db-migrate",
        "image": row["image"],
        "essential": True,
        "command": list(row["command"]),
        "environment": _env_list(
            {k: v for k, v in ctx["airflow_environment"].items() if k.startswith("AIRFLOW__")}
        ),
        "secrets": _secret_list(ctx, {SECRET_VARIABLES[short]: short for short in MIGRATE_SECRETS}),
        "logConfiguration": _logging(ctx, MIGRATE, MIGRATE),
    }
    return _task(ctx, MIGRATE, row, [_locked_down(container, row)], None, [])


def task_definitions(ctx: dict) -> list[dict]:
    """Every long-running service's task definition, with its service name."""
    defs = [{"service": s, "definition": airflow_task_definition(s, ctx)} for s in ctx["services"]]
    return [*defs, {"service": DAG_SYNC, "definition": dag_sync_task_definition(ctx)}]


# ---- Services and autoscaling ----------------------------------------------------------------


def _load_balancers(cfg: dict, service: str, row: dict) -> list[dict]:
    if not row.get("load_balancer"):
        return []
    return [
        {
            "target_group_arn": cfg["target_group_arn"],
            "container_name": service,
            "container_port": int(row["port"]),
        }
    ]


def service_items(definitions: list, cfg: dict) -> list[dict]:
    """The pathwai.airflow_ecs.ecs_service ``services`` entries, one per task definition of
    :func:`task_definitions`. ``cfg``: prefix, env, tags, services (the merged table), dag_sync,
    by_family (family -> ecs_task_definition result: its task_definition_arn, or none in check
    mode), subnet_ids, group_ids (security group short name -> id), target_group_arn,
    minimum_healthy_percent, maximum_percent, health_check_grace_period, enable_execute_command.
    Private subnets, no public IP, the circuit breaker with rollback, ECS Exec, tags propagated;
    an autoscaled row's desired count belongs to Application Auto Scaling once the service exists."""
    items = []
    for item in definitions:
        service, family = item["service"], item["definition"]["family"]
        row = cfg["dag_sync"] if service == DAG_SYNC else cfg["services"][service]
        entry = {
            "name": f"{cfg['prefix']}-{service}",
            "task_definition": (cfg["by_family"].get(family) or {}).get("task_definition_arn") or family,
            "desired_count": int(row["desired_count"]),
            "desired_count_managed_externally": row.get("max_capacity") is not None,
            "capacity_provider_strategy": [
                {"capacity_provider": row["capacity_provider"], "weight": 1, "base": 0}
            ],
            "platform_version": "LATEST",
            "network_configuration": {
                "subnets": list(cfg["subnet_ids"]),
                "security_groups": [cfg["group_ids"][row.get("security_group") or service]],
                "assign_public_ip": False,
            },
            "load_balancers": _load_balancers(cfg, service, row),
            "deployment_configuration": {
                "minimum_healthy_percent": int(cfg["minimum_healthy_percent"]),
                "maximum_percent": int(cfg["maximum_percent"]),
                "circuit_breaker": {"enable": True, "rollback": True},
            },
            "enable_execute_command": boolean(cfg["enable_execute_command"]),
            "propagate_tags": "SERVICE",
            "tags": {**cfg["tags"], "airflow:env": cfg["env"], "airflow:component": service},
            "purge_tags": True,
        }
        if row.get("load_balancer"):
            entry["health_check_grace_period_seconds"] = int(cfg["health_check_grace_period"])
        items.append(entry)
    return items


def scaling_policies(cfg: dict) -> list[dict]:
    """Each autoscaled row's scale-out and scale-in step policies as
    community.aws.application_autoscaling_policy options (the scalable target's min/max ride along),
    named ``<prefix>-<service>-scale-out`` / ``-scale-in``. ``cfg``: prefix, cluster, services (the
    merged table), scale_out_step, scale_in_step, scale_out_cooldown, scale_in_cooldown (a row's
    own scale_out_step / scale_in_step win). The monitoring role's queue-depth alarms call them."""
    steps = {
        "scale-out": ("scale_out", {"MetricIntervalLowerBound": 0}),
        "scale-in": ("scale_in", {"MetricIntervalUpperBound": 0}),
    }
    policies = []
    for service in autoscaled(cfg["services"]):
        row = cfg["services"][service]
        for name, (key, bound) in steps.items():
            step = row.get(f"{key}_step")
            policies.append(
                {
                    "service": service,
                    "policy_name": f"{cfg['prefix']}-{service}-{name}",
                    "service_namespace": "ecs",
                    "resource_id": f"service/{cfg['cluster']}/{cfg['prefix']}-{service}",
                    "scalable_dimension": "ecs:service:DesiredCount",
                    "policy_type": "StepScaling",
                    "minimum_tasks": int(row["min_capacity"]),
                    "maximum_tasks": int(row["max_capacity"]),
                    "step_scaling_policy_configuration": {
                        "AdjustmentType": "ChangeInCapacity",
                        "Cooldown": int(cfg[f"{key}_cooldown"]),
                        "MetricAggregationType": "Average",
                        "StepAdjustments": [
                            {**bound, "ScalingAdjustment": int(cfg[f"{key}_step"] if step is None else step)}
                        ],
                    },
                }
            )
    return policies


def task_role_item(item: dict, prefix: str) -> dict:
    """A dict2items entry of task_role_policies as the role list's entry (name, component, policy)."""
    service = item["key"]
    return {
        "name": f"{prefix}-{service}-task",
        "component": service,
        "description": f"Task role of the {service} service",
        "policy": item["value"],
    }


def log_groups(prefix: str, services: dict) -> dict:
    """Log group short name -> its name (/ecs/<prefix>-<short>): every row's ``log_group``, the DAG
    sync's and db migrate's (the data role creates them; a worker pool writes to its
    ``log_group``, by default the worker's, under its own stream prefix)."""
    groups = [row["log_group"] for row in services.values()] + [DAG_SYNC, MIGRATE]
    return {group: f"/ecs/{prefix}-{group}" for group in dict.fromkeys(groups)}


def log_group_items(groups: dict, kms_key_id: str, retention, tags: dict) -> list[dict]:
    """:func:`log_groups` as pathwai.airflow_ecs.cloudwatch_log_groups entries (logs key, retention,
    tagged airflow:component with the group's short name)."""
    return [
        {
            "name": name,
            "kms_key_id": kms_key_id,
            "retention": int(retention),
            "tags": {**tags, "airflow:component": short},
        }
        for short, name in groups.items()
    ]


def task_role_arns(role_arns: dict, prefix: str, services: dict) -> dict:
    """Service -> its task role ARN, from iam_roles' ``roles`` (role name -> ARN)."""
    return {service: role_arns[f"{prefix}-{service}-task"] for service in service_names(services)}


def execution_role_arns(role_arns: dict, prefix: str, services: dict) -> dict:
    """Service (and db-migrate) -> its execution role ARN, from iam_roles' ``roles``."""
    return {s: role_arns[f"{prefix}-{s}-execution"] for s in [*service_names(services), MIGRATE]}


def role_names(services: dict, prefix: str) -> dict:
    """Every IAM role of the compute layer -> what it serves: ``<service>-execution`` for each
    service's and db migrate's execution role, ``<service>`` for each task role."""
    executions = {f"{prefix}-{s}-execution": f"{s}-execution" for s in [*service_names(services), MIGRATE]}
    return {**executions, **{f"{prefix}-{s}-task": s for s in service_names(services)}}


def families(services: dict, prefix: str) -> dict:
    """Every task-definition family -> its service (db-migrate included)."""
    return {f"{prefix}-{s}": s for s in [*service_names(services), MIGRATE]}


def role_items(ctx: dict) -> list[dict]:
    """One execution role per service and db migrate, one task role per service (name, component,
    description, policy), each with the inline policy built from ``ctx`` (the policy context)."""
    executions = [
        {
            "name": f"{ctx['prefix']}-{service}-execution",
            "component": f"{service}-execution",
            "description": f"ECS task execution of {service}: its image, its logs, its secrets",
            "policy": execution_role_policy(ctx, service),
        }
        for service in [*service_names(ctx["services"]), MIGRATE]
    ]
    tasks = [
        task_role_item({"key": service, "value": policy}, ctx["prefix"])
        for service, policy in task_role_policies(ctx).items()
    ]
    return [*executions, *tasks]


def iam_role_item(role: dict, trust_policy: dict, tags: dict, env: str) -> dict:
    """A compute role entry (name, component, description, policy: see task_role_item) as an
    iam_roles entry: the trust policy, exactly one inline policy named after the role, no managed
    policy, and the tags plus airflow:env / airflow:component."""
    return {
        "name": role["name"],
        "description": role["description"],
        "assume_role_policy": trust_policy,
        "inline_policies": {role["name"]: role["policy"]},
        "managed_policy_arns": [],
        "tags": {**tags, "airflow:env": env, "airflow:component": role["component"]},
    }


class FilterModule:
    def filters(self):
        return {
            "compute_problems": compute_problems,
            "airflow_names": layer_names,
            "compute_role_items": role_items,
            "compute_dag_events_context": dag_events_context,
            "compute_log_groups": log_groups,
            "compute_log_group_items": log_group_items,
            "task_role_arns": task_role_arns,
            "execution_role_arns": execution_role_arns,
            "compute_role_names": role_names,
            "compute_families": families,
            "iam_role_item": iam_role_item,
            "task_role_policies": task_role_policies,
            "execution_role_policy": execution_role_policy,
            "task_trust_policy": task_trust_policy,
            "airflow_task_definitions": task_definitions,
            "migrate_task_definition": migrate_task_definition,
            "ecs_service_items": service_items,
            "scaling_policies": scaling_policies,
            "compute_service_table": service_table,
            "compute_service_names": service_names,
            "compute_scalable_targets": scalable_targets,
        }
