"""One service, one row: a worker pool added as one inventory row gets everything a pool has
(task definition with its Celery queue, service, task role, autoscaling on its own queue depth,
alarms and dashboard, the gate's renderings), and no list of service names is written out
anywhere but the compute role's defaults table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as cf
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_compute, plan_monitoring
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_model as pm
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_layers import (
    plan_resources,
    renderings,
)
from plan_support import inventory_vars

ROOT = Path(__file__).resolve().parents[2]
POOL = {
    "extends": "worker",
    "queues": ["gpu"],
    "cpu": 4096,
    "memory": 16384,
    "desired_count": 0,
    "min_capacity": 0,
    "max_capacity": 4,
    "capacity_provider": "FARGATE",
}


def _with_pool(env: str = "dev") -> dict:
    v = inventory_vars(env)
    v["compute_services"] = {**v["compute_services"], "worker-gpu": dict(POOL)}
    return v


def _container(resources: list, service: str) -> dict:
    return pm.by_id(resources)[pm.task_definition_id(service)]["properties"]["ContainerDefinitions"]


def test_a_pool_row_gets_its_task_definition_service_role_and_autoscaling():
    v = _with_pool()
    prefix = v["compute_name_prefix"]
    resources = plan_compute.compute_resources(v)
    planned = pm.by_id(resources)
    main, metrics = _container(resources, "worker-gpu")
    assert main["Command"] == ["celery", "worker", "--queues", "gpu"]
    assert {"Name": "AIRFLOW__CELERY__WORKER_CONCURRENCY", "Value": "16"} in main["Environment"]
    assert main["HealthCheck"]["Command"][-1] == "worker"  # the worker's health check, inherited
    assert main["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == "worker-gpu"
    assert metrics["Name"] == "metrics"
    task = planned[pm.task_definition_id("worker-gpu")]["properties"]
    assert (task["Cpu"], task["Memory"]) == ("4096", "16384")
    assert task["TaskRoleArn"] == pm.get_att(pm.role_id("worker-gpu-task"), "Arn")
    service = planned[pm.service_id("worker-gpu")]["properties"]
    assert service["ServiceName"] == f"{prefix}-worker-gpu"
    assert service["CapacityProviderStrategy"][0]["CapacityProvider"] == "FARGATE"
    # A pool shares the worker's security group unless its row names another.
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [
        pm.ref(pm.sg_id("worker"))
    ]
    target = planned[pm.scalable_target_id("worker-gpu")]["properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    assert target["ResourceId"] == f"service/{v['compute_cluster_name']}/{prefix}-worker-gpu"
    for name in ("scale-out", "scale-in"):
        policy = planned[pm.scaling_policy_id("worker-gpu", name)]["properties"]
        assert policy["PolicyName"] == f"{prefix}-worker-gpu-{name}"
    role = planned[pm.role_id("worker-gpu-task")]["properties"]
    sids = {s["Sid"] for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert {"ScaleInProtection", "AirflowMetrics", "TaskLogsObjects", "DagsFileSystem"} <= sids


def test_the_scheduler_publishes_every_pools_queue_depth():
    v = _with_pool()
    scheduler_metrics = _container(plan_compute.compute_resources(v), "scheduler")[1]
    env = {e["Name"]: e["Value"] for e in scheduler_metrics["Environment"]}
    assert json.loads(env["AIRFLOW_ECS_QUEUE_POOLS"]) == {"worker": ["default"], "worker-gpu": ["gpu"]}


def test_a_pool_row_gets_its_alarms_and_dashboard_row():
    v = _with_pool()
    prefix = v["monitoring_name_prefix"]
    resources = plan_monitoring.monitoring_resources(v)
    alarms = {
        r["properties"]["AlarmName"]: r["properties"]
        for r in resources
        if r["type"] == "AWS::CloudWatch::Alarm"
    }
    for name, policy in (("scale-out", "scale-out"), ("scale-in", "scale-in")):
        alarm = alarms[f"{prefix}-worker-gpu-{name}"]
        assert {"Name": "WorkerPool", "Value": "worker-gpu"} in alarm["Dimensions"]
        assert alarm["AlarmActions"] == [{"Ref": pm.scaling_policy_id("worker-gpu", policy)}]
    assert f"{prefix}-worker-scale-out" in alarms  # the default pool keeps its own
    dashboard = pm.by_id(resources)[plan_monitoring.DASHBOARD_ID]["properties"]
    metrics = [
        m for w in json.loads(dashboard["DashboardBody"])["widgets"] for m in w["properties"]["metrics"]
    ]
    assert [
        "Airflow/Celery",
        "QueueDepth",
        "Environment",
        v["monitoring_environment"],
        "WorkerPool",
        "worker-gpu",
    ] in (metrics)
    assert any(m[1] == "RunningTaskCount" and m[-1] == f"{prefix}-worker-gpu" for m in metrics)


def test_the_gate_sees_the_pool():
    """The renderings the gate judges (CloudFormation, Terraform plan) carry the pool's resources."""
    v = _with_pool()
    rendered = renderings(plan_resources(v), v["airflow_region"], "pool")
    template = rendered["cloudformation"]["Resources"]
    assert pm.service_id("worker-gpu") in template and pm.scalable_target_id("worker-gpu") in template
    addresses = {r["address"] for r in rendered["terraform"]["resource_changes"]}
    assert f"aws_ecs_service.{pm.service_id('worker-gpu')}" in addresses


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"extends": "nothing"}, "compute_services.worker-gpu.extends='nothing' names no row"),
        ({"queues": ["default"]}, "Celery queue 'default' is served by both compute_services.worker"),
        ({"queues": []}, "compute_services.worker-gpu.queues=[] must be a non-empty list"),
        ({"min_capacity": 1, "max_capacity": None}, "needs both min_capacity and max_capacity"),
        ({"secrets": ["db_master_password"]}, "names unknown secrets ['db_master_password']"),
        ({"colour": "blue"}, "has unknown keys ['colour']"),
        ({"load_balancer": True}, "only one row may sit behind the ALB's target group"),
        ({"load_balancer": True, "port": 8080}, "load_balancer needs tls: true (the ALB's target group"),
        ({"tls": True}, "compute_services.worker-gpu: tls serves the container's port over HTTPS: set port"),
        ({"user": "0:0"}, "compute_services.worker-gpu.user='0:0': pin the image's non-root numeric user"),
        ({"user": "airflow"}, "compute_services.worker-gpu.user='airflow': pin the image's non-root"),
        ({"scratch_paths": ["tmp"]}, "compute_services.worker-gpu.scratch_paths has 'tmp': an absolute"),
        ({"scratch_paths": ["/opt/airflow/dags"]}, "scratch_paths has '/opt/airflow/dags': an absolute"),
        ({"scratch_paths": ["/tmp", "/tmp/"]}, "compute_services.worker-gpu.scratch_paths has '/tmp/'"),
    ],
)
def test_a_wrong_pool_row_is_refused_before_any_aws_call(row, expected):
    v = inventory_vars("dev")
    services = {**v["compute_services"], "worker-gpu": {**POOL, **row}}
    cfg = {
        "services_defaults": v["compute_services_defaults"],
        "services": services,
        "dag_sync": v["compute_dag_sync"],
        "migrate": v["compute_migrate"],
        "capacity_providers": v["compute_capacity_providers"],
        "default_capacity_provider_strategy": v["compute_default_capacity_provider_strategy"],
        "name_prefix": v["compute_name_prefix"],
        "cluster_name": v["compute_cluster_name"],
        "exec_log_group": v["compute_exec_log_group"],
        "alb_domain_name": v["compute_alb_domain_name"],
    }
    problems = cf.compute_problems(cfg)
    assert any(expected in p for p in problems), problems
    assert cf.compute_problems({**cfg, "services": {**v["compute_services"], "worker-gpu": POOL}}) == []


def test_the_dag_sync_and_migrate_rows_need_a_pinned_user():
    v = inventory_vars("dev")
    cfg = {
        "services_defaults": v["compute_services_defaults"],
        "services": v["compute_services"],
        "dag_sync": {k: val for k, val in v["compute_dag_sync"].items() if k != "user"},
        "migrate": {**v["compute_migrate"], "user": "0"},
        "capacity_providers": v["compute_capacity_providers"],
        "default_capacity_provider_strategy": v["compute_default_capacity_provider_strategy"],
    }
    problems = [p for p in cf.compute_problems(cfg) if ".user=" in p]
    assert [p.split(":")[0] for p in problems] == ["compute_dag_sync.user=None", "compute_migrate.user='0'"]


# A list of three or more of the services, written out (YAML flow or block list, Python/Rego
# collection). The JWT holders in policies/compute.rego are two names: a rule of the audit.
SERVICE_NAMES = ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "dag-sync")
_NAME = "|".join(re.escape(n) for n in SERVICE_NAMES)
WRITTEN_OUT = re.compile(rf"""(?:["']?(?:{_NAME})["']?\s*,\s*){{2,}}["']?(?:{_NAME})\b""")
# files/images is the image: its health check knows Airflow's process kinds (api-server, scheduler,
# ...), not the deployment's services (a pool runs the `worker` kind).
SOURCES = (
    "roles",
    "playbooks",
    "plugins",
    "policies",
    "awx",
    "site.yml",
    "inventories",
    "files/sidecar",
    "tools",
)


def _source_files():
    for top in SOURCES:
        path = ROOT / top
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if (
                file.suffix in (".yml", ".yaml", ".py", ".rego", ".j2", ".json")
                and "molecule" not in file.parts
            ):
                yield file


def test_no_list_of_service_names_is_written_out_but_the_table():
    found = []
    for file in _source_files():
        if file == ROOT / "roles/compute/defaults/main.yml":
            continue
        for number, line in enumerate(file.read_text(errors="replace").splitlines(), 1):
            if WRITTEN_OUT.search(line):
                found.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_grep_finds_a_written_out_list():
    """The check above would catch the lists it replaced."""
    assert WRITTEN_OUT.search(
        "    destroy_services: [api-server, scheduler, dag-processor, triggerer, worker]"
    )
    assert WRITTEN_OUT.search('AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor")')
    assert not WRITTEN_OUT.search('jwt_holders := {"api-server", "scheduler"}')
