"""playbooks/cost.yml: every line item of the dev and prod estimates equals a hand calculation from the
price table (files/prices) and the inventory; the estimate follows the inventory (prod with 10 workers
costs exactly the Fargate difference more); the NAT comparison; flow logs and SQS queues are priced
when the plan holds them; a region the table lacks is refused by name; the chart is well-formed SVG."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import cost_estimate as ce
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import cost_report

ROOT = Path(__file__).resolve().parents[2]
PRICE_FILE = ROOT / "files/prices/aws-prices-2025-06.yml"
TABLE = yaml.safe_load(PRICE_FILE.read_text())
P = TABLE["regions"]["us-east-1"]
H = 730  # hours a month
ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "events", "sts", "secretsmanager", "ssm", "ssmmessages", "kms"]
ENDPOINTS += ["elasticfilesystem", "monitoring", "ecs"]
# Event-mode DAG delivery (airflow_dags_delivery: event): the dag-sync task long-polls SQS.
ENDPOINTS += ["sqs"]


def run_cost(env: str, out: Path, *extra: str) -> tuple[dict, str]:
    """ansible-playbook playbooks/cost.yml -i inventories/<env>: the JSON report and the console output."""
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    done = subprocess.run(
        [playbook, "-i", f"inventories/{env}", "playbooks/cost.yml", "-e", f"cost_report_dir={out}", *extra],
        cwd=ROOT,
        env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return json.loads((out / f"cost-{env}.json").read_text()), done.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """env -> (report, console output, report directory)."""
    dirs = {env: tmp_path_factory.mktemp(env) for env in ("dev", "prod")}
    return {env: (*run_cost(env, out), out) for env, out in dirs.items()}


@pytest.fixture(scope="module")
def reports(runs) -> dict:
    return {env: run[0] for env, run in runs.items()}


def lines(report: dict) -> dict:
    return {(i["layer"], i["resource"], i["item"]): i["monthly"] for i in report["items"]}


def fargate(service: str, tasks: int, vcpu: float, gb: float, provider: str = "FARGATE") -> dict:
    rate, label = (
        P["fargate"][provider]["X86_64"],
        "Fargate Spot" if provider == "FARGATE_SPOT" else "Fargate",
    )
    return {
        ("compute", service, f"{label} vCPU ({tasks:g} x {vcpu:g} vCPU)"): tasks
        * vcpu
        * H
        * rate["vcpu_hour"],
        ("compute", service, f"{label} memory ({tasks:g} x {gb:g} GB)"): tasks * gb * H * rate["gb_hour"],
    }


def common(env: str, logs_gb: float, lcu: float, s3_gb: float, efs_gb: float, alarms: int, days: int) -> dict:
    """The line items dev and prod share in shape: flow logs, keys, endpoints, S3, secrets, ALB,
    CloudWatch. ``days``: the inventory's log retention (flow logs and the services' log groups)."""
    cw, s3 = P["cloudwatch"], P["s3"]
    out = {
        # One VPC flow log: cost_flow_logs_gb_per_month (5 GB) at the vended-logs price, and kept
        # network_flow_logs_retention_days: 5 GB x days / 30 GB-months at the storage price.
        ("network", "VPC flow logs", "1 flow logs, ingested"): 5 * cw["vended_logs_ingested_gb"],
        ("network", "VPC flow logs", f"stored ({days} days' worth, uncompressed)"): 5
        * days
        / 30
        * cw["logs_stored_gb_month"],
        ("kms", "KMS", "7 customer-managed keys"): 7 * 1.00,
        ("kms", "KMS", "rotated key versions (7 keys, 0 years old)"): 0.0,
        ("kms", "KMS", "requests"): 100_000 / 10_000 * 0.03,
        ("endpoints", "s3", "gateway endpoint"): 0.0,
        ("endpoints", "interface endpoints", "data processed"): (logs_gb + 5) * 0.01,
        ("data", f"airflow-{env}-dags", "EFS Standard storage"): efs_gb * 0.30,
        ("data", f"airflow-{env}-dags", "EFS Infrequent Access storage"): 0.0,
        ("data", f"airflow-{env}-dags", "AWS Backup of EFS"): efs_gb * 0.05,
        ("data", "S3 (2 buckets)", "Standard storage"): s3_gb * 0.023,
        ("data", "S3 (2 buckets)", "PUT/LIST requests (task logs)"): 100 * 0.005,
        # The DAG sync lists the bucket every 30-40 s (35 on average): 730 h * 3600 / 35 LISTs.
        ("data", "S3 (2 buckets)", "LIST requests (DAG sync cycles)"): H
        * 3600
        / 35
        / 1000
        * s3["put_list_per_1000"],
        ("data", "S3 (2 buckets)", "GET requests"): 100 * 0.0004,
        # The S3 server access-log bucket (not one of the 2 above): cost_access_logs_gb_per_month
        # (1 GB) kept data_access_logs_expiration_days (365) plus, versioned, its noncurrent 30 days.
        ("data", f"pathwai-airflow3-s3-access-logs-{env}", "access logs stored (395 days' worth)"): 1
        * (365 + 30)
        / 30
        * s3["standard_gb_month"],
        # The ALB's access-log bucket (unversioned): 1 GB a month kept alb_access_logs_expiration_days (90).
        ("alb", f"pathwai-airflow3-alb-logs-{env}", "access logs stored (90 days' worth)"): 1
        * 90
        / 30
        * s3["standard_gb_month"],
        # Event-mode DAG delivery: the DAG-events queue and its DLQ, cost_sqs_requests_per_queue_per_month
        # (150,000: a 20 s long poll is ~131,000 receives a month) each.
        ("data", "SQS", "2 queues, requests"): 2 * 150_000 / 1e6 * P["sqs"]["per_million_requests"],
        ("data", "Secrets Manager", "11 secrets"): 11 * 0.40,
        ("data", "Secrets Manager", "API calls"): 1 * 0.05,
        ("alb", f"airflow-{env}-alb", "load balancer hours"): H * 0.0225,
        ("alb", f"airflow-{env}-alb", f"LCUs ({lcu:g} on average)"): lcu * H * 0.008,
        # Container Insights: 8 metrics for the cluster, 8 for each of the 6 services.
        ("compute", f"airflow-{env}", "Container Insights metrics (6 services)"): (8 + 6 * 8) * 0.30,
        ("compute", f"airflow-{env}", "Container Insights performance logs"): 1 * 0.50,
        # 8 log groups: the 7 services' and ECS Exec's (the flow logs' group is priced above).
        ("monitoring", "CloudWatch", "logs ingested (8 log groups)"): logs_gb * cw["logs_ingested_gb"],
        # compute_log_retention_days: a month's logs x days / 30 kept.
        ("monitoring", "CloudWatch", f"logs stored ({days} days' worth, uncompressed)"): logs_gb
        * days
        / 30
        * 0.03,
        # SchedulerHeartbeat, TaskFailures, QueueDepth (total and per pool), SyncLagSeconds + 10 more.
        ("monitoring", "CloudWatch", "custom metrics (5 alarmed + 10 more)"): 15 * 0.30,
        ("monitoring", "CloudWatch", "metric API requests (PutMetricData)"): 200 * 0.01,
        ("monitoring", "CloudWatch", "alarms (standard resolution)"): alarms * 0.10,
        ("monitoring", "CloudWatch", "alarms (high resolution)"): 0.0,
        ("monitoring", "CloudWatch", "dashboards"): 1 * 3.00,
    }
    out.update({("endpoints", s, "interface endpoint x 2 AZs"): 2 * H * 0.01 for s in ENDPOINTS})
    return out


def expected_dev() -> dict:
    # 16 alarms: 2 of them on the DAG-events queue (event mode); prod has 20
    out = common("dev", logs_gb=10, lcu=1, s3_gb=10, efs_gb=1, alarms=16, days=30)
    out.update(
        {
            ("data", "airflow-dev-db", "RDS db.t4g.medium Single-AZ"): H * 0.065,
            ("data", "airflow-dev-db", "gp3 storage 100 GB (Single-AZ)"): 100 * 0.115,
            ("data", "airflow-dev-db", "gp3 IOPS above the 3000 included"): 0.0,
            ("data", "airflow-dev-db", "gp3 throughput above the 125 MiB/s included"): 0.0,
            # 20 GB + 7 days x 5% of it = 27 GB, under the free 100 GB.
            ("data", "airflow-dev-db", "backups beyond the free 100 GB (27 GB kept)"): 0.0,
            ("data", "airflow-dev-db", "Performance Insights, 7 days (free)"): 0.0,
            ("data", "airflow-dev-redis", "ElastiCache cache.t4g.micro x 1 nodes"): H * 0.016,
            ("data", "airflow-dev-redis", "snapshots (5 kept)"): 5 * 0.1 * 0.085,
        }
    )
    out |= (
        fargate("api-server", 1, 1, 2) | fargate("scheduler", 1, 1, 2) | fargate("dag-processor", 1, 0.5, 1)
    )
    out |= (
        fargate("triggerer", 1, 0.5, 1)
        | fargate("worker", 2, 2, 4, "FARGATE_SPOT")
        | fargate("dag-sync", 1, 0.25, 0.5)
    )
    return out


def expected_prod(workers: int = 4) -> dict:
    # prod's inventory sets 50 GB of logs, 2 LCUs, 100 GB in S3, 5 GB on EFS, a 100 GB database,
    # 365 days of log retention.
    out = common("prod", logs_gb=50, lcu=2, s3_gb=100, efs_gb=5, alarms=20, days=365)
    out.update(
        {
            ("data", "airflow-prod-db", "RDS db.r6g.large Multi-AZ"): 2 * H * 0.225,
            ("data", "airflow-prod-db", "gp3 storage 200 GB (Multi-AZ)"): 2 * 200 * 0.115,
            ("data", "airflow-prod-db", "gp3 IOPS above the 3000 included"): 0.0,
            ("data", "airflow-prod-db", "gp3 throughput above the 125 MiB/s included"): 0.0,
            # 100 GB + 30 days x 5% of it = 250 GB; 200 GB free.
            ("data", "airflow-prod-db", "backups beyond the free 200 GB (250 GB kept)"): 50 * 0.095,
            ("data", "airflow-prod-db", "Performance Insights, 7 days (free)"): 0.0,
            ("data", "airflow-prod-redis", "ElastiCache cache.r6g.large x 3 nodes"): 3 * H * 0.206,
            ("data", "airflow-prod-redis", "snapshots (5 kept)"): 5 * 0.1 * 0.085,
        }
    )
    out |= fargate("api-server", 2, 2, 4) | fargate("scheduler", 2, 2, 4) | fargate("dag-processor", 1, 1, 2)
    out |= (
        fargate("triggerer", 2, 1, 2) | fargate("worker", workers, 4, 8) | fargate("dag-sync", 1, 0.25, 0.5)
    )
    return out


@pytest.mark.parametrize(("env", "expected"), [("dev", expected_dev), ("prod", expected_prod)])
def test_every_line_item_is_the_hand_calculation(reports, env, expected):
    report, want = reports[env], expected()
    got = lines(report)
    assert sorted(got) == sorted(want), {"unexpected": set(got) - set(want), "missing": set(want) - set(got)}
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    for item in report["items"]:
        assert item["monthly"] == pytest.approx(item["quantity"] * item["unit_price"])
    assert report["total"] == pytest.approx(sum(want.values()))
    assert report["prices"]["date"] == TABLE["date"] and "list prices" in report["prices"]["source"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_nat_comparison_is_the_hand_calculation(reports, env):
    report = reports[env]
    data_gb = (10 if env == "dev" else 50) + 5
    # 13 interface endpoints (ENDPOINTS) in 2 AZs, and the data through them.
    endpoints = len(ENDPOINTS) * 2 * H * 0.01 + data_gb * 0.01
    nat = 2 * H * 0.045 + 2 * H * 0.005 + data_gb * 0.045
    alternative = report["nat_alternative"]
    assert alternative["replaces"] == pytest.approx(endpoints)
    assert alternative["monthly"] == pytest.approx(nat)
    assert alternative["total"] == pytest.approx(report["total"] - endpoints + nat)
    assert alternative["nat_free_costs_more_by"] == pytest.approx(endpoints - nat)


def test_rds_enhanced_monitoring_is_named_as_not_counted_where_it_is_on(reports):
    """prod's data_rds_monitoring_interval is 60, dev's 0: the RDSOSMetrics logs have no price."""
    prod, dev = (" ".join(reports[e]["not_counted"]) for e in ("prod", "dev"))
    assert "RDS Enhanced Monitoring of airflow-prod-db (a record every 60 s" in prod
    assert "Enhanced Monitoring" not in dev


def test_ten_prod_workers_cost_exactly_the_fargate_difference_more(reports, tmp_path):
    services = yaml.safe_load((ROOT / "inventories/prod/group_vars/all/main.yml").read_text())[
        "compute_services"
    ]
    assert services["worker"]["desired_count"] == 4
    services["worker"]["desired_count"] = 10
    (tmp_path / "ten.json").write_text(json.dumps({"compute_services": services}))
    ten, _ = run_cost("prod", tmp_path, "-e", f"@{tmp_path / 'ten.json'}")
    four = reports["prod"]
    difference = 6 * 4 * H * P["fargate"]["FARGATE"]["X86_64"]["vcpu_hour"]
    difference += 6 * 8 * H * P["fargate"]["FARGATE"]["X86_64"]["gb_hour"]
    assert ten["total"] - four["total"] == pytest.approx(difference, rel=1e-12)
    assert ten["layers"]["compute"] - four["layers"]["compute"] == pytest.approx(difference, rel=1e-12)
    assert lines(ten) == pytest.approx(expected_prod(workers=10))


def test_console_table_names_the_prices_and_every_layer(runs):
    report, out, written = runs["dev"]
    flat = " ".join(out.split())
    assert f"list prices as of {TABLE['date']} (files/prices/{PRICE_FILE.name})" in flat
    assert f"TOTAL {report['total']:,.2f}" in flat
    assert "Stack with NAT gateways:" in flat
    assert all(f"{layer} {total:,.2f}" in flat for layer, total in report["layers"].items())
    for ext in ("txt", "md", "svg"):
        assert (written / f"cost-dev.{ext}").stat().st_size > 0
    chart = ET.parse(written / "cost-dev.svg").getroot()  # noqa: S314 - the file the playbook just wrote
    labels = [t.text for t in chart.iter("{http://www.w3.org/2000/svg}text")]
    assert set(report["layers"]) | {"total", "total with NAT"} <= set(labels)


def _context() -> dict:
    return {"environment": "x", "region": "us-east-1", "name_prefix": "p-x", "price_file": "t.yml"}


def _usage() -> dict:
    defaults = yaml.safe_load((ROOT / "roles/cost/defaults/main.yml").read_text())
    return {k.removeprefix("cost_"): v for k, v in defaults.items() if isinstance(v, int | float)}


def test_flow_logs_and_queues_are_priced_when_the_plan_holds_them():
    plan = {
        "network": [{"type": "AWS::EC2::FlowLog", "id": "Flow", "properties": {}}],
        "data": [{"type": "AWS::SQS::Queue", "id": q, "properties": {}} for q in ("Dags", "DagsDlq")],
    }
    report = ce.estimate(plan, _context(), TABLE, _usage())
    got = lines(report)
    assert got[("network", "VPC flow logs", "1 flow logs, ingested")] == pytest.approx(5 * 0.50)
    # No destination log group in the plan: 30 days kept (CloudWatch Logs' default here).
    assert got[("network", "VPC flow logs", "stored (30 days' worth, uncompressed)")] == pytest.approx(
        5 * 0.03
    )
    assert got[("data", "SQS", "2 queues, requests")] == pytest.approx(2 * 150_000 / 1e6 * 0.40)
    assert (report["layers"]["network"], report["layers"]["data"]) == pytest.approx((2.65, 0.12))
    assert report["total"] == pytest.approx(sum(i["monthly"] for i in report["items"]))


def test_a_region_without_prices_is_refused_by_name():
    with pytest.raises(ce.PriceMissing, match=r"\(t\.yml\) has no prices for eu-west-9"):
        ce.estimate({}, {**_context(), "region": "eu-west-9"}, TABLE, _usage())


def test_capacity_provider_split_takes_each_base_then_the_weights():
    strategy = [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Base": 0, "Weight": 3},
    ]
    assert ce.provider_split(5, strategy) == {"FARGATE": 2.0, "FARGATE_SPOT": 3.0}
    assert ce.provider_split(1, strategy) == {"FARGATE": 1.0, "FARGATE_SPOT": 0.0}


def test_markdown_has_every_item_and_the_total(reports):
    text = cost_report.markdown(reports["dev"])
    assert text.count("\n| ") >= len(reports["dev"]["items"]) + len(reports["dev"]["layers"])
    assert f"| **total** | **{reports['dev']['total']:,.2f}** |" in text


def _service(name: str, cpu: int, memory: int, count: int, strategy: list[dict]) -> list[dict]:
    """A service of the compute plan as plan_compute renders one (CloudFormation shapes)."""
    task = {"Cpu": str(cpu), "Memory": str(memory), "RuntimePlatform": {"CpuArchitecture": "X86_64"}}
    service = {
        "ServiceName": f"p-x-{name}",
        "TaskDefinition": {"Ref": f"Taskdef{name}"},
        "DesiredCount": count,
    }
    return [
        {"type": "AWS::ECS::TaskDefinition", "id": f"Taskdef{name}", "properties": task},
        {"type": "AWS::ECS::Service", "id": f"Service{name}", "properties": service | strategy},
    ]


def test_any_service_row_is_priced_a_worker_pool_with_its_range():
    heavy = [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
    ]
    compute = _service("worker", 2048, 4096, 2, {"LaunchType": "FARGATE"})
    compute += _service("worker-heavy", 4096, 16384, 5, {"CapacityProviderStrategy": heavy})
    compute.append(
        {
            "type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "id": "ScalingTargetWorkerHeavy",
            "properties": {"ResourceId": "service/p-x/p-x-worker-heavy", "ServiceNamespace": "ecs"}
            | {"MinCapacity": 1, "MaxCapacity": 9},
        }
    )
    report = ce.estimate({"compute": compute}, _context(), TABLE, _usage())
    # worker-heavy at 5 tasks: 1 (base) + 4 x 1/4 on FARGATE = 2, 4 x 3/4 on FARGATE_SPOT = 3.
    want = fargate("worker", 2, 2, 4) | fargate("worker-heavy", 2, 4, 16)
    want |= fargate("worker-heavy", 3, 4, 16, "FARGATE_SPOT")
    assert {k: v for k, v in lines(report).items() if k[0] == "compute"} == pytest.approx(want)
    (pool,) = report["scaling"]
    on_demand, spot = P["fargate"]["FARGATE"]["X86_64"], P["fargate"]["FARGATE_SPOT"]["X86_64"]
    task = {k: 4 * r["vcpu_hour"] + 16 * r["gb_hour"] for k, r in (("od", on_demand), ("spot", spot))}
    # 1 task: the base, on FARGATE; 9 tasks: 1 + 2 on FARGATE, 6 on FARGATE_SPOT.
    assert pool["service"] == "worker-heavy" and (pool["min_capacity"], pool["max_capacity"]) == (1, 9)
    assert pool["monthly_at_min"] == pytest.approx(H * task["od"])
    assert pool["monthly_at_max"] == pytest.approx(H * (3 * task["od"] + 6 * task["spot"]))
