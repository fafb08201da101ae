# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The compute layer as data: inventory checks, IAM policies and task definitions (no AWS call).

Every Airflow service is one row of the ``compute_services`` table; these filters turn a row
plus the looked-up context (key, secret, bucket, log group and EFS identifiers) into the IAM
policy and the ECS task definition the role registers. Keeping it here makes one place to read,
test and audit what each service may do and what it runs.
"""

from __future__ import annotations

import re

from ansible.module_utils.parsing.convert_bool import boolean

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
AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer", "worker")
# Services with a task role, and those with a container log group (/ecs/<prefix>-<service>).
TASK_SERVICES = (*AIRFLOW_SERVICES, "dag-sync")
LOG_SERVICES = (*TASK_SERVICES, "db-migrate")
# Airflow containers that run a Task Execution API client (they reach /execution/ on the ALB).
EXECUTION_API_CLIENTS = ("dag-processor", "triggerer", "worker")
# [api_auth] jwt_secret signs and checks task tokens: only these two may hold it (DESIGN §3).
JWT_HOLDERS = ("api-server", "scheduler")
# Secrets every Airflow container gets, env var -> secret short name (under the secret prefix).
AIRFLOW_SECRETS = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sql_alchemy_conn",
    "AIRFLOW__CELERY__BROKER_URL": "celery_broker_url",
    "AIRFLOW__CELERY__RESULT_BACKEND": "celery_result_backend",
    "AIRFLOW__CORE__FERNET_KEY": "fernet_key",
    "AIRFLOW__API__SECRET_KEY": "api_secret_key",
}
JWT_SECRET = {"AIRFLOW__API_AUTH__JWT_SECRET": "jwt_secret"}
IMAGE = re.compile(r"^(?P<repo>[^@\s]+?)(?::(?P<tag>[\w][\w.-]{0,127})|@sha256:[0-9a-f]{64})$")
DAGS_VOLUME = "dags"
# The metrics container (files/images/airflow: StatsD -> CloudWatch bridge; on the scheduler also
# the Celery queue depth) and the namespaces each task role may put metrics into.
METRICS_COMMANDS = {
    "scheduler": ["airflow_ecs_image.statsd_bridge", "--queue-depth"],
    "worker": ["airflow_ecs_image.statsd_bridge"],
}
METRICS_NAMESPACES = {"scheduler": ["Airflow", "Airflow/Celery"], "worker": ["Airflow"]}
STATSD_ENVIRONMENT = {
    "AIRFLOW__METRICS__STATSD_ON": "True",
    "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
    "AIRFLOW__METRICS__STATSD_PORT": "8125",
    "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
}
DAGS_PATH = "/opt/airflow/dags"


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


def _count_problems(name: str, row: dict) -> list[str]:
    problems = []
    desired = row.get("desired_count", 1)
    low, high = row.get("min_capacity"), row.get("max_capacity")
    if int(desired) < 0:
        problems.append(f"compute_services.{name}.desired_count={desired} must be >= 0")
    if low is not None and high is not None:
        if int(low) > int(high):
            problems.append(
                f"compute_services.{name}: min_capacity={low} is greater than max_capacity={high}"
            )
        elif not int(low) <= int(desired) <= int(high):
            problems.append(
                f"compute_services.{name}.desired_count={desired} is outside min_capacity..max_capacity "
                f"({low}..{high})"
            )
    return problems


def compute_problems(cfg: dict) -> list[str]:
    """Every reason the compute inventory cannot be deployed. ``cfg``: services (the merged table),
    dag_sync (its row), migrate (its row), default_capacity_provider_strategy, capacity_providers."""
    problems: list[str] = []
    rows = dict(cfg["services"])
    unknown = sorted(set(rows) - set(AIRFLOW_SERVICES))
    if unknown:
        problems.append(
            f"compute_services has unknown services {unknown} (known: {', '.join(AIRFLOW_SERVICES)})"
        )
    rows["dag-sync"] = cfg["dag_sync"]
    rows["db-migrate"] = cfg["migrate"]
    for name, row in rows.items():
        variable = (
            f"compute_services.{name}" if name in AIRFLOW_SERVICES else f"compute_{name.replace('-', '_')}"
        )
        problems.extend(filter(None, [size_problem(variable, row.get("cpu"), row.get("memory"))]))
        problems.extend(filter(None, [image_problem(f"{variable}.image", row.get("image"))]))
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
    worker = rows.get("worker", {})
    if worker and (worker.get("min_capacity") is None or worker.get("max_capacity") is None):
        problems.append("compute_services.worker needs min_capacity and max_capacity (autoscaling)")
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


def _metrics_statement(service: str) -> dict:
    """PutMetricData for the metrics container, limited to its namespaces."""
    return _statement(
        "AirflowMetrics",
        ["cloudwatch:PutMetricData"],
        "*",
        {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACES[service]}},
    )


def task_role_policies(ctx: dict) -> dict:
    """Service -> the inline policy document of its task role. No wildcard action; every KMS grant
    names its key ARN; S3 grants name bucket and prefix. The scheduler gets no ecs:RunTask or
    iam:PassRole (Celery needs neither)."""
    cluster_tasks = f"arn:aws:ecs:{ctx['region']}:{ctx['account_id']}:task/{ctx['cluster']}/*"
    dags = f"arn:aws:s3:::{ctx['dags_bucket']}"
    per_service = {
        "api-server": [*_task_logs_statements(ctx, write=False), _efs_statement(ctx, write=False)],
        "scheduler": [_efs_statement(ctx, write=False), _metrics_statement("scheduler")],
        "dag-processor": [*_task_logs_statements(ctx, write=True), _efs_statement(ctx, write=False)],
        "triggerer": [*_task_logs_statements(ctx, write=True), _efs_statement(ctx, write=False)],
        "worker": [
            *_task_logs_statements(ctx, write=True),
            _efs_statement(ctx, write=False),
            _statement(
                "ScaleInProtection", ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"], cluster_tasks
            ),
            _metrics_statement("worker"),
        ],
        "dag-sync": [
            _statement(
                "DagsList", ["s3:ListBucket"], dags, {"StringLike": {"s3:prefix": [f"{ctx['env']}/*"]}}
            ),
            _statement("DagsRead", ["s3:GetObject"], f"{dags}/{ctx['env']}/*"),
            _statement("DagsKey", ["kms:Decrypt"], ctx["key_arns"]["s3"]),
            _statement(
                "SyncLagMetric",
                ["cloudwatch:PutMetricData"],
                "*",
                {"StringEquals": {"cloudwatch:namespace": ctx["dag_sync_metric_namespace"]}},
            ),
            _efs_statement(ctx, write=True),
        ],
    }
    return {
        service: {"Version": "2012-10-17", "Statement": statements + _exec_statements(ctx)}
        for service, statements in per_service.items()
    }


def execution_role_policy(ctx: dict) -> dict:
    """The task execution role: pull images, write container logs, read our secrets only."""
    repositories = sorted(
        {
            f"arn:aws:ecr:{m['region']}:{m['account']}:repository/{m['repo']}"
            for image in ctx["images"]
            if (
                m := re.match(
                    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)",
                    image,
                )
            )
        }
    )
    statements = [
        _statement(
            "ContainerLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            sorted(_log_group_arn(ctx, group) for group in ctx["log_groups"].values()),
        ),
        _statement(
            "Secrets",
            ["secretsmanager:GetSecretValue"],
            f"arn:aws:secretsmanager:{ctx['region']}:{ctx['account_id']}:secret:{ctx['secret_prefix']}/*",
        ),
        _statement("SecretsKey", ["kms:Decrypt"], ctx["key_arns"]["secrets"]),
    ]
    if repositories:
        statements[:0] = [
            _statement("EcrAuth", ["ecr:GetAuthorizationToken"], "*"),
            _statement(
                "EcrPull",
                ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                repositories,
            ),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def task_trust_policy(ctx: dict) -> dict:
    """ECS tasks of this account may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ctx["account_id"]}},
            }
        ],
    }


# ---- Task definitions ------------------------------------------------------------------------


def _env_list(env: dict) -> list[dict]:
    return [{"name": k, "value": str(v)} for k, v in sorted(env.items())]


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


def _logging(ctx: dict, service: str) -> dict:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": ctx["log_groups"][service],
            "awslogs-region": ctx["region"],
            "awslogs-stream-prefix": service,
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


def _task(ctx: dict, family: str, row: dict, containers: list, task_role: str | None, volumes: list) -> dict:
    task = {
        "family": family,
        "cpu": str(row["cpu"]),
        "memory": str(row["memory"]),
        "network_mode": "awsvpc",
        "requires_compatibilities": ["FARGATE"],
        "execution_role_arn": ctx["execution_role_arn"],
        "runtime_platform": {"cpu_architecture": ctx["cpu_architecture"], "operating_system_family": "LINUX"},
        "container_definitions": containers,
        "volumes": volumes,
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


def metrics_container(service: str, ctx: dict, image: str) -> dict:
    """The non-essential second container of the scheduler and worker tasks: Airflow's StatsD to
    CloudWatch (and, on the scheduler, the Celery queue depth read from Redis with the broker URL)."""
    logging = _logging(ctx, service)
    logging["options"]["awslogs-stream-prefix"] = f"{service}-metrics"
    container = {
        "name": "metrics",
        "image": image,
        "essential": False,
        "entryPoint": ["python", "-m"],
        "command": list(METRICS_COMMANDS[service]),
        "environment": _env_list(
            {"AIRFLOW_ECS_METRICS_ENVIRONMENT": ctx["env"], "AWS_REGION": ctx["region"]}
        ),
        "logConfiguration": logging,
        "stopTimeout": 10,
    }
    if "--queue-depth" in container["command"]:
        container["secrets"] = _secret_list(ctx, {"AIRFLOW__CELERY__BROKER_URL": "celery_broker_url"})
    return container


def airflow_task_definition(service: str, ctx: dict) -> dict:
    """The task definition (pathwai.airflow_ecs.ecs_task_definition options) of one Airflow service."""
    row = ctx["services"][service]
    env = dict(ctx["airflow_environment"])
    env.update(row.get("environment") or {})
    if service == "api-server":
        env.update(ctx["auth_environment"])
    if service == "worker":
        env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = row.get("concurrency", 16)
    if service == "scheduler":
        env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] = "True"
    if service in METRICS_COMMANDS:
        env.update(STATSD_ENVIRONMENT)
    secrets = dict(AIRFLOW_SECRETS, **(JWT_SECRET if service in JWT_HOLDERS else {}))
    container = {
        "name": service,
        "image": row["image"],
        "essential": True,
        "command": list(row["command"]),
        "environment": _env_list(env),
        "secrets": _secret_list(ctx, secrets),
        "mountPoints": [{"sourceVolume": DAGS_VOLUME, "containerPath": DAGS_PATH, "readOnly": True}],
        "logConfiguration": _logging(ctx, service),
        "healthCheck": _health(ctx["health_commands"][service], row),
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": int(row.get("stop_timeout", 30)),
    }
    if row.get("port"):
        container["portMappings"] = [{"containerPort": int(row["port"]), "protocol": "tcp"}]
    containers = [container]
    if service in METRICS_COMMANDS:
        containers.append(metrics_container(service, ctx, row["image"]))
    family = f"{ctx['prefix']}-{service}"
    return _task(ctx, family, row, containers, ctx["task_role_arns"][service], _dags_volume(ctx))


def dag_sync_task_definition(ctx: dict) -> dict:
    row = ctx["dag_sync"]
    env = {
        "DAGS_BUCKET": ctx["dags_bucket"],
        "ENV": ctx["env"],
        "DAG_SYNC_DEST": DAGS_PATH,
        "DAG_SYNC_METRIC_NAMESPACE": ctx["dag_sync_metric_namespace"],
        "AWS_REGION": ctx["region"],
        "AWS_DEFAULT_REGION": ctx["region"],
        **(row.get("environment") or {}),
    }
    container = {
        "name": "dag-sync",
        "image": row["image"],
        "essential": True,
        "environment": _env_list(env),
        "mountPoints": [{"sourceVolume": DAGS_VOLUME, "containerPath": DAGS_PATH, "readOnly": False}],
        "logConfiguration": _logging(ctx, "dag-sync"),
        "healthCheck": _health(["airflow-dag-sync", "--health"], row),
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
    }
    family = f"{ctx['prefix']}-dag-sync"
    return _task(ctx, family, row, [container], ctx["task_role_arns"]["dag-sync"], _dags_volume(ctx))


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
        "secrets": _secret_list(
            ctx,
            {
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sql_alchemy_conn",
                "AIRFLOW__CORE__FERNET_KEY": "fernet_key",
            },
        ),
        "logConfiguration": _logging(ctx, "db-migrate"),
    }
    return _task(ctx, f"{ctx['prefix']}-db-migrate", row, [container], None, [])


def task_definitions(ctx: dict) -> list[dict]:
    """Every long-running service's task definition, with its service name."""
    defs = [{"service": s, "definition": airflow_task_definition(s, ctx)} for s in AIRFLOW_SERVICES]
    return [*defs, {"service": "dag-sync", "definition": dag_sync_task_definition(ctx)}]


# ---- Services and autoscaling ----------------------------------------------------------------


def service_items(definitions: list, cfg: dict) -> list[dict]:
    """The pathwai.airflow_ecs.ecs_service ``services`` entries, one per task definition of
    :func:`task_definitions`. ``cfg``: prefix, env, tags, services (the merged table), dag_sync,
    by_family (family -> ecs_task_definition result: its task_definition_arn, or none in check
    mode), subnet_ids, group_ids (service -> security group id), target_group_arn,
    minimum_healthy_percent, maximum_percent, health_check_grace_period, enable_execute_command.
    Private subnets, no public IP, the circuit breaker with rollback, ECS Exec, tags propagated;
    the worker's desired count belongs to Application Auto Scaling once the service exists."""
    items = []
    for item in definitions:
        service, family = item["service"], item["definition"]["family"]
        row = cfg["dag_sync"] if service == "dag-sync" else cfg["services"][service]
        entry = {
            "name": f"{cfg['prefix']}-{service}",
            "task_definition": (cfg["by_family"].get(family) or {}).get("task_definition_arn") or family,
            "desired_count": int(row["desired_count"]),
            "desired_count_managed_externally": service == "worker",
            "capacity_provider_strategy": [
                {"capacity_provider": row["capacity_provider"], "weight": 1, "base": 0}
            ],
            "platform_version": "LATEST",
            "network_configuration": {
                "subnets": list(cfg["subnet_ids"]),
                "security_groups": [cfg["group_ids"][service]],
                "assign_public_ip": False,
            },
            "load_balancers": (
                [
                    {
                        "target_group_arn": cfg["target_group_arn"],
                        "container_name": "api-server",
                        "container_port": int(row["port"]),
                    }
                ]
                if service == "api-server"
                else []
            ),
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
        if service == "api-server":
            entry["health_check_grace_period_seconds"] = int(cfg["health_check_grace_period"])
        items.append(entry)
    return items


def worker_scaling_policies(cfg: dict) -> list[dict]:
    """The worker's scale-out and scale-in step policies as community.aws.application_autoscaling_policy
    options (the scalable target's min/max ride along). ``cfg``: prefix, cluster, min_capacity,
    max_capacity, scale_out_step, scale_in_step, scale_out_cooldown, scale_in_cooldown. The
    monitoring role's queue-depth alarms call them."""
    steps = {
        "scale-out": ("scale_out", {"MetricIntervalLowerBound": 0}),
        "scale-in": ("scale_in", {"MetricIntervalUpperBound": 0}),
    }
    return [
        {
            "policy_name": f"{cfg['prefix']}-worker-{name}",
            "service_namespace": "ecs",
            "resource_id": f"service/{cfg['cluster']}/{cfg['prefix']}-worker",
            "scalable_dimension": "ecs:service:DesiredCount",
            "policy_type": "StepScaling",
            "minimum_tasks": int(cfg["min_capacity"]),
            "maximum_tasks": int(cfg["max_capacity"]),
            "step_scaling_policy_configuration": {
                "AdjustmentType": "ChangeInCapacity",
                "Cooldown": int(cfg[f"{key}_cooldown"]),
                "MetricAggregationType": "Average",
                "StepAdjustments": [{**bound, "ScalingAdjustment": int(cfg[f"{key}_step"])}],
            },
        }
        for name, (key, bound) in steps.items()
    ]


def task_role_item(item: dict, prefix: str) -> dict:
    """A dict2items entry of task_role_policies as the role list's entry (name, component, policy)."""
    service = item["key"]
    return {
        "name": f"{prefix}-{service}-task",
        "component": service,
        "description": f"Task role of the {service} service",
        "policy": item["value"],
    }


def log_groups(prefix: str) -> dict:
    """Service -> its container log group (the data role creates them)."""
    return {service: f"/ecs/{prefix}-{service}" for service in LOG_SERVICES}


def task_images(services: dict, dag_sync: dict, migrate: dict) -> list[str]:
    """Every image a task runs: the merged service rows', dag-sync's and db-migrate's."""
    return [row["image"] for row in services.values()] + [dag_sync["image"], migrate["image"]]


def task_role_arns(role_arns: dict, prefix: str) -> dict:
    """Service -> its task role ARN, from iam_roles' ``roles`` (role name -> ARN)."""
    return {service: role_arns[f"{prefix}-{service}-task"] for service in TASK_SERVICES}


def role_items(ctx: dict) -> list[dict]:
    """The execution role and one task role per service (name, component, description, policy),
    each with the inline policy built from ``ctx`` (the policy context)."""
    execution = {
        "name": f"{ctx['prefix']}-execution",
        "component": "ecs-execution",
        "description": "ECS task execution: pull images, write container logs, read the secrets",
        "policy": execution_role_policy(ctx),
    }
    tasks = [
        task_role_item({"key": service, "value": policy}, ctx["prefix"])
        for service, policy in task_role_policies(ctx).items()
    ]
    return [execution, *tasks]


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
            "compute_role_items": role_items,
            "compute_log_groups": log_groups,
            "task_images": task_images,
            "task_role_arns": task_role_arns,
            "iam_role_item": iam_role_item,
            "task_role_policies": task_role_policies,
            "execution_role_policy": execution_role_policy,
            "task_trust_policy": task_trust_policy,
            "airflow_task_definitions": task_definitions,
            "migrate_task_definition": migrate_task_definition,
            "ecs_service_items": service_items,
            "worker_scaling_policies": worker_scaling_policies,
        }
