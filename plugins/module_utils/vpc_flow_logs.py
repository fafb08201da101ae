# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""VPC flow logs to CloudWatch Logs: normalise, compare and build requests (pure functions)."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_dict

# What CreateFlowLogs fixes for good: a flow log whose one of these differs is replaced.
FIXED = ("traffic_type", "deliver_logs_permission_arn", "max_aggregation_interval", "log_format")


def normalise(flow_log: dict | None) -> dict | None:
    """The comparable view of a DescribeFlowLogs entry."""
    if not flow_log:
        return None
    return {
        "flow_log_id": flow_log["FlowLogId"],
        "resource_id": flow_log["ResourceId"],
        "traffic_type": flow_log.get("TrafficType"),
        "log_group_name": flow_log.get("LogGroupName"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
        "log_format": flow_log.get("LogFormat"),
        "deliver_logs_status": flow_log.get("DeliverLogsStatus"),
        "tags": tags_dict(flow_log.get("Tags")),
    }


def desired_view(params: dict, current: dict | None) -> dict:
    view = {
        **(current or {}),
        "resource_id": params["resource_id"],
        "traffic_type": params["traffic_type"],
        "log_group_name": params["log_group_name"],
        "deliver_logs_permission_arn": params["deliver_logs_permission_arn"],
        "max_aggregation_interval": params["max_aggregation_interval"],
    }
    if params.get("log_format"):
        view["log_format"] = params["log_format"]
    view["tags"] = dict(params["tags"]) if params.get("tags") is not None else (current or {}).get("tags", {})
    return view


def replaced_fields(current: dict, desired: dict) -> list[str]:
    """The fields CreateFlowLogs fixed that differ (the flow log must be replaced), sorted."""
    return sorted(f for f in FIXED if desired.get(f) is not None and desired.get(f) != current.get(f))


def create_request(params: dict) -> dict:
    request = {
        "ResourceIds": [params["resource_id"]],
        "ResourceType": "VPC",
        "TrafficType": params["traffic_type"],
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": params["log_group_name"],
        "DeliverLogsPermissionArn": params["deliver_logs_permission_arn"],
        "MaxAggregationInterval": params["max_aggregation_interval"],
    }
    if params.get("log_format"):
        request["LogFormat"] = params["log_format"]
    if params.get("tags"):
        request["TagSpecifications"] = [
            {
                "ResourceType": "vpc-flow-log",
                "Tags": [{"Key": k, "Value": str(v)} for k, v in sorted(params["tags"].items())],
            }
        ]
    return request


def client_token(resource_id: str, log_group_name: str) -> str:
    """CreateFlowLogs' idempotency token: a retried create returns the same flow log."""
    return f"{resource_id}:{log_group_name}"[-64:]
