# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The monitoring role's alarm table -> cloudwatch_metric_alarm options, its cross-field checks,
and the dashboard body. Pure functions (no AWS call)."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names

COMPARISONS = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
MISSING = ("breaching", "notBreaching", "ignore", "missing")
ACTIONS = ("alerts", "scale-out", "scale-in")
REQUIRED = ("namespace", "metric", "statistic", "comparison", "threshold", "period", "evaluation_periods")
# Dimension placeholders the lookup fills in (see the role's defaults).
PLACEHOLDERS = (
    "@environment",
    "@alb",
    "@target_group",
    "@db_instance",
    "@efs",
    "@cluster",
    "@pool",
    "@dag_events_queue",
    "@dag_events_dlq",
)
PROTOCOLS = ("email", "email-json", "http", "https", "sqs", "lambda", "sms", "application", "firehose")
STORAGE_PERCENT = "@rds_storage_percent:"


def _threshold_problem(name: str, threshold) -> str | None:
    if isinstance(threshold, str) and threshold.startswith(STORAGE_PERCENT):
        percent = threshold[len(STORAGE_PERCENT) :]
        try:
            ok = 0 < float(percent) < 100
        except ValueError:
            ok = False
        return None if ok else f"alarm {name}: {threshold!r} needs a percentage between 0 and 100"
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        try:
            float(threshold)
        except (TypeError, ValueError):
            return f"alarm {name}: threshold {threshold!r} is not a number"
    return None


def monitoring_problems(cfg: dict) -> list[str]:
    """What is wrong with the alarm table and subscriptions, as sentences (empty when fine)."""
    problems = []
    # The monitoring role's validate passes require_subscription (monitoring_require_subscription);
    # without it, production (airflow_env prod) requires one.
    required = cfg.get("require_subscription", str(cfg.get("env", "")) == "prod")
    if str(required).lower() in ("true", "1", "yes") and not cfg.get("subscriptions"):
        problems.append(
            f"monitoring_alert_subscriptions is empty with monitoring_require_subscription=true "
            f"(airflow_env={cfg.get('env', '')!r}): every alarm would notify nobody; add at least one "
            "subscription (e.g. {protocol: email, endpoint: oncall@example.com})"
        )
    for name, row in sorted(cfg["alarms"].items()):
        if not isinstance(row, dict):
            problems.append(f"alarm {name}: must be a dict of settings")
            continue
        missing = [key for key in REQUIRED if row.get(key) in (None, "")]
        if missing:
            problems.append(f"alarm {name}: missing {', '.join(missing)}")
            continue
        if row["comparison"] not in COMPARISONS:
            problems.append(
                f"alarm {name}: comparison {row['comparison']!r} is not one of {', '.join(COMPARISONS)}"
            )
        if row["statistic"] not in STATISTICS:
            problems.append(
                f"alarm {name}: statistic {row['statistic']!r} is not one of {', '.join(STATISTICS)}"
            )
        if row.get("treat_missing_data", "missing") not in MISSING:
            problems.append(
                f"alarm {name}: treat_missing_data {row['treat_missing_data']!r} is not one of {MISSING}"
            )
        if row.get("actions", "alerts") not in ACTIONS:
            problems.append(
                f"alarm {name}: actions {row.get('actions')!r} is not one of {', '.join(ACTIONS)}"
            )
        pooled = row.get("actions", "alerts") != "alerts" or "@pool" in (row.get("dimensions") or {}).values()
        if pooled and not row.get("per_pool"):
            problems.append(
                f"alarm {name}: scaling actions and the @pool dimension need per_pool: true "
                "(one alarm per worker pool)"
            )
        problem = _threshold_problem(name, row["threshold"])
        if problem:
            problems.append(problem)
        try:
            period, periods = int(row["period"]), int(row["evaluation_periods"])
        except (TypeError, ValueError):
            problems.append(f"alarm {name}: period and evaluation_periods must be integers")
            continue
        if period < 60 or period % 60:
            problems.append(f"alarm {name}: period {period} must be a multiple of 60 seconds")
        if periods < 1 or period * periods > 86400:
            problems.append(
                f"alarm {name}: evaluation_periods x period = {periods} x {period} s "
                "must be between 1 period and 1 day"
            )
        for dim, value in (row.get("dimensions") or {}).items():
            if (
                isinstance(value, str)
                and value.startswith("@")
                and value not in (*PLACEHOLDERS, "@redis_node")
            ):
                problems.append(f"alarm {name}: dimension {dim} placeholder {value!r} is unknown")
    problems.extend(_subscription_problems(cfg))
    problems.extend(_name_problems(cfg))
    return problems


def _subscription_problems(cfg: dict) -> list[str]:
    """Each alert subscription: a protocol SNS knows, encrypted in transit, and an endpoint of the
    form SNS accepts for that protocol (aws_rules.subscription_problem)."""
    problems = []
    region = cfg.get("region") or aws_rules.DEFAULT_REGION
    for index, sub in enumerate(cfg.get("subscriptions") or []):
        variable = f"monitoring_alert_subscriptions[{index}]"
        if not isinstance(sub, dict) or not sub.get("protocol") or not sub.get("endpoint"):
            problems.append(f"monitoring_alert_subscriptions: {sub!r} needs protocol and endpoint")
        elif sub["protocol"] not in PROTOCOLS:
            problems.append(
                f"monitoring_alert_subscriptions: protocol {sub['protocol']!r} is not one of {PROTOCOLS}"
            )
        elif sub["protocol"] in ("http", "email-json") or str(sub["endpoint"]).startswith("http://"):
            problems.append(
                f"monitoring_alert_subscriptions: {sub['endpoint']!r} would receive alerts unencrypted; "
                "use https"
            )
        else:
            problem = aws_rules.subscription_problem(variable, sub["protocol"], sub["endpoint"], region)
            problems.extend([problem] if problem else [])
    return problems


def _name_problems(cfg: dict) -> list[str]:
    """The topic and alarm names AWS would refuse, said about the variable the user set."""
    prefix = str(cfg.get("name_prefix") or "")
    if not prefix:
        return []
    root = aws_rules.prefix_links("monitoring", prefix, cfg.get("project", ""), cfg.get("env", ""))
    topic = str(cfg.get("topic_name") or "")
    problems = [
        aws_rules.blame(
            aws_rules.name_problem("monitoring_alert_topic_name", topic, "AWS::SNS::Topic TopicName"),
            [
                {
                    "variable": "monitoring_alert_topic_name",
                    "value": topic,
                    "default": layer_names(prefix)["alert_topic"],
                },
                *root,
            ],
        )
    ]
    for name, row in sorted(cfg["alarms"].items()):
        problems.append(
            aws_rules.blame(
                aws_rules.property_problem(
                    f"the alarm name of monitoring_alarms {name!r}",
                    f"{prefix}-{name}",
                    "AWS::CloudWatch::Alarm",
                    "AlarmName",
                ),
                root,
            )
        )
        if isinstance(row, dict) and row.get("description"):
            problems.append(
                aws_rules.property_problem(
                    f"monitoring_alarms.{name}.description",
                    row["description"],
                    "AWS::CloudWatch::Alarm",
                    "AlarmDescription",
                )
            )
    return [problem for problem in problems if problem]


def _enabled(row: dict, ctx: dict) -> bool:
    enabled = row.get("enabled", True)
    if enabled == "@efs_bursting":
        return ctx.get("efs_throughput_mode", "bursting") == "bursting"
    if enabled == "@dag_events":
        return bool(ctx.get("dag_events_queue"))
    if isinstance(enabled, str):
        return enabled.strip().lower() in ("true", "yes", "1", "on")
    return bool(enabled)


def _threshold(row: dict, ctx: dict) -> float:
    threshold = row["threshold"]
    if isinstance(threshold, str) and threshold.startswith(STORAGE_PERCENT):
        percent = float(threshold[len(STORAGE_PERCENT) :])
        return float(int(ctx["db_allocated_storage_gib"]) * 1024**3 * percent / 100)
    return float(threshold)


def _actions(key: str, row: dict, ctx: dict, pool: str | None) -> tuple[list, list]:
    """(alarm actions, OK actions) of one alarm: the topic, or the pool's step policy."""
    topic = [ctx["topic_arn"]] if ctx.get("topic_arn") else []
    action = row.get("actions", "alerts")
    if action == "alerts":
        return topic, topic if ctx.get("notify_ok", True) else []
    policy = (ctx.get("pools", {}).get(pool) or {}).get(
        "scale_out_arn" if action == "scale-out" else "scale_in_arn"
    )
    if not policy:
        raise ValueError(f"alarm {key}: the {action} policy of pool {pool} was not found (run phase 3 first)")
    notify = topic if ctx.get("notify_on_scaling") else []
    return [policy, *notify], notify


def _expansions(row: dict, ctx: dict) -> list[tuple[str | None, str | None]]:
    """(pool, Redis node) pairs one row becomes: one alarm per worker pool for rows with
    ``per_pool``, one per Redis node for @redis_node rows, else one."""
    dims = row.get("dimensions") or {}
    pools = list(ctx.get("pools") or {}) if row.get("per_pool") else [None]
    nodes = list(ctx.get("redis_nodes") or []) if "@redis_node" in dims.values() else [None]
    return [(pool, node) for pool in pools for node in nodes]


def alarm_list(table: dict, ctx: dict) -> list[dict]:
    """amazon.aws.cloudwatch_metric_alarm options, one per alarm (per worker pool for ``per_pool``
    rows, named ``<prefix>-<pool>-<key>``; per Redis node for @redis_node rows).

    ``ctx``: prefix, environment, topic_arn, pools (pool -> service, scale_out_arn, scale_in_arn),
    notify_on_scaling, notify_ok, and the lookup's alb (app/..), target_group (targetgroup/..),
    db_instance, efs, efs_throughput_mode, cluster, redis_nodes, db_allocated_storage_gib."""
    values = {placeholder: ctx.get(placeholder[1:], "") for placeholder in PLACEHOLDERS}
    alarms = []
    for key, row in sorted(table.items()):
        if not _enabled(row, ctx):
            continue
        for pool, node in _expansions(row, ctx):
            alarm_actions, ok_actions = _actions(key, row, ctx, pool)
            dimensions = {
                name: (
                    node if value == "@redis_node" else pool if value == "@pool" else values.get(value, value)
                )
                for name, value in (row.get("dimensions") or {}).items()
            }
            empty = sorted(name for name, value in dimensions.items() if value in ("", None))
            if empty:
                raise ValueError(f"alarm {key}: nothing found for dimension(s) {', '.join(empty)}")
            name = f"{ctx['prefix']}-" + (f"{pool}-" if pool else "") + key + (f"-{node}" if node else "")
            alarm = {
                "name": name,
                "namespace": row["namespace"],
                "metric_name": row["metric"],
                "dimensions": {name: str(value) for name, value in dimensions.items()},
                "statistic": row["statistic"],
                "comparison": row["comparison"],
                "threshold": _threshold(row, ctx),
                "period": int(row["period"]),
                "evaluation_periods": int(row["evaluation_periods"]),
                "treat_missing_data": row.get("treat_missing_data", "missing"),
                "description": row.get("description", key).replace("@pool", pool or ""),
                "alarm_actions": list(alarm_actions),
                "ok_actions": list(ok_actions),
            }
            if row.get("unit"):
                alarm["unit"] = row["unit"]
            alarms.append(alarm)
    return alarms


def _metric_widget(title: str, metrics: list, region: str, x: int, y: int, stat: str = "Average", period=60):
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stat": stat,
            "period": period,
            "metrics": metrics,
        },
    }


def dashboard_body(ctx: dict) -> dict:
    """The dashboard: queue depth, running workers, task failures, DAG sync lag, ALB 5xx and
    latency, RDS and Redis health. ``ctx`` as for alarm_list plus region."""
    env, region = ctx["environment"], ctx["region"]
    node = (ctx.get("redis_nodes") or [""])[0]
    pools = ctx.get("pools") or {}
    rows = [
        (
            "Celery queue depth (all, and per worker pool)",
            [["Airflow/Celery", "QueueDepth", "Environment", env]]
            + [["Airflow/Celery", "QueueDepth", "Environment", env, "WorkerPool", pool] for pool in pools],
            "Average",
        ),
        (
            "Running workers per pool (ECS tasks)",
            [
                [
                    "ECS/ContainerInsights",
                    "RunningTaskCount",
                    "ClusterName",
                    ctx["cluster"],
                    "ServiceName",
                    p["service"],
                ]
                for p in pools.values()
            ],
            "Average",
        ),
        (
            "Task failures / successes",
            [
                ["Airflow", "TaskFailures", "Environment", env],
                ["Airflow", "TaskSuccesses", "Environment", env],
            ],
            "Sum",
        ),
        ("DAG sync lag (s)", [["Airflow/DagSync", "SyncLagSeconds", "Environment", env]], "Maximum"),
        (
            "Scheduler heartbeats, running and queued tasks",
            [
                ["Airflow", "SchedulerHeartbeat", "Environment", env, {"stat": "Sum"}],
                ["Airflow", "RunningTasks", "Environment", env],
                ["Airflow", "QueuedTasks", "Environment", env],
            ],
            "Average",
        ),
        (
            "ALB target 5xx",
            [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", ctx["alb"]]],
            "Sum",
        ),
        (
            "ALB target response time (p90, s)",
            [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", ctx["alb"]]],
            "p90",
        ),
        (
            "api-server targets",
            [
                [
                    "AWS/ApplicationELB",
                    "HealthyHostCount",
                    "TargetGroup",
                    ctx["target_group"],
                    "LoadBalancer",
                    ctx["alb"],
                ],
                [
                    "AWS/ApplicationELB",
                    "UnHealthyHostCount",
                    "TargetGroup",
                    ctx["target_group"],
                    "LoadBalancer",
                    ctx["alb"],
                ],
            ],
            "Maximum",
        ),
        (
            "RDS CPU % and connections",
            [
                ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", ctx["db_instance"]],
                [
                    "AWS/RDS",
                    "DatabaseConnections",
                    "DBInstanceIdentifier",
                    ctx["db_instance"],
                    {"yAxis": "right"},
                ],
            ],
            "Average",
        ),
        (
            "RDS free storage (bytes)",
            [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", ctx["db_instance"]]],
            "Minimum",
        ),
        (
            "Redis memory % and evictions (primary)",
            [
                ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", node],
                ["AWS/ElastiCache", "Evictions", "CacheClusterId", node, {"stat": "Sum", "yAxis": "right"}],
            ],
            "Maximum",
        ),
        (
            "Redis CPU % and connections (primary)",
            [
                ["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", node],
                ["AWS/ElastiCache", "CurrConnections", "CacheClusterId", node, {"yAxis": "right"}],
            ],
            "Average",
        ),
    ]
    if ctx.get("dag_events_queue"):
        rows.append(
            (
                "DAG events: oldest message age (s), dead-lettered messages",
                [
                    ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", ctx["dag_events_queue"]],
                    [
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        ctx["dag_events_dlq"],
                        {"yAxis": "right"},
                    ],
                ],
                "Maximum",
            )
        )
    widgets = [
        _metric_widget(title, metrics, region, x=12 * (i % 2), y=6 * (i // 2), stat=stat, period=60)
        for i, (title, metrics, stat) in enumerate(rows)
    ]
    return {"widgets": widgets}


def context(found: dict, cfg: dict) -> dict:
    """What the alarms and the dashboard name, from what ``monitoring_targets_info`` found.

    ``found``: that module's result (or the plan's values in the same shape); ``cfg``: prefix,
    environment, region, notify_on_scaling, notify_ok, cluster (the role's variables without
    ``monitoring_``)."""
    return {
        "prefix": cfg["prefix"],
        "environment": cfg["environment"],
        "region": cfg["region"],
        "pools": dict(found.get("pools") or {}),
        "notify_on_scaling": cfg["notify_on_scaling"],
        "notify_ok": cfg["notify_ok"],
        "alb": arn_suffix(found.get("alb_arn") or "", "app/"),
        "target_group": arn_suffix(found.get("target_group_arn") or "", "targetgroup/"),
        "db_instance": found.get("db_instance_id") or "",
        "db_allocated_storage_gib": found.get("db_allocated_storage_gib") or 0,
        "redis_nodes": list(found.get("redis_nodes") or []),
        "efs": found.get("efs_id") or "",
        "efs_throughput_mode": found.get("efs_throughput_mode") or "bursting",
        "cluster": cfg["cluster"],
        # Event-mode DAG delivery: the data role's queues (empty in poll mode: no alarm, no widget).
        "dag_events_queue": cfg.get("dag_events_queue") or "",
        "dag_events_dlq": cfg.get("dag_events_dlq") or "",
    }


def arn_suffix(arn: str, marker: str) -> str:
    """The dimension value CloudWatch uses for an ELB ARN: the part from ``marker`` on
    (``app/<name>/<id>`` for a load balancer, ``targetgroup/<name>/<id>`` for a target group)."""
    if not arn:
        return ""
    return arn[arn.index(marker) :] if marker in arn else ""


class FilterModule:
    def filters(self):
        return {
            "monitoring_problems": monitoring_problems,
            "monitoring_alarm_list": alarm_list,
            "monitoring_dashboard_body": dashboard_body,
            "monitoring_context": context,
        }
