"""pathwai.airflow_ecs.subnets against the emulator: create, no-op, drift, check, diff, zone guard."""

from __future__ import annotations

import boto3
import pytest
from conftest import ModuleFailed


@pytest.fixture
def vpc(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    return {"ec2": ec2, "vpc_id": ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]}


def specs(count: int = 4) -> list[dict]:
    return [
        {
            "cidr": f"10.0.{i}.0/24",
            "az": f"us-east-1{'ab'[i % 2]}",
            "tags": {"Name": f"s{i}", "airflow:tier": "private" if i < 2 else "data"},
        }
        for i in range(count)
    ]


def by_cidr(vpc) -> dict:
    found = vpc["ec2"].describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])["Subnets"]
    return {s["CidrBlock"]: s for s in found}


def test_create_with_tags_then_noop_in_one_read(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    created = module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": specs()})
    assert created["changed"] is True
    creates = [c for c in aws_endpoint.calls() if c["action"] == "CreateSubnet"]
    assert len(creates) == 4
    assert not [c for c in aws_endpoint.calls() if c["action"] == "CreateTags"], "tags go in CreateSubnet"
    have = by_cidr(vpc)
    assert {c: s["AvailabilityZone"] for c, s in have.items()} == {s["cidr"]: s["az"] for s in specs()}
    assert [s["id"] for s in created["subnets"]] == [have[s["cidr"]]["SubnetId"] for s in specs()]
    assert created["subnets"][2]["tags"]["airflow:tier"] == "data"

    aws_endpoint.reset_calls()
    again = module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": specs()})
    assert again["changed"] is False
    assert [c["action"] for c in aws_endpoint.calls()] == ["DescribeSubnets"]


def test_drift_is_repaired_and_shown(module_runner, vpc):
    module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": specs(2)})
    subnet = by_cidr(vpc)["10.0.1.0/24"]["SubnetId"]
    vpc["ec2"].create_tags(Resources=[subnet], Tags=[{"Key": "stray", "Value": "x"}])
    vpc["ec2"].modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})

    fixed = module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": specs(2)})
    assert fixed["changed"] is True
    assert fixed["changes"]["10.0.1.0/24"] == {"map_public": False, "tags": {"set": {}, "remove": ["stray"]}}
    assert fixed["diff"]["before"]["10.0.1.0/24"]["map_public"] is True
    assert fixed["diff"]["after"]["10.0.1.0/24"]["map_public"] is False
    after = by_cidr(vpc)["10.0.1.0/24"]
    assert after["MapPublicIpOnLaunch"] is False
    assert "stray" not in {t["Key"] for t in after["Tags"]}


def test_check_mode_writes_nothing(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    plan = module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": specs()}, check_mode=True)
    assert plan["changed"] is True
    assert set(plan["changes"]) == {s["cidr"] for s in specs()}
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert by_cidr(vpc) == {}


def test_a_subnet_in_another_zone_fails_before_any_write(module_runner, vpc, aws_endpoint):
    module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": specs(2)})
    moved = specs(2)
    moved[0]["az"] = "us-east-1c"
    moved.append({"cidr": "10.0.9.0/24", "az": "us-east-1a"})
    aws_endpoint.reset_calls()
    with pytest.raises(ModuleFailed, match="is in us-east-1a, not us-east-1c"):
        module_runner("subnets", {"vpc_id": vpc["vpc_id"], "subnets": moved})
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
