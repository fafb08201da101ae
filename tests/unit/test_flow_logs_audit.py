"""VPC flow logs (issue 15): preflight on the retention (CloudWatch's own values, from cfn-lint's
schema) and the traffic type; the audit (policies/network.rego) on the plan document and, through
airflow_audit, on the emulator: a VPC whose flow log records ALL traffic to a group encrypted with the
logs key passes; no flow log, REJECT only, or an unencrypted group each fail naming the resource."""

from __future__ import annotations

import copy
from pathlib import Path

import boto3
from ansible_collections.pathwai.airflow_ecs.plugins.filter.network import flow_log_role, network_problems
from ansible_collections.pathwai.airflow_ecs.plugins.filter.plan import plan_document
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

POLICIES_DIR = str(Path(__file__).resolve().parents[2] / "policies")
POLICIES = load_policies(POLICIES_DIR)


def test_preflight_names_a_retention_cloudwatch_does_not_offer_and_a_partial_traffic_type():
    found = network_problems({"flow_logs_retention_days": 31, "flow_logs_traffic_type": "REJECT"})
    assert any(p.startswith("network_flow_logs_retention_days=31 is refused by AWS") for p in found)
    assert any(p.startswith("network_flow_logs_traffic_type='REJECT' must be ALL") for p in found)
    ok = network_problems({"flow_logs_retention_days": 365, "flow_logs_traffic_type": "ALL"})
    assert not [p for p in ok if "flow_logs" in p]


def test_the_delivery_role_is_trusted_by_this_accounts_flow_logs_only_and_writes_one_group():
    role = flow_log_role({"name": "p-flow-logs", "log_group_name": "/vpc/p", "region": "eu-west-1",
                          "account_id": "123456789012"})  # fmt: skip
    [trust] = role["assume_role_policy"]["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert (
        trust["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"
    )
    [write] = role["inline_policies"]["p-flow-logs"]["Statement"]
    assert write["Resource"][0] == "arn:aws:logs:eu-west-1:123456789012:log-group:/vpc/p"


def _plan(**network) -> dict:
    base = {"name_prefix": "p", "vpc_cidr": "10.0.0.0/16", "availability_zones": [], "security_groups": {},
            "private_subnet_cidrs": [], "data_subnet_cidrs": [], "alb_subnet_cidrs": [],
            "flow_logs_log_group_name": "/vpc/p-flow-logs", "flow_logs_traffic_type": "ALL"}  # fmt: skip
    endpoints = {"interface_services": [], "private_dns_enabled": True, "policy_buckets": ["b"]}
    doc = plan_document({**base, **network}, endpoints, {"keys": {}, "name_prefix": "p"}, "us-east-1")
    return {**doc, "required": {}, "name_prefix": "p"}


def test_the_plan_passes_and_each_broken_flow_log_fails():
    assert [f for f in evaluate(POLICIES, _plan()) if "flow" in f.lower()] == []
    assert "VPC without a flow log of ALL traffic: aws_vpc.p-vpc" in evaluate(
        POLICIES, _plan(flow_logs_log_group_name="")
    )
    reject = evaluate(POLICIES, _plan(flow_logs_traffic_type="REJECT"))
    assert "VPC without a flow log of ALL traffic: aws_vpc.p-vpc" in reject
    doc = copy.deepcopy(_plan())
    flow = next(r for r in doc["resource_changes"] if r["type"] == "aws_flow_log")
    flow["change"]["after"]["log_group_key_id"] = None
    assert "Flow-log group not encrypted with a key of ours: aws_flow_log.p-flow-logs" in evaluate(
        POLICIES, doc
    )


def test_the_live_audit_reads_flow_logs_and_their_groups_key(module_runner, aws_endpoint):
    def client(name):
        return boto3.client(name, endpoint_url=aws_endpoint.url, region_name="us-east-1")

    ec2, logs, kms = client("ec2"), client("logs"), client("kms")
    tag = [{"ResourceType": "vpc", "Tags": [{"Key": "airflow:env", "Value": "t"}]}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tag)["Vpc"]["VpcId"]
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/t-logs", TargetKeyId=key["KeyId"])
    logs.create_log_group(logGroupName="/vpc/t-flow-logs", kmsKeyId=key["Arn"])
    logs.create_log_group(logGroupName="/vpc/t-plain")

    def findings():
        args = {"env": "t", "name_prefix": "t", "policy_dir": POLICIES_DIR}
        return [f for f in module_runner("airflow_audit", args)["findings"] if "flow" in f.lower()]

    assert findings() == [f"VPC without a flow log of ALL traffic: aws_vpc.{vpc}"]
    role = "arn:aws:iam::123456789012:role/t-flow-logs"
    common = {
        "ResourceIds": [vpc],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "DeliverLogsPermissionArn": role,
    }
    ec2.create_flow_logs(LogGroupName="/vpc/t-flow-logs", **common)
    assert findings() == []
    plain = ec2.create_flow_logs(LogGroupName="/vpc/t-plain", **common)["FlowLogIds"][0]
    assert findings() == [f"Flow-log group not encrypted with a key of ours: aws_flow_log.{plain}"]
