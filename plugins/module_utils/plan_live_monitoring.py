# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live monitoring of one environment (alert topic and its policy, alarms under the name
prefix, the dashboard), rendered in the plan's shape (:mod:`plan_live_base`)."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import Live, short, tags
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALERT_TOPIC_ID,
    logical_id,
    ref,
)

DASHBOARD_ID = "Dashboard"

_ALARM_FIELDS = (
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


def alarm_id(name: str) -> str:
    return logical_id("alarm", name)


def monitoring(live: Live) -> None:
    _topic(live)
    _alarms(live)
    _dashboard(live)


def _topic(live: Live) -> None:
    sns = live.client("sns")
    name = live.scope.get("alert_topic_name") or layer_names(live.prefix)["alert_topic"]
    topics = [t["TopicArn"] for t in paginate(sns, "list_topics").get("Topics", [])]
    arn = next((t for t in topics if t.rsplit(":", 1)[-1] == name), None)
    if arn is None:
        return
    try:
        attributes = sns.get_topic_attributes(TopicArn=arn, aws_retry=True)["Attributes"]
    except is_boto3_error_code("NotFound"):
        return
    subscriptions = paginate(sns, "list_subscriptions_by_topic", TopicArn=arn).get("Subscriptions", [])
    props = {
        "TopicName": name,
        "DisplayName": attributes.get("DisplayName"),
        "KmsMasterKeyId": attributes.get("KmsMasterKeyId"),
        "Tags": tags(sns.list_tags_for_resource(ResourceArn=arn, aws_retry=True).get("Tags")),
    }
    logical = live.add("AWS::SNS::Topic", ALERT_TOPIC_ID, props, arn)
    # One resource per subscription, confirmed or not, numbered from 1 in the order AWS lists them.
    for n, sub in enumerate(sorted(subscriptions, key=lambda s: (s["Protocol"], s["Endpoint"])), start=1):
        props = {"TopicArn": arn, "Protocol": sub["Protocol"], "Endpoint": sub["Endpoint"]}
        live.add("AWS::SNS::Subscription", logical_id(logical, "subscription", str(n)), props)
    policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else None
    if policy:
        live.add(
            "AWS::SNS::TopicPolicy", f"{logical}Policy", {"Topics": [ref(logical)], "PolicyDocument": policy}
        )
        live.policy(f"{name} topic policy", "resource", policy)


def _alarms(live: Live) -> None:
    cloudwatch = live.client("cloudwatch")
    found = paginate(
        cloudwatch, "describe_alarms", AlarmNamePrefix=live.prefix + "-", AlarmTypes=["MetricAlarm"]
    )
    for alarm in found.get("MetricAlarms", []):
        props = {k: alarm[k] for k in _ALARM_FIELDS if k in alarm}
        for dimension in props.get("Dimensions", []):
            if dimension["Name"] == "DBInstanceIdentifier":
                dimension["Value"] = live.by_name(dimension["Value"])
        if "Threshold" in props and isinstance(props["Threshold"], float) and props["Threshold"].is_integer():
            props["Threshold"] = int(props["Threshold"])
        live.add(
            "AWS::CloudWatch::Alarm",
            alarm_id(short(alarm["AlarmName"], live.prefix)),
            props,
            None,
            alarm["AlarmArn"],
        )


def _dashboard(live: Live) -> None:
    cloudwatch = live.client("cloudwatch")
    wanted = live.scope.get("dashboard_name") or live.prefix
    for entry in paginate(cloudwatch, "list_dashboards", DashboardNamePrefix=wanted).get(
        "DashboardEntries", []
    ):
        if entry["DashboardName"] != wanted:
            continue
        body = cloudwatch.get_dashboard(DashboardName=wanted, aws_retry=True)["DashboardBody"]
        live.add("AWS::CloudWatch::Dashboard", DASHBOARD_ID, {"DashboardName": wanted, "DashboardBody": body})
