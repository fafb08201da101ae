"""The monitoring layer of the plan: the alert topic, every alarm and the dashboard roles/monitoring
sends, judged by cfn-lint and rendered for Terraform."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ansible.utils.vars import merge_hash
from ansible_collections.pathwai.airflow_ecs.plugins.filter.compute import autoscaled, service_table
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_monitoring
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_data import DB_INSTANCE_ID, EFS_ID
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALB_ID,
    ALERT_TOPIC_ID,
    PLAN_ACCOUNT,
    TARGET_GROUP_ID,
    by_id,
    key_id,
    logical_id,
    scaling_policy_id,
)
from plan_support import ENVS, cfn_lint, inventory_vars, terraform, unresolved, with_layers_below

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from ansible_run import run_playbook

ALARM = "AWS::CloudWatch::Alarm"
SUBSCRIPTIONS = [
    {"protocol": "email", "endpoint": "oncall@example.com"},
    {"protocol": "https", "endpoint": "https://events.example.com/alerts"},
]


def _alarms(resources: list[dict]) -> dict[str, dict]:
    return {r["properties"]["AlarmName"]: r["properties"] for r in resources if r["type"] == ALARM}


@pytest.mark.parametrize("env", ENVS)
def test_monitoring_layer_passes_cfn_lint(env):
    v = {**inventory_vars(env), "monitoring_alert_subscriptions": SUBSCRIPTIONS}
    mine = plan_monitoring.monitoring_resources(v)
    findings = cfn_lint(with_layers_below(v, "monitoring"), v["airflow_region"], only=mine)
    # SNS's own default topic policy is written in the 2008 policy language.
    assert findings == [
        "W2511 Resources/AlertTopicPolicy/Properties/PolicyDocument/Version: "
        "IAM Policy Version should be updated to '2012-10-17'"
    ], findings


@pytest.mark.parametrize("env", ENVS)
def test_every_alarm_of_the_table_is_planned(env):
    """One alarm per enabled row of the role's table, per Redis node for the @redis_node rows."""
    v = inventory_vars(env)
    table = merge_hash(v["monitoring_alarms_defaults"], v["monitoring_alarms"], recursive=True)
    bursting = v["data_efs_throughput_mode"] == "bursting"
    nodes = int(v["data_redis_num_cache_nodes"])
    expected = set()
    for key, row in table.items():
        if row.get("enabled", True) in (False, "false") or (
            row.get("enabled") == "@efs_bursting" and not bursting
        ):
            continue
        per_node = "@redis_node" in (row.get("dimensions") or {}).values()
        suffixes = [f"-{v['monitoring_redis_replication_group_id']}-{i:03d}" for i in range(1, nodes + 1)]
        pools = [f"{pool}-" for pool in autoscaled(service_table(v["compute_services_defaults"],
                 v["compute_services"]))] if row.get("per_pool") else [""]  # fmt: skip
        for pool in pools:
            for suffix in suffixes if per_node else [""]:
                expected.add(f"{v['monitoring_name_prefix']}-{pool}{key}{suffix}")
    assert set(_alarms(plan_monitoring.monitoring_resources(v))) == expected


@pytest.mark.parametrize("env", ENVS)
def test_alarms_name_what_the_other_layers_plan(env):
    v = inventory_vars(env)
    prefix = v["monitoring_name_prefix"]
    alarms = _alarms(plan_monitoring.monitoring_resources(v))
    dims = {name: {d["Name"]: d["Value"] for d in a["Dimensions"]} for name, a in alarms.items()}
    assert dims[f"{prefix}-alb-5xx"] == {"LoadBalancer": {"Fn::GetAtt": [ALB_ID, "LoadBalancerFullName"]}}
    assert dims[f"{prefix}-api-unhealthy-targets"]["TargetGroup"] == {
        "Fn::GetAtt": [TARGET_GROUP_ID, "TargetGroupFullName"]
    }
    assert dims[f"{prefix}-rds-cpu"] == {"DBInstanceIdentifier": {"Ref": DB_INSTANCE_ID}}
    assert dims[f"{prefix}-efs-burst-credits"] == {"FileSystemId": {"Ref": EFS_ID}}
    assert dims[f"{prefix}-redis-memory-{v['monitoring_redis_replication_group_id']}-001"] == {
        "CacheClusterId": f"{v['monitoring_redis_replication_group_id']}-001"
    }
    storage = int(v["data_rds_allocated_storage"]) * 1024**3 * 0.1
    assert alarms[f"{prefix}-rds-free-storage"]["Threshold"] == storage
    assert alarms[f"{prefix}-scheduler-heartbeat"]["AlarmActions"] == [{"Ref": ALERT_TOPIC_ID}]
    assert alarms[f"{prefix}-scheduler-heartbeat"]["TreatMissingData"] == "breaching"
    assert alarms[f"{prefix}-worker-scale-out"]["AlarmActions"] == [
        {"Ref": scaling_policy_id("worker", "scale-out")}
    ]
    assert alarms[f"{prefix}-worker-scale-in"]["AlarmActions"] == [
        {"Ref": scaling_policy_id("worker", "scale-in")}
    ]


def test_a_step_policy_the_role_would_not_find_stays_a_plain_arn():
    v = {**inventory_vars("prod"), "monitoring_service_prefix": "elsewhere-"}
    alarms = _alarms(plan_monitoring.monitoring_resources(v))
    (action,) = alarms[f"{v['monitoring_name_prefix']}-worker-scale-out"]["AlarmActions"]
    assert action.startswith("arn:aws:autoscaling:") and action.endswith(
        ":policyName/elsewhere-worker-scale-out"
    )


@pytest.mark.parametrize("env", ENVS)
def test_topic_is_encrypted_and_its_policy_listed(env):
    v = {**inventory_vars(env), "monitoring_alert_subscriptions": SUBSCRIPTIONS}
    resources = plan_monitoring.monitoring_resources(v)
    topic = by_id(resources)[ALERT_TOPIC_ID]["properties"]
    assert topic["TopicName"] == v["monitoring_alert_topic_name"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id("sns"), "Arn"]}
    subs = [r["properties"] for r in resources if r["type"] == "AWS::SNS::Subscription"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [
        (s["protocol"], s["endpoint"]) for s in SUBSCRIPTIONS
    ]
    (policy,) = plan_monitoring.monitoring_policies(v)
    statement = policy["document"]["Statement"][0]
    assert policy["kind"] == "resource"
    account = v.get("airflow_account_id") or PLAN_ACCOUNT
    topic_arn = f"arn:aws:sns:{v['airflow_region']}:{account}:{v['monitoring_alert_topic_name']}"
    assert statement["Resource"] == topic_arn
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": account}}


@pytest.mark.parametrize("env", ENVS)
def test_dashboard_is_the_filters_body(env):
    v = inventory_vars(env)
    dashboard = by_id(plan_monitoring.monitoring_resources(v))[plan_monitoring.DASHBOARD_ID]["properties"]
    body = json.loads(dashboard["DashboardBody"])
    assert dashboard["DashboardName"] == v["monitoring_dashboard_name"]
    metrics = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    assert ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", v["monitoring_db_instance_id"]] in metrics
    alb = next(m for m in metrics if m[1] == "HTTPCode_Target_5XX_Count")
    assert alb[3].startswith(f"app/{v['monitoring_alb_name']}/")
    off = plan_monitoring.monitoring_resources({**v, "monitoring_dashboard_enabled": False})
    assert plan_monitoring.DASHBOARD_ID not in by_id(off)


@pytest.mark.parametrize("env", ENVS)
def test_monitoring_layer_renders_for_terraform(env):
    v = {**inventory_vars(env), "monitoring_alert_subscriptions": SUBSCRIPTIONS}
    plan = terraform(with_layers_below(v, "monitoring"), v["airflow_region"])
    assert unresolved(plan) == []
    config = {r["address"]: r["expressions"] for r in plan["configuration"]["root_module"]["resources"]}
    alarm = config["aws_cloudwatch_metric_alarm.AlarmAlb5xx"]
    assert alarm["dimensions"]["LoadBalancer"]["references"][0] == f"aws_lb.{ALB_ID}.arn_suffix"
    assert alarm["alarm_actions"]["references"][0] == f"aws_sns_topic.{ALERT_TOPIC_ID}.arn"
    scale_out = config["aws_cloudwatch_metric_alarm.AlarmWorkerScaleOut"]["alarm_actions"]["references"][0]
    assert scale_out == f"aws_appautoscaling_policy.{scaling_policy_id('worker', 'scale-out')}.arn"
    rds = config["aws_cloudwatch_metric_alarm.AlarmRdsCpu"]["dimensions"]["DBInstanceIdentifier"]
    assert rds["references"][0] == f"aws_db_instance.{DB_INSTANCE_ID}.identifier"
    assert config[f"aws_sns_topic.{ALERT_TOPIC_ID}"]["kms_master_key_id"]["references"][0].endswith(".arn")
    after = {r["address"]: r["change"]["after"] for r in plan["resource_changes"]}
    policy = json.loads(after[f"aws_sns_topic_policy.{plan_monitoring.TOPIC_POLICY_ID}"]["policy"])
    assert policy == plan_monitoring.default_topic_policy(v)


def test_terraform_converters_take_what_a_live_account_leaves_out():
    for rtype, convert in plan_monitoring.TERRAFORM.items():
        for _tf_type, _suffix, values in convert({"type": rtype, "id": "X", "properties": {}}):
            assert isinstance(values, dict)


def test_role_builds_its_context_with_the_plans_filter(aws_endpoint, tmp_path):
    """roles/monitoring/tasks/lookup.yml indexes what it found through the monitoring_context filter
    (the plan's too): on an empty account it stops naming every missing piece."""
    playbook = tmp_path / "lookup.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n"
        "  module_defaults:\n    group/pathwai.airflow_ecs.aws: '{{ airflow_aws_connection }}'\n"
        "  tasks:\n    - ansible.builtin.include_role:\n"
        "        name: pathwai.airflow_ecs.monitoring\n        tasks_from: lookup\n"
    )
    run = run_playbook(str(playbook))  # inventories/local: the emulator at AWS_ENDPOINT_URL
    assert run.rc != 0
    assert "Missing from the account: sns key none" in run.output
    assert "ALB none, target group none, DB none, Redis nodes [], EFS none" in run.output


def test_an_overlay_row_changes_the_alarm_and_is_named_as_its_source():
    v = inventory_vars("dev")
    overlay = {"rds-connections": {"threshold": 800}, "alb-5xx": {"enabled": False}}
    resources = by_id(plan_monitoring.monitoring_resources({**v, "monitoring_alarms": overlay}))
    assert "AlarmAlb5xx" not in resources
    connections = resources["AlarmRdsConnections"]
    assert connections["properties"]["Threshold"] == 800.0
    assert connections["sources"]["Threshold"] == "monitoring_alarms.rds-connections.threshold"
    assert connections["sources"]["Period"] == "monitoring_alarms_defaults.rds-connections.period"
    group = v["monitoring_redis_replication_group_id"]
    node = resources[logical_id("alarm", f"redis-memory-{group}-001")]
    assert node["sources"]["Threshold"] == "monitoring_alarms_defaults.redis-memory.threshold"
