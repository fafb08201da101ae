"""pathwai.airflow_ecs.vpc_flow_logs against the emulator: create with tags, no-op re-run with one
describe and no write, check mode, a changed fixed field replaces the flow log, a tag change only tags
it, absent deletes."""

from __future__ import annotations

import boto3
import pytest


@pytest.fixture
def vpc(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    logs = boto3.client("logs", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    logs.create_log_group(logGroupName="/vpc/t-flow-logs")
    return {"ec2": ec2, "vpc_id": ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]}


def args(vpc, **overrides) -> dict:
    return {
        "resource_id": vpc["vpc_id"],
        "log_group_name": "/vpc/t-flow-logs",
        "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/t-flow-logs",
        "traffic_type": "ALL",
        "tags": {"Name": "t-flow-logs", "airflow:env": "t"},
        **overrides,
    }


def writes(aws_endpoint) -> list[str]:
    return sorted(c["action"] for c in aws_endpoint.calls() if c["write"])


def live(vpc) -> list[dict]:
    found = vpc["ec2"].describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["vpc_id"]]}])
    return found["FlowLogs"]


def test_create_check_noop_replace_tag_delete(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    planned = module_runner("vpc_flow_logs", args(vpc), check_mode=True)
    assert planned["changed"] is True and planned["action"] == "create"
    assert writes(aws_endpoint) == [] and live(vpc) == []

    created = module_runner("vpc_flow_logs", args(vpc))
    assert created["action"] == "create" and writes(aws_endpoint) == ["CreateFlowLogs"]
    [flow] = live(vpc)
    assert flow["TrafficType"] == "ALL" and flow["LogGroupName"] == "/vpc/t-flow-logs"
    assert {t["Key"]: t["Value"] for t in flow["Tags"]}["Name"] == "t-flow-logs"

    aws_endpoint.reset_calls()
    again = module_runner("vpc_flow_logs", args(vpc))
    assert again["changed"] is False and writes(aws_endpoint) == []
    assert [c["action"] for c in aws_endpoint.calls()] == ["DescribeFlowLogs"]
    assert again["flow_log"]["flow_log_id"] == created["flow_log"]["flow_log_id"]

    aws_endpoint.reset_calls()
    narrowed = module_runner("vpc_flow_logs", args(vpc, traffic_type="REJECT"))
    assert narrowed["action"] == "replace" and narrowed["replaced_fields"] == ["traffic_type"]
    assert writes(aws_endpoint) == ["CreateFlowLogs", "DeleteFlowLogs"]
    assert [f["TrafficType"] for f in live(vpc)] == ["REJECT"]

    aws_endpoint.reset_calls()
    retagged = module_runner("vpc_flow_logs", args(vpc, traffic_type="REJECT", tags={"Name": "t2"}))
    assert retagged["action"] == "tag" and writes(aws_endpoint) == ["CreateTags", "DeleteTags"]
    assert {t["Key"]: t["Value"] for t in live(vpc)[0]["Tags"]} == {"Name": "t2"}

    gone = module_runner("vpc_flow_logs", args(vpc, state="absent"))
    assert gone["action"] == "delete" and live(vpc) == []
    assert module_runner("vpc_flow_logs", args(vpc, state="absent"))["changed"] is False
