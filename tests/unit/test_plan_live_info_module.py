"""plan_live_info in a fresh emulator. A VPC that breaks the design (an internet gateway, a NAT
gateway, routes to the internet from a tier's table and from the main one, a rule open to
0.0.0.0/0, the default group's rules left in place) and has a flow log, built with boto3: the
live rendering shows each of them, cfn-lint accepts the template, and its Terraform plan makes the
seed's no_nat.rego fail naming the NAT gateway and the open rule. An account without the
environment reads as nothing, without an error."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import (
    plan_live_network,
    plan_network,
    plan_render,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import VPC_ID, sg_id, subnet_id
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate
from plan_support import ROOT, cfn_lint

ENV = "breach"


def _tags(kind: str, **tags: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


@pytest.fixture
def breached(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=_tags("vpc", **{"airflow:env": ENV}))
    vpc_id = vpc["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.9.1.0/24",
        AvailabilityZone="us-east-1a",
        TagSpecifications=_tags("subnet", **{"airflow:tier": "private"}),
    )["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    table = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=_tags("route-table", **{"airflow:tier": "private"})
    )
    table_id = table["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    main = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    group = ec2.create_security_group(
        GroupName=f"{ENV}-bastion",
        Description="Bastion",
        VpcId=vpc_id,
        TagSpecifications=_tags("security-group", **{"airflow:component": "bastion"}),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "bastion-ingress-world-tcp-22"}],
            }
        ],
    )
    logs = boto3.client("logs", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    logs.create_log_group(logGroupName="vpc-flow")
    ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="vpc-flow",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
    )
    return {"nat": nat, "igw": igw}


def test_a_breached_vpc_is_rendered_as_it_is(module_runner, breached):
    result = module_runner("plan_live_info", {"env": ENV, "name_prefix": ENV, "layers": ["network"]})
    assert result["changed"] is False
    by_type: dict[str, list] = {}
    for res in result["resources"]:
        by_type.setdefault(res["type"], []).append(res)
    nat = by_type["AWS::EC2::NatGateway"][0]
    assert nat["properties"]["SubnetId"] == {"Ref": subnet_id("private", "us-east-1a")}
    igw = by_type["AWS::EC2::InternetGateway"][0]["id"]
    routes = [r["properties"] for r in by_type["AWS::EC2::Route"]]
    assert {r["DestinationCidrBlock"] for r in routes} == {"0.0.0.0/0"}
    assert {"Ref": nat["id"]} in [r.get("NatGatewayId") for r in routes]
    assert {"Ref": igw} in [r.get("GatewayId") for r in routes]  # on the VPC's main route table
    attachments = [a["properties"] for a in by_type["AWS::EC2::VPCGatewayAttachment"]]
    assert {"VpcId": {"Ref": VPC_ID}, "InternetGatewayId": {"Ref": igw}} in attachments
    rule = by_type["AWS::EC2::SecurityGroupIngress"][0]["properties"]
    assert rule["GroupId"] == {"Ref": sg_id("bastion")} and rule["CidrIp"] == "0.0.0.0/0"
    assert result["physical_ids"][breached["nat"]] == nat["id"]
    # The VPC's default group is not a resource of the plan, but its rules (AWS's defaults here:
    # the network role empties it) are shown, on the group's real id.
    default_rules = [r["properties"] for r in by_type["AWS::EC2::SecurityGroupEgress"]]
    assert any(r["GroupId"].startswith("sg-") and r["CidrIp"] == "0.0.0.0/0" for r in default_rules)

    flow = by_type["AWS::EC2::FlowLog"][0]["properties"]
    assert flow["ResourceId"] == {"Ref": VPC_ID} and flow["TrafficType"] == "ALL"

    errors = [f for f in cfn_lint(result["resources"], "us-east-1") if f.startswith("E")]
    assert errors == []

    converters = {**plan_network.TERRAFORM, **plan_live_network.TERRAFORM}
    plan = plan_render.terraform_plan(result["resources"], converters, "us-east-1")
    assert {"aws_nat_gateway", "aws_flow_log"} <= {r["type"] for r in plan["resource_changes"]}
    policy = (ROOT / "policies" / "no_nat.rego").read_text()
    findings = evaluate({"no_nat.rego": policy}, plan)
    assert any(f.startswith("NAT Gateway not allowed: aws_nat_gateway.") for f in findings), findings
    assert any(f.startswith("Security group rule with 0.0.0.0/0 not allowed") for f in findings), findings


def test_an_account_without_the_environment_reads_as_nothing(module_runner):
    args = {"env": "absent", "name_prefix": "absent", "secret_prefix": "absent", "buckets": ["absent-bucket"]}
    result = module_runner("plan_live_info", args, check_mode=True)
    assert result["changed"] is False
    assert (result["resources"], result["policies"], result["summary"]) == ([], [], {})
