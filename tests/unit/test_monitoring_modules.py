"""The monitoring role's pieces: cloudwatch_dashboard and application_autoscaling_policy_info
against the emulator, and the alarm table filter (checks, expansion, actions)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from ansible.utils.vars import merge_hash
from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as compute_filter
from ansible_collections.pathwai.airflow_ecs.plugins.filter import monitoring

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "roles" / "monitoring" / "defaults" / "main.yml").read_text())
TABLE = DEFAULTS["monitoring_alarms_defaults"]
CTX = {
    "prefix": "airflow-t",
    "environment": "t",
    "region": "us-east-1",
    "topic_arn": "arn:aws:sns:us-east-1:1:airflow-t-alerts",
    "pools": {
        "worker": {"service": "airflow-t-worker", "scale_out_arn": "arn:out", "scale_in_arn": "arn:in"}
    },
    "alb": "app/airflow-t-alb/1",
    "target_group": "targetgroup/airflow-t-api/2",
    "db_instance": "airflow-t-db",
    "db_allocated_storage_gib": 200,
    "redis_nodes": ["airflow-t-redis-001", "airflow-t-redis-002"],
    "efs": "fs-1",
    "efs_throughput_mode": "bursting",
    "cluster": "airflow-t",
}


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


def _writes(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


# ---- cloudwatch_dashboard ----


def test_dashboard_create_rerun_change_delete(module_runner, aws_endpoint):
    body = monitoring.dashboard_body(CTX)
    planned = module_runner("cloudwatch_dashboard", {"name": "d1", "body": body}, check_mode=True)
    assert planned["changed"] and _writes(aws_endpoint) == []

    created = module_runner("cloudwatch_dashboard", {"name": "d1", "body": body})
    assert created["changed"] and created["body"] == body
    assert _writes(aws_endpoint) == ["PutDashboard"]

    aws_endpoint.reset_calls()
    assert not module_runner("cloudwatch_dashboard", {"name": "d1", "body": body})["changed"]
    assert _writes(aws_endpoint) == []

    smaller = {"widgets": body["widgets"][:2]}
    changed = module_runner("cloudwatch_dashboard", {"name": "d1", "body": smaller})
    assert changed["changed"] and len(changed["diff"]["before"]["body"]["widgets"]) == len(body["widgets"])
    cw = boto3.client("cloudwatch", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    assert '"widgets"' in cw.get_dashboard(DashboardName="d1")["DashboardBody"]

    assert module_runner("cloudwatch_dashboard", {"name": "d1", "state": "absent"})["changed"]
    assert not module_runner("cloudwatch_dashboard", {"name": "d1", "state": "absent"})["changed"]
    assert [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]] == []


# ---- application_autoscaling_policy_info ----


def test_policy_info_finds_the_step_policies(module_runner, aws_endpoint):
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    ecs.create_cluster(clusterName="c")
    container = {"name": "w", "image": "busybox:1", "memory": 128}
    ecs.register_task_definition(family="w", containerDefinitions=[container])
    ecs.create_service(cluster="c", serviceName="c-worker", taskDefinition="w", desiredCount=1)
    aas = boto3.client("application-autoscaling", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    resource = "service/c/c-worker"
    target = {
        "ServiceNamespace": "ecs",
        "ResourceId": resource,
        "ScalableDimension": "ecs:service:DesiredCount",
    }
    aas.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    step = {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    config = {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [step]}
    arns = {
        name: aas.put_scaling_policy(
            PolicyName=name, PolicyType="StepScaling", StepScalingPolicyConfiguration=config, **target
        )["PolicyARN"]
        for name in ("c-worker-scale-out", "c-worker-scale-in", "c-other")
    }
    aws_endpoint.reset_calls()
    found = module_runner(
        "application_autoscaling_policy_info",
        {
            "service_namespace": "ecs",
            "resource_id": resource,
            "policy_names": ["c-worker-scale-out", "c-worker-scale-in"],
        },
    )
    assert found["arns"] == {k: v for k, v in arns.items() if k != "c-other"}
    assert [p["policy_type"] for p in found["policies"]] == ["StepScaling", "StepScaling"]
    assert _writes(aws_endpoint) == []
    assert (
        module_runner(
            "application_autoscaling_policy_info", {"service_namespace": "ecs", "resource_id": "x"}
        )["policies"]
        == []
    )


# ---- the alarm table ----


def test_defaults_are_valid():
    assert monitoring.monitoring_problems({"alarms": TABLE, "subscriptions": []}) == []


def test_production_needs_a_subscription():
    """prod (or monitoring_require_subscription) without a subscriber is refused; dev and local may
    have none."""
    expected = "monitoring_alert_subscriptions is empty with monitoring_require_subscription=true"
    assert expected in " ".join(
        monitoring.monitoring_problems({"alarms": TABLE, "subscriptions": [], "env": "prod"})
    )
    assert monitoring.monitoring_problems({"alarms": TABLE, "subscriptions": [], "env": "dev"}) == []
    required = {"alarms": TABLE, "subscriptions": [], "env": "dev", "require_subscription": True}
    assert expected in " ".join(monitoring.monitoring_problems(required))
    email = [{"protocol": "email", "endpoint": "oncall@example.com"}]
    assert monitoring.monitoring_problems({**required, "subscriptions": email}) == []
    assert monitoring.monitoring_problems({**required, "env": "prod", "require_subscription": False}) == []


def test_bad_rows_and_subscriptions_are_named():
    table = merge_hash(
        TABLE,
        {
            "rds-cpu": {"comparison": "Bigger"},
            "alb-5xx": {"period": 90},
            "task-failures": {"threshold": "many"},
            "scale-in": {"evaluation_periods": 500},
            "new": {"namespace": "X"},
        },
    )
    subs = [
        {"protocol": "http", "endpoint": "http://x"},
        {"protocol": "pigeon", "endpoint": "x"},
        {"protocol": "email"},
    ]
    problems = " | ".join(monitoring.monitoring_problems({"alarms": table, "subscriptions": subs}))
    for expected in ("rds-cpu: comparison 'Bigger'", "alb-5xx: period 90", "task-failures: threshold 'many'",
                     "scale-in: evaluation_periods", "new: missing metric", "unencrypted", "'pigeon'",
                     "needs protocol and endpoint"):  # fmt: skip
        assert expected in problems


def test_alarm_list_expands_nodes_actions_and_thresholds():
    alarms = {a["name"]: a for a in monitoring.alarm_list(TABLE, CTX)}
    assert "airflow-t-redis-memory-airflow-t-redis-001" in alarms
    assert "airflow-t-redis-evictions-airflow-t-redis-002" in alarms
    assert alarms["airflow-t-worker-scale-out"]["alarm_actions"] == ["arn:out"]
    assert alarms["airflow-t-worker-scale-in"]["alarm_actions"] == ["arn:in"]
    assert alarms["airflow-t-scheduler-heartbeat"]["alarm_actions"] == [CTX["topic_arn"]]
    assert alarms["airflow-t-rds-free-storage"]["threshold"] == 20 * 1024**3  # 10% of 200 GiB
    assert alarms["airflow-t-api-unhealthy-targets"]["dimensions"] == {
        "TargetGroup": CTX["target_group"],
        "LoadBalancer": CTX["alb"],
    }
    assert "airflow-t-efs-burst-credits" in alarms
    others = [a for a in alarms.values() if not a["name"].startswith("airflow-t-worker-scale")]
    assert all(a["alarm_actions"] == [CTX["topic_arn"]] for a in others)

    provisioned = {a["name"] for a in monitoring.alarm_list(TABLE, dict(CTX, efs_throughput_mode="elastic"))}
    assert "airflow-t-efs-burst-credits" not in provisioned
    noisy = {a["name"]: a for a in monitoring.alarm_list(TABLE, dict(CTX, notify_on_scaling=True))}
    assert noisy["airflow-t-worker-scale-out"]["alarm_actions"] == ["arn:out", CTX["topic_arn"]]
    assert monitoring.alarm_list(merge_hash(TABLE, {"alb-5xx": {"enabled": False}}), CTX) != []
    assert "airflow-t-alb-5xx" not in {
        a["name"] for a in monitoring.alarm_list(merge_hash(TABLE, {"alb-5xx": {"enabled": False}}), CTX)
    }


def test_alarm_list_refuses_missing_lookups():
    with pytest.raises(ValueError, match="scale-out policy of pool worker was not found"):
        monitoring.alarm_list(
            TABLE, dict(CTX, pools={"worker": {**CTX["pools"]["worker"], "scale_out_arn": ""}})
        )
    with pytest.raises(ValueError, match="LoadBalancer"):
        monitoring.alarm_list(TABLE, dict(CTX, alb=""))


def test_arn_suffix():
    arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/airflow-t-alb/50dc6c495c0c9188"
    assert monitoring.arn_suffix(arn, "app/") == "app/airflow-t-alb/50dc6c495c0c9188"
    tg = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/airflow-t-api/73e2d6bc24d8a067"
    assert monitoring.arn_suffix(tg, "targetgroup/") == "targetgroup/airflow-t-api/73e2d6bc24d8a067"
    assert monitoring.arn_suffix("", "app/") == ""


# ---- the compute role's side of the metric path ----

COMPUTE_CTX = {
    "prefix": "airflow-t",
    "env": "t",
    "region": "us-east-1",
    "account_id": "123456789012",
    "cluster": "airflow-t",
    "key_arns": {"logs": "arn:k:logs", "s3": "arn:k:s3"},
    "secret_prefix": "airflow/t",
    "secret_arns": {
        f"airflow/t/{name}": f"arn:s:{name}"
        for name in (
            "sql_alchemy_conn",
            "celery_broker_url",
            "celery_result_backend",
            "fernet_key",
            "api_secret_key",
            "jwt_secret",
        )
    },
    "dags_bucket": "dags",
    "logs_bucket": "logs",
    "log_groups": {s: f"/ecs/airflow-t-{s}" for s in ("scheduler", "worker")},
    "exec_log_group": "/ecs/airflow-t-exec",
    "efs": {
        "file_system_id": "fs-1",
        "arn": "arn:fs",
        "access_point_id": "fsap-1",
        "access_point_arn": "arn:ap",
    },
    "dag_sync_metric_namespace": "Airflow/DagSync",
    "services": compute_filter.service_table(
        {
            s: {
                "image": "airflow:1",
                "command": [s],
                "cpu": 1024,
                "memory": 2048,
                "health_command": ["python", "-V"],
                "security_group": s,
                "log_group": s,
                "secrets": ["sql_alchemy_conn", "celery_broker_url"],
                "metrics": True,
            }
            for s in ("scheduler", "worker")
        },
        {"scheduler": {"queue_depth": True}, "worker": {"queues": ["default"], "task_logs": "write"}},
    ),
    "airflow_environment": {},
    "auth_environment": {},
    "task_role_arns": {"scheduler": "arn:role:s", "worker": "arn:role:w"},
    "execution_role_arns": {"scheduler": "arn:role:x", "worker": "arn:role:x", "api-server": "arn:role:x"},
    "cpu_architecture": "X86_64",
}


def test_scheduler_and_worker_tasks_carry_the_metrics_container_and_its_permission():
    from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute

    policies = compute.task_role_policies(COMPUTE_CTX)
    alarm_namespaces = {row["namespace"] for row in TABLE.values() if row["namespace"].startswith("Airflow")}
    for service, command in (("scheduler", "--queue-depth"), ("worker", None)):
        task = compute.airflow_task_definition(service, COMPUTE_CTX)
        airflow, metrics = task["container_definitions"]
        env = {e["name"]: e["value"] for e in airflow["environment"]}
        assert env["AIRFLOW__METRICS__STATSD_ON"] == "True"
        assert (env["AIRFLOW__METRICS__STATSD_HOST"], env["AIRFLOW__METRICS__STATSD_PORT"]) == (
            "127.0.0.1",
            "8125",
        )
        assert metrics["essential"] is False and metrics["image"] == airflow["image"]
        assert metrics["entryPoint"] + metrics["command"][:1] == [
            "python",
            "-m",
            "airflow_ecs_image.statsd_bridge",
        ]
        assert {"name": "AIRFLOW_ECS_METRICS_ENVIRONMENT", "value": "t"} in metrics["environment"]
        statement = next(s for s in policies[service]["Statement"] if s.get("Sid") == "AirflowMetrics")
        allowed = set(statement["Condition"]["StringEquals"]["cloudwatch:namespace"])
        if command:
            assert command in metrics["command"]
            assert [s["name"] for s in metrics["secrets"]] == ["AIRFLOW__CELERY__BROKER_URL"]
            # Every namespace an Airflow/Celery alarm reads (DAG sync is dag-sync's own) may be written.
            assert alarm_namespaces - {"Airflow/DagSync"} <= allowed
        else:
            assert "secrets" not in metrics and allowed == {"Airflow"}
    api = {"image": "a:1", "command": ["api-server"], "cpu": 1024, "memory": 2048, "health_command": ["x"]}
    api.update(security_group="api-server", log_group="api-server", secrets=["fernet_key"])
    api_ctx = dict(
        COMPUTE_CTX,
        services=compute_filter.service_table({"api-server": api}),
        task_role_arns={"api-server": "arn:r"},
        log_groups={"api-server": "/ecs/a"},
    )
    assert len(compute.airflow_task_definition("api-server", api_ctx)["container_definitions"]) == 1
