"""pathwai.airflow_ecs.vpc_endpoint against the emulator: create, no-op, drift, check, diff, delete."""

from __future__ import annotations

import boto3
import pytest

SERVICE = "com.amazonaws.us-east-1.secretsmanager"


@pytest.fixture
def vpc(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=vpc_id)["GroupId"] for i in (1, 2)
    ]
    tables = [ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"] for _ in (1, 2)]
    return {"ec2": ec2, "vpc_id": vpc_id, "subnets": subnets, "groups": groups, "tables": tables}


def interface_args(vpc, **overrides):
    args = {
        "vpc_id": vpc["vpc_id"],
        "service_name": SERVICE,
        "subnet_ids": vpc["subnets"],
        "security_group_ids": [vpc["groups"][0]],
        "private_dns_enabled": True,
        "tags": {"Name": "vpce-secrets", "airflow:env": "test"},
    }
    return {**args, **overrides}


def test_create_then_noop(module_runner, vpc, aws_endpoint):
    created = module_runner("vpc_endpoint", interface_args(vpc))
    assert created["changed"] is True
    endpoint = created["vpc_endpoint"]
    assert endpoint["private_dns_enabled"] is True
    assert endpoint["subnet_ids"] == sorted(vpc["subnets"])
    assert endpoint["tags"]["Name"] == "vpce-secrets"

    aws_endpoint.reset_calls()
    again = module_runner("vpc_endpoint", interface_args(vpc))
    assert again["changed"] is False
    assert [c for c in aws_endpoint.calls() if c["write"]] == []


def test_check_mode_create_writes_nothing(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    result = module_runner("vpc_endpoint", interface_args(vpc), check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert vpc["ec2"].describe_vpc_endpoints()["VpcEndpoints"] == []


def test_drift_in_groups_subnets_and_dns_is_repaired(module_runner, vpc):
    endpoint_id = module_runner("vpc_endpoint", interface_args(vpc))["vpc_endpoint"]["vpc_endpoint_id"]
    vpc["ec2"].modify_vpc_endpoint(
        VpcEndpointId=endpoint_id,
        AddSecurityGroupIds=[vpc["groups"][1]],
        RemoveSubnetIds=[vpc["subnets"][1]],
        PrivateDnsEnabled=False,
    )
    planned = module_runner("vpc_endpoint", interface_args(vpc), check_mode=True)
    assert planned["changed"] is True
    assert planned["changes"] == {
        "AddSubnetIds": [vpc["subnets"][1]],
        "RemoveSecurityGroupIds": [vpc["groups"][1]],
        "PrivateDnsEnabled": True,
    }
    assert planned["diff"]["before"]["private_dns_enabled"] is False

    fixed = module_runner("vpc_endpoint", interface_args(vpc))
    assert fixed["changed"] is True
    live = vpc["ec2"].describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    assert sorted(live["SubnetIds"]) == sorted(vpc["subnets"])
    assert [g["GroupId"] for g in live["Groups"]] == [vpc["groups"][0]]
    assert live["PrivateDnsEnabled"] is True
    assert module_runner("vpc_endpoint", interface_args(vpc))["changed"] is False


def test_tag_change_only(module_runner, vpc):
    module_runner("vpc_endpoint", interface_args(vpc))
    result = module_runner("vpc_endpoint", interface_args(vpc, tags={"Name": "renamed"}))
    assert result["changed"] is True
    assert result["vpc_endpoint"]["tags"] == {"Name": "renamed"}
    assert result.get("changes") == {}


def test_gateway_route_tables(module_runner, vpc):
    args = {
        "vpc_id": vpc["vpc_id"],
        "service_name": "com.amazonaws.us-east-1.s3",
        "endpoint_type": "Gateway",
        "route_table_ids": vpc["tables"][:1],
    }
    created = module_runner("vpc_endpoint", args)
    assert created["vpc_endpoint"]["route_table_ids"] == vpc["tables"][:1]
    grown = module_runner("vpc_endpoint", {**args, "route_table_ids": vpc["tables"]})
    assert grown["changes"] == {"AddRouteTableIds": [vpc["tables"][1]]}
    assert module_runner("vpc_endpoint", {**args, "route_table_ids": vpc["tables"]})["changed"] is False


def test_delete_by_vpc_and_service(module_runner, vpc):
    module_runner("vpc_endpoint", interface_args(vpc))
    gone = module_runner(
        "vpc_endpoint", {"vpc_id": vpc["vpc_id"], "service_name": SERVICE, "state": "absent"}
    )
    assert gone["changed"] is True
    live = vpc["ec2"].describe_vpc_endpoints(
        Filters=[{"Name": "vpc-endpoint-state", "Values": ["available", "pending"]}]
    )["VpcEndpoints"]
    assert live == []
    again = module_runner(
        "vpc_endpoint", {"vpc_id": vpc["vpc_id"], "service_name": SERVICE, "state": "absent"}
    )
    assert again["changed"] is False


def test_prefix_list_info(module_runner):
    found = module_runner("ec2_prefix_list_info", {"names": ["com.amazonaws.us-east-1.s3"]})
    assert found["prefix_list_ids"]["com.amazonaws.us-east-1.s3"].startswith("pl-")
