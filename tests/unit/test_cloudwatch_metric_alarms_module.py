"""pathwai.airflow_ecs.cloudwatch_metric_alarms against the emulator: the monitoring role's alarm
list created in one run, a no-op re-run with one read and no write, drift repaired, check and diff
mode, purge by prefix, tags on create and tag drift."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from ansible_collections.pathwai.airflow_ecs.plugins.filter import monitoring

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((ROOT / "roles" / "monitoring" / "defaults" / "main.yml").read_text())[
    "monitoring_alarms_defaults"
]
CTX = {
    "prefix": "airflow-t",
    "environment": "t",
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:airflow-t-alerts",
    "pools": {
        "worker": {
            "service": "airflow-t-worker",
            "scale_out_arn": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/out",
            "scale_in_arn": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:2:resource/ecs/in",
        }
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
ALARMS = monitoring.alarm_list(TABLE, CTX)
PREFIX = "airflow-t-"


def _writes(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def _reads(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if not c["write"]]


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for the file (starting one costs seconds); each test starts with no alarm."""
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def cw(aws_endpoint):
    client = boto3.client("cloudwatch", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    names = [a["AlarmName"] for a in client.describe_alarms()["MetricAlarms"]]
    for start in range(0, len(names), 100):
        client.delete_alarms(AlarmNames=names[start : start + 100])
    aws_endpoint.reset_calls()
    return client


def _live(cw) -> dict:
    return {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]}


def test_create_then_noop_with_one_read(module_runner, aws_endpoint, cw):
    assert len(ALARMS) == 16  # 14 rows, two of them per Redis node
    created = module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})
    assert created["changed"] is True
    assert sorted(created["created"]) == sorted(a["name"] for a in ALARMS)
    assert _writes(aws_endpoint).count("PutMetricAlarm") == len(ALARMS)
    live = _live(cw)
    assert sorted(live) == sorted(a["name"] for a in ALARMS)
    out = live["airflow-t-worker-scale-out"]
    assert out["AlarmActions"] == [CTX["pools"]["worker"]["scale_out_arn"]] and out["Threshold"] == 20.0
    assert all(a["arn"] for a in created["alarms"])

    aws_endpoint.reset_calls()
    again = module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})
    assert again["changed"] is False
    assert _writes(aws_endpoint) == []
    # One DescribeAlarms for all 16 alarms (the stock module made two per alarm).
    assert _reads(aws_endpoint) == ["DescribeAlarms"]


def test_read_by_names_without_prefix_is_one_call_per_100(module_runner, aws_endpoint):
    many = [dict(ALARMS[0], name=f"bulk-{i:03d}") for i in range(150)]
    module_runner("cloudwatch_metric_alarms", {"alarms": many})
    aws_endpoint.reset_calls()
    assert module_runner("cloudwatch_metric_alarms", {"alarms": many})["changed"] is False
    assert _reads(aws_endpoint) == ["DescribeAlarms", "DescribeAlarms"]  # 100 + 50 names
    assert _writes(aws_endpoint) == []


def test_order_and_normalisation_do_not_count_as_drift(module_runner, aws_endpoint, cw):
    module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})
    # The same alarms with dimensions and actions in another order, defaults spelt out.
    shuffled = []
    for alarm in ALARMS:
        alarm = dict(alarm)
        alarm["dimensions"] = dict(reversed(list(alarm["dimensions"].items())))
        alarm["alarm_actions"] = list(reversed(alarm["alarm_actions"]))
        alarm["datapoints_to_alarm"] = alarm["evaluation_periods"]
        alarm["threshold"] = int(alarm["threshold"])
        shuffled.append(alarm)
    aws_endpoint.reset_calls()
    assert (
        module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": shuffled})["changed"]
        is False
    )
    assert _writes(aws_endpoint) == []


def test_drift_is_repaired_only_where_it_is(module_runner, aws_endpoint, cw):
    module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})
    live = _live(cw)["airflow-t-rds-connections"]
    keep = ("AlarmName", "Namespace", "MetricName", "Dimensions", "Statistic", "ComparisonOperator", "Period",
            "EvaluationPeriods", "AlarmDescription", "AlarmActions", "OKActions")  # fmt: skip
    cw.put_metric_alarm(
        **{k: live[k] for k in keep}, Threshold=999.0, TreatMissingData="breaching", Unit="Count"
    )

    aws_endpoint.reset_calls()
    planned = module_runner(
        "cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS}, check_mode=True
    )
    assert planned["changed"] is True
    assert planned["updated"] == {"airflow-t-rds-connections": ["threshold", "treat_missing_data", "unit"]}
    assert planned["diff"]["before"]["airflow-t-rds-connections"]["threshold"] == 999.0
    assert planned["diff"]["after"]["airflow-t-rds-connections"]["threshold"] == 400.0
    assert list(planned["diff"]["after"]) == ["airflow-t-rds-connections"]
    assert _writes(aws_endpoint) == []

    fixed = module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})
    assert fixed["changed"] is True and fixed["created"] == []
    assert _writes(aws_endpoint) == ["PutMetricAlarm"]
    now = _live(cw)["airflow-t-rds-connections"]
    assert now["Threshold"] == 400.0 and now["TreatMissingData"] == "missing" and not now.get("Unit")
    assert (
        module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})["changed"]
        is False
    )


def test_check_mode_create_writes_nothing(module_runner, aws_endpoint, cw):
    result = module_runner(
        "cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS[:3]}, check_mode=True
    )
    assert result["changed"] is True and len(result["created"]) == 3
    assert result["diff"]["before"] == {} and sorted(result["diff"]["after"]) == sorted(result["created"])
    assert _writes(aws_endpoint) == []
    assert _live(cw) == {}


def test_purge_is_off_by_default_and_removes_only_the_prefix(module_runner, aws_endpoint, cw):
    module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": ALARMS})
    cw.put_metric_alarm(**_put(ALARMS[0], "someone-else-alarm"))
    fewer = [a for a in ALARMS if a["name"] != "airflow-t-alb-5xx"]

    kept = module_runner("cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": fewer})
    assert kept["changed"] is False and "airflow-t-alb-5xx" in _live(cw)

    planned = module_runner(
        "cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": fewer, "purge": True}, check_mode=True
    )
    assert planned["deleted"] == ["airflow-t-alb-5xx"] and "airflow-t-alb-5xx" in _live(cw)
    assert planned["diff"]["before"]["airflow-t-alb-5xx"]["metric_name"] == "HTTPCode_Target_5XX_Count"

    purged = module_runner(
        "cloudwatch_metric_alarms", {"name_prefix": PREFIX, "alarms": fewer, "purge": True}
    )
    assert purged["changed"] is True and purged["deleted"] == ["airflow-t-alb-5xx"]
    assert "airflow-t-alb-5xx" not in _live(cw)
    assert cw.describe_alarms(AlarmNames=["someone-else-alarm"])["MetricAlarms"]


def test_tags_on_create_and_tag_drift(module_runner, aws_endpoint, cw):
    tags = {"airflow:env": "t", "airflow:component": "monitoring"}
    args = {"name_prefix": PREFIX, "alarms": ALARMS[:2], "tags": tags}
    created = module_runner("cloudwatch_metric_alarms", args)
    assert "TagResource" not in _writes(aws_endpoint)  # the tags went in with PutMetricAlarm
    arn = created["alarms"][0]["arn"]
    assert {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]} == tags

    aws_endpoint.reset_calls()
    assert module_runner("cloudwatch_metric_alarms", args)["changed"] is False
    assert _reads(aws_endpoint).count("ListTagsForResource") == 2
    assert _writes(aws_endpoint) == []

    cw.untag_resource(ResourceARN=arn, TagKeys=["airflow:env"])
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "stray", "Value": "x"}])
    aws_endpoint.reset_calls()
    fixed = module_runner("cloudwatch_metric_alarms", args)
    assert fixed["changed"] is True and fixed["retagged"] == [ALARMS[0]["name"]]
    assert sorted(_writes(aws_endpoint)) == ["TagResource", "UntagResource"]
    assert {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]} == tags


def test_bad_input_is_refused(module_runner):
    with pytest.raises(Exception, match="does not start with name_prefix"):
        module_runner("cloudwatch_metric_alarms", {"name_prefix": "other-", "alarms": ALARMS[:1]})
    with pytest.raises(Exception, match="purge requires name_prefix"):
        module_runner("cloudwatch_metric_alarms", {"alarms": ALARMS[:1], "purge": True})
    with pytest.raises(Exception, match="listed more than once"):
        module_runner("cloudwatch_metric_alarms", {"alarms": [ALARMS[0], ALARMS[0]]})


def _put(alarm: dict, name: str) -> dict:
    return {
        "AlarmName": name,
        "Namespace": alarm["namespace"],
        "MetricName": alarm["metric_name"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in alarm["dimensions"].items()],
        "Statistic": alarm["statistic"],
        "ComparisonOperator": alarm["comparison"],
        "Threshold": alarm["threshold"],
        "Period": alarm["period"],
        "EvaluationPeriods": alarm["evaluation_periods"],
    }
