# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The monitoring role's resources in the plan (:mod:`plan_model`), from the inventory alone.

The role finds what its alarms watch (``monitoring_targets_info``) and turns that into a context
(``plugins/filter/monitoring.py`` ``context``), from which ``alarm_list`` and ``dashboard_body``
build what it sends. The plan feeds the same filters a ``monitoring_targets_info``-shaped result
made of planned values (:func:`planned_targets`): names the other roles give their resources,
ARNs of the planned ALB, target group, topic and step policies (ids AWS assigns at creation are
zeros), the Redis member clusters ElastiCache names ``<group>-001``... Each alarm is the
``PutMetricAlarm`` request the ``cloudwatch_metric_alarms`` module sends
(``module_utils/cloudwatch_metric_alarms.py``); the alert topic, its KMS key and the ALB are then
referenced, not named.
"""

from __future__ import annotations

import json

from ansible.utils.vars import merge_hash
from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as cf
from ansible_collections.pathwai.airflow_ecs.plugins.filter.monitoring import (
    alarm_list,
    context,
    dashboard_body,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_model as pm
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.cloudwatch_metric_alarms import (
    desired,
    put_request,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_data import DB_INSTANCE_ID, EFS_ID
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALB_ID,
    ALERT_TOPIC_ID,
    PLAN_ACCOUNT,
    TARGET_GROUP_ID,
    arn,
    get_att,
    key_id,
    logical_id,
    ref,
    resource,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    link_physical_ids,
    tf_ref,
    tf_tags,
)

TOPIC_POLICY_ID = "AlertTopicPolicy"
DASHBOARD_ID = "Dashboard"
# Ids AWS assigns at creation, unknown before it: the plan writes zeros in their place.
PLANNED_ELB_ID = "0000000000000000"
PLANNED_POLICY_UUID = "00000000-0000-0000-0000-000000000000"
PLANNED_EFS_ID = "fs-00000000000000000"


def _account(v: dict) -> str:
    return v.get("airflow_account_id") or PLAN_ACCOUNT


def topic_arn(v: dict) -> str:
    return arn("sns", v["airflow_region"], _account(v), v["monitoring_alert_topic_name"])


def _elb_arn(v: dict, kind: str, name: str) -> str:
    return arn("elasticloadbalancing", v["airflow_region"], _account(v), f"{kind}/{name}/{PLANNED_ELB_ID}")


def _policy_arn(v: dict, name: str, cluster: str, service: str) -> str:
    rest = f"scalingPolicy:{PLANNED_POLICY_UUID}:resource/ecs/service/{cluster}/{service}:policyName/{name}"
    return arn("autoscaling", v["airflow_region"], _account(v), rest)


def _autoscaled(v: dict) -> list[str]:
    """The compute layer's autoscaled rows (its worker pools), from the inventory."""
    if "compute_services_defaults" not in v:
        return []
    return cf.autoscaled(cf.service_table(v["compute_services_defaults"], v.get("compute_services") or {}))


def _compute_policies(v: dict) -> dict[str, str]:
    """The compute layer's planned step policies (plugins/filter/compute.py scaling_policies names
    them <prefix>-<pool>-scale-out/-in on service/<cluster>/<prefix>-<pool>), by planned ARN: the
    alarms reference them where the monitoring role's names find them."""
    prefix, cluster = v.get("compute_name_prefix"), v.get("compute_cluster_name")
    if not prefix or not cluster:
        return {}
    return {
        _policy_arn(v, f"{prefix}-{pool}-{short}", cluster, f"{prefix}-{pool}"): pm.scaling_policy_id(
            pool, short
        )
        for pool in _autoscaled(v)
        for short in ("scale-out", "scale-in")
    }


def planned_targets(v: dict) -> dict:
    """What ``monitoring_targets_info`` would find once phases 1-3 ran, from the inventory: a worker
    pool per autoscaled row of the compute table, found by the monitoring role's names."""
    group = v["monitoring_redis_replication_group_id"]
    nodes = int(v.get("data_redis_num_cache_nodes") or 1)
    cluster, pools = v["monitoring_cluster_name"], {}
    for pool in _autoscaled(v):
        service = f"{v['monitoring_service_prefix']}{pool}"
        pools[pool] = {
            "service": service,
            **{
                f"{short.replace('-', '_')}_arn": _policy_arn(v, f"{service}-{short}", cluster, service)
                for short in ("scale-out", "scale-in")
            },
        }
    return {
        "pools": pools,
        "alb_arn": _elb_arn(v, "loadbalancer/app", v["monitoring_alb_name"]),
        "target_group_arn": _elb_arn(v, "targetgroup", v["monitoring_target_group_name"]),
        "db_instance_id": v["monitoring_db_instance_id"],
        "db_allocated_storage_gib": int(v.get("data_rds_allocated_storage") or 0),
        # ElastiCache names a replication group's member clusters <group>-001, -002, ...
        "redis_nodes": [f"{group}-{i:03d}" for i in range(1, nodes + 1)],
        "efs_id": PLANNED_EFS_ID,
        "efs_throughput_mode": v.get("data_efs_throughput_mode") or "bursting",
    }


def dag_events_settings(v: dict) -> dict:
    """The DAG-events queue and DLQ names in event mode (the role's lookup.yml passes the same)."""
    if v.get("monitoring_dags_delivery") != "event":
        return {}
    return {
        "dag_events_queue": v["monitoring_names"]["dag_events_queue"],
        "dag_events_dlq": v["monitoring_names"]["dag_events_dlq"],
    }


def monitoring_context(v: dict, found: dict | None = None) -> dict:
    """The role's ``monitoring_context`` (roles/monitoring/tasks/lookup.yml)."""
    settings = {
        "prefix": v["monitoring_name_prefix"],
        "environment": v["monitoring_environment"],
        "region": v["airflow_region"],
        "notify_on_scaling": v["monitoring_notify_on_scaling"],
        "notify_ok": v["monitoring_notify_ok"],
        "cluster": v["monitoring_cluster_name"],
        **dag_events_settings(v),
    }
    return context(planned_targets(v) if found is None else found, settings)


def alarms(v: dict) -> list[dict]:
    """``monitoring_alarm_list`` of roles/monitoring/tasks/alarms.yml."""
    table = merge_hash(v["monitoring_alarms_defaults"], v.get("monitoring_alarms") or {}, recursive=True)
    return alarm_list(table, {**monitoring_context(v), "topic_arn": topic_arn(v)})


def _links(v: dict) -> dict[str, str]:
    """Planned values that are another planned resource: CloudFormation references them (the Redis
    member clusters have no attribute of their replication group to reference). A step policy the
    monitoring role's names would not find stays a plain ARN, as it would stay missing."""
    ctx = monitoring_context(v)
    return {
        topic_arn(v): ALERT_TOPIC_ID,
        ctx["alb"]: f"{ALB_ID}.LoadBalancerFullName",
        ctx["target_group"]: f"{TARGET_GROUP_ID}.TargetGroupFullName",
        ctx["db_instance"]: DB_INSTANCE_ID,
        ctx["efs"]: EFS_ID,
        **_compute_policies(v),
    }


def default_topic_policy(v: dict) -> dict:
    """The policy SNS gives a topic created without one (the role sets none): the owner account's
    principals, by ``AWS:SourceOwner``."""
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": topic_arn(v),
                "Condition": {"StringEquals": {"AWS:SourceOwner": _account(v)}},
            }
        ],
    }


def _topic(v: dict) -> list[dict]:
    name = v["monitoring_alert_topic_name"]
    extra = {"Name": name, "airflow:env": v["airflow_env"], "airflow:component": "monitoring"}
    out = [
        resource(
            "AWS::SNS::Topic",
            ALERT_TOPIC_ID,
            {
                "TopicName": name,
                "DisplayName": f"{v['monitoring_name_prefix']} alerts",
                "KmsMasterKeyId": get_att(key_id("sns"), "Arn"),
                "Tags": tags(v.get("monitoring_tags"), **extra),
            },
            {"TopicName": "monitoring_alert_topic_name", "Tags": "monitoring_tags"},
        ),
        resource(
            "AWS::SNS::TopicPolicy",
            TOPIC_POLICY_ID,
            {"Topics": [ref(ALERT_TOPIC_ID)], "PolicyDocument": default_topic_policy(v)},
            {"PolicyDocument": "SNS's default topic policy (the role sets none)"},
        ),
    ]
    for i, sub in enumerate(v.get("monitoring_alert_subscriptions") or [], start=1):
        out.append(
            resource(
                "AWS::SNS::Subscription",
                logical_id(ALERT_TOPIC_ID, "subscription", str(i)),
                {"TopicArn": ref(ALERT_TOPIC_ID), "Protocol": sub["protocol"], "Endpoint": sub["endpoint"]},
                {"Protocol": "monitoring_alert_subscriptions", "Endpoint": "monitoring_alert_subscriptions"},
            )
        )
    return out


# PutMetricAlarm parameter -> the alarm table's column it comes from.
_ALARM_COLUMNS = {
    "Namespace": "namespace",
    "MetricName": "metric",
    "Dimensions": "dimensions",
    "Statistic": "statistic",
    "ComparisonOperator": "comparison",
    "Threshold": "threshold",
    "Period": "period",
    "EvaluationPeriods": "evaluation_periods",
    "TreatMissingData": "treat_missing_data",
    "AlarmDescription": "description",
    "AlarmActions": "actions",
    "Unit": "unit",
}


def _row(v: dict, name: str) -> str:
    """The alarm table's row an alarm comes from (``<prefix>-<row>`` or ``<prefix>-<row>-<node>``)."""
    short = name[len(v["monitoring_name_prefix"]) + 1 :]
    rows = {**v["monitoring_alarms_defaults"], **(v.get("monitoring_alarms") or {})}
    return max((key for key in rows if short == key or short.startswith(f"{key}-")), key=len, default=short)


def _alarm_sources(v: dict, row: str, request: dict) -> dict:
    """Each parameter's variable: the overlay's row where it sets the column, else the defaults'."""
    overlay = (v.get("monitoring_alarms") or {}).get(row) or {}
    out = {"AlarmName": "monitoring_name_prefix"}
    for parameter, column in _ALARM_COLUMNS.items():
        if parameter in request:
            where = "monitoring_alarms" if column in overlay else "monitoring_alarms_defaults"
            out[parameter] = f"{where}.{row}.{column}"
    return out


def _alarms(v: dict) -> list[dict]:
    prefix = v["monitoring_name_prefix"]
    out = []
    for alarm in alarms(v):
        request = put_request(desired(alarm))
        row = _row(v, alarm["name"])
        out.append(
            resource(
                "AWS::CloudWatch::Alarm",
                logical_id("alarm", alarm["name"][len(prefix) + 1 :]),
                request,
                _alarm_sources(v, row, request),
            )
        )
    return link_physical_ids(out, _links(v))


def _dashboard(v: dict) -> list[dict]:
    if not v.get("monitoring_dashboard_enabled", True):
        return []
    body = dashboard_body(monitoring_context(v))
    return [
        resource(
            "AWS::CloudWatch::Dashboard",
            DASHBOARD_ID,
            {"DashboardName": v["monitoring_dashboard_name"], "DashboardBody": json.dumps(body)},
            {"DashboardName": "monitoring_dashboard_name"},
        )
    ]


def monitoring_resources(v: dict) -> list[dict]:
    return _topic(v) + _alarms(v) + _dashboard(v)


def monitoring_policies(v: dict) -> list[dict]:
    return [
        {
            "name": f"{v['monitoring_alert_topic_name']} topic policy",
            "kind": "resource",
            "document": default_topic_policy(v),
        }
    ]


# ---- Terraform (hashicorp/aws v5) ----


def _drop_none(values: dict) -> dict:
    return {k: val for k, val in values.items() if val is not None}


def _json(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def tf_topic(res: dict) -> list:
    props = res["properties"]
    values = {
        "name": props.get("TopicName"),
        "display_name": props.get("DisplayName"),
        "kms_master_key_id": tf_ref(props.get("KmsMasterKeyId"), "arn"),
        "fifo_topic": props.get("FifoTopic"),
        "tags": tf_tags(props.get("Tags")),
    }
    return [("aws_sns_topic", "", _drop_none(values))]


def tf_topic_policy(res: dict) -> list:
    props = res["properties"]
    topics = props.get("Topics") or []
    out = []
    for i, topic in enumerate(topics):
        values = {"arn": tf_ref(topic, "arn"), "policy": _json(props.get("PolicyDocument"))}
        out.append(("aws_sns_topic_policy", "" if i == 0 else str(i), values))
    return out


def tf_subscription(res: dict) -> list:
    props = res["properties"]
    values = {
        "topic_arn": tf_ref(props.get("TopicArn"), "arn"),
        "protocol": props.get("Protocol"),
        "endpoint": props.get("Endpoint"),
        "raw_message_delivery": props.get("RawMessageDelivery"),
    }
    return [("aws_sns_topic_subscription", "", _drop_none(values))]


# The attribute of the Terraform resource a dimension names.
_DIMENSION_ATTRIBUTES = {
    "LoadBalancer": "arn_suffix",
    "TargetGroup": "arn_suffix",
    "DBInstanceIdentifier": "identifier",
    "FileSystemId": "id",
}


def _tf_dimension(name: str, value):
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        target = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
        return tf_ref(ref(target), _DIMENSION_ATTRIBUTES.get(name, "id"))
    return value


def tf_alarm(res: dict) -> list:
    props = res["properties"]
    dimensions = props.get("Dimensions") or []
    values = {
        "alarm_name": props.get("AlarmName"),
        "namespace": props.get("Namespace"),
        "metric_name": props.get("MetricName"),
        "dimensions": {d["Name"]: _tf_dimension(d["Name"], d["Value"]) for d in dimensions},
        "statistic": props.get("Statistic"),
        "extended_statistic": props.get("ExtendedStatistic"),
        "comparison_operator": props.get("ComparisonOperator"),
        "threshold": props.get("Threshold"),
        "period": props.get("Period"),
        "evaluation_periods": props.get("EvaluationPeriods"),
        "datapoints_to_alarm": props.get("DatapointsToAlarm"),
        "treat_missing_data": props.get("TreatMissingData"),
        "alarm_description": props.get("AlarmDescription"),
        "alarm_actions": tf_ref(props.get("AlarmActions") or [], "arn"),
        "ok_actions": tf_ref(props.get("OKActions") or [], "arn"),
        "insufficient_data_actions": tf_ref(props.get("InsufficientDataActions") or [], "arn"),
        "actions_enabled": props.get("ActionsEnabled", True),
        "unit": props.get("Unit"),
        "tags": tf_tags(props.get("Tags")),
    }
    return [("aws_cloudwatch_metric_alarm", "", _drop_none(values))]


def tf_dashboard(res: dict) -> list:
    props = res["properties"]
    values = {
        "dashboard_name": props.get("DashboardName"),
        "dashboard_body": _json(props.get("DashboardBody")),
    }
    return [("aws_cloudwatch_dashboard", "", values)]


TERRAFORM = {
    "AWS::SNS::Topic": tf_topic,
    "AWS::SNS::TopicPolicy": tf_topic_policy,
    "AWS::SNS::Subscription": tf_subscription,
    "AWS::CloudWatch::Alarm": tf_alarm,
    "AWS::CloudWatch::Dashboard": tf_dashboard,
}
