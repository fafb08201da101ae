"""pathwai.airflow_ecs.vpc_endpoints against the emulator: every endpoint of
the endpoints role created in one run, a no-op re-run with one describe and no write, drift
repaired only where it is, check and diff mode, delete."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.endpoints import interface_policy, s3_policy

SERVICES = ["ecr.api", "ecr.dkr", "logs", "events", "sts", "secretsmanager", "ssm", "ssmmessages", "kms",
            "elasticfilesystem", "monitoring"]  # fmt: skip
ACCOUNT = "123456789012"
POLICY_CFG = {"region": "us-east-1", "policy_actions": {"kms": ["kms:Decrypt"]}, "policy_buckets": ["b-dags"]}
PREFIX = "com.amazonaws.us-east-1."


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for the file (starting one costs seconds); each test makes its own VPC."""
    return module_aws_endpoint


@pytest.fixture
def vpc(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    name = f"t-vpc-{uuid.uuid4().hex[:8]}"
    vpc_id = ec2.create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Vpc"]["VpcId"]

    def tagged(kind, tier):
        return [{"ResourceType": kind, "Tags": [{"Key": "airflow:tier", "Value": tier}]}]

    subnets = [
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"10.0.{i}.0/24",
            AvailabilityZone=f"us-east-1{az}",
            TagSpecifications=tagged("subnet", "private"),
        )["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.9.0/24", TagSpecifications=tagged("subnet", "public"))
    groups = [
        ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=vpc_id)["GroupId"] for i in (1, 2)
    ]
    tables = [
        ec2.create_route_table(VpcId=vpc_id, TagSpecifications=tagged("route-table", tier))["RouteTable"][
            "RouteTableId"
        ]
        for tier in ("private", "data")
    ]
    return {
        "ec2": ec2,
        "name": name,
        "vpc_id": vpc_id,
        "subnets": subnets,
        "groups": groups,
        "tables": tables,
    }


def role_args(vpc, **overrides) -> dict:
    interface = [
        {
            "service_name": PREFIX + service,
            "subnet_ids": vpc["subnets"],
            "security_group_ids": [vpc["groups"][0]],
            "private_dns_enabled": True,
            "policy": interface_policy(service, POLICY_CFG, ACCOUNT),
            "tags": {"Name": f"vpce-{service}", "airflow:env": "t"},
        }
        for service in SERVICES
    ]
    gateway = {
        "service_name": PREFIX + "s3",
        "endpoint_type": "Gateway",
        "route_table_ids": vpc["tables"],
        "policy": s3_policy(POLICY_CFG, ACCOUNT),
        "tags": {"Name": "vpce-s3"},
    }
    return {"vpc_id": vpc["vpc_id"], "endpoints": [*interface, gateway], **overrides}


def _calls(aws_endpoint, write: bool) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"] is write]


def _live(vpc) -> dict:
    found = vpc["ec2"].describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])
    return {
        e["ServiceName"]: e
        for e in found["VpcEndpoints"]
        if e["State"].lower() not in ("deleted", "deleting")
    }


def test_create_all_then_noop_with_one_describe(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    created = module_runner("vpc_endpoints", role_args(vpc))
    assert created["changed"] is True and len(created["created"]) == 12
    writes = _calls(aws_endpoint, True)
    assert writes == ["CreateVpcEndpoint"] * 12  # tags in TagSpecifications: no CreateTags
    # One describe before, then the waits poll all new endpoints together (not one by one).
    assert _calls(aws_endpoint, False).count("DescribeVpcEndpoints") <= 1 + 5
    live = _live(vpc)
    assert sorted(live) == sorted([PREFIX + s for s in SERVICES] + [PREFIX + "s3"])
    ssm = live[PREFIX + "ssm"]
    assert ssm["PrivateDnsEnabled"] is True and sorted(ssm["SubnetIds"]) == sorted(vpc["subnets"])
    assert {t["Key"]: t["Value"] for t in ssm["Tags"]}["Name"] == "vpce-ssm"
    assert sorted(live[PREFIX + "s3"]["RouteTableIds"]) == sorted(vpc["tables"])
    assert [e["state"] for e in created["vpc_endpoints"]] == ["available"] * 12
    kms_policy = json.loads(live[PREFIX + "kms"]["PolicyDocument"])
    assert kms_policy["Statement"][0]["Condition"]["StringEquals"]["aws:ResourceAccount"] == ACCOUNT

    aws_endpoint.reset_calls()
    again = module_runner("vpc_endpoints", role_args(vpc))
    assert again["changed"] is False
    assert _calls(aws_endpoint, True) == []
    assert _calls(aws_endpoint, False) == ["DescribeVpcEndpoints"]
    assert [e["vpc_endpoint_id"] for e in again["vpc_endpoints"]] == [
        e["vpc_endpoint_id"] for e in created["vpc_endpoints"]
    ]


def test_check_mode_create_writes_nothing(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    planned = module_runner("vpc_endpoints", role_args(vpc), check_mode=True)
    assert planned["changed"] is True and len(planned["created"]) == 12
    assert planned["diff"]["before"] == {} and len(planned["diff"]["after"]) == 12
    assert _calls(aws_endpoint, True) == []
    assert _live(vpc) == {}


def test_drift_is_repaired_only_where_it_is(module_runner, vpc, aws_endpoint):
    created = module_runner("vpc_endpoints", role_args(vpc))
    ids = {e["service_name"]: e["vpc_endpoint_id"] for e in created["vpc_endpoints"]}
    ec2 = vpc["ec2"]
    ec2.modify_vpc_endpoint(
        VpcEndpointId=ids[PREFIX + "logs"],
        AddSecurityGroupIds=[vpc["groups"][1]],
        RemoveSubnetIds=[vpc["subnets"][1]],
        PrivateDnsEnabled=False,
    )
    ec2.modify_vpc_endpoint(VpcEndpointId=ids[PREFIX + "s3"], RemoveRouteTableIds=[vpc["tables"][1]])
    ec2.create_tags(Resources=[ids[PREFIX + "kms"]], Tags=[{"Key": "Name", "Value": "renamed"}])
    full_access = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=ids[PREFIX + "sts"], PolicyDocument=json.dumps(full_access))

    aws_endpoint.reset_calls()
    planned = module_runner("vpc_endpoints", role_args(vpc), check_mode=True)
    assert planned["modified"] == {
        PREFIX + "logs": {
            "AddSubnetIds": [vpc["subnets"][1]],
            "RemoveSecurityGroupIds": [vpc["groups"][1]],
            "PrivateDnsEnabled": True,
        },
        PREFIX + "s3": {"AddRouteTableIds": [vpc["tables"][1]]},
        PREFIX + "kms": {},
        PREFIX + "sts": {
            "PolicyDocument": json.dumps(interface_policy("sts", POLICY_CFG, ACCOUNT), sort_keys=True)
        },
    }
    assert planned["diff"]["before"][PREFIX + "logs"]["private_dns_enabled"] is False
    assert planned["diff"]["after"][PREFIX + "kms"]["tags"]["Name"] == "vpce-kms"
    assert _calls(aws_endpoint, True) == []

    fixed = module_runner("vpc_endpoints", role_args(vpc))
    assert fixed["changed"] is True and fixed["created"] == []
    assert sorted(_calls(aws_endpoint, True)) == [
        "CreateTags",
        "ModifyVpcEndpoint",
        "ModifyVpcEndpoint",
        "ModifyVpcEndpoint",
    ]
    live = _live(vpc)
    assert live[PREFIX + "logs"]["PrivateDnsEnabled"] is True
    assert [g["GroupId"] for g in live[PREFIX + "logs"]["Groups"]] == [vpc["groups"][0]]
    assert sorted(live[PREFIX + "s3"]["RouteTableIds"]) == sorted(vpc["tables"])
    assert module_runner("vpc_endpoints", role_args(vpc))["changed"] is False


def test_absent_entries_are_deleted_in_one_call(module_runner, vpc, aws_endpoint):
    module_runner("vpc_endpoints", role_args(vpc))
    gone = [{"service_name": PREFIX + s, "state": "absent"} for s in ("ssm", "sts")]
    aws_endpoint.reset_calls()
    result = module_runner("vpc_endpoints", {"vpc_id": vpc["vpc_id"], "endpoints": gone})
    assert result["deleted"] == [PREFIX + "ssm", PREFIX + "sts"]
    assert _calls(aws_endpoint, True) == ["DeleteVpcEndpoints"]
    assert PREFIX + "ssm" not in _live(vpc)
    assert module_runner("vpc_endpoints", {"vpc_id": vpc["vpc_id"], "endpoints": gone})["changed"] is False


def test_duplicate_services_are_refused(module_runner, vpc):
    entry = role_args(vpc)["endpoints"][0]
    with pytest.raises(Exception, match="listed more than once"):
        module_runner("vpc_endpoints", {"vpc_id": vpc["vpc_id"], "endpoints": [entry, entry]})


def test_endpoints_list_filter():
    from ansible_collections.pathwai.airflow_ecs.plugins.filter.endpoints import endpoints_list

    network = {
        "account_id": ACCOUNT,
        "subnet_ids": {"private": ["s1", "s2"], "public": ["s3"]},
        "route_table_ids": {"private": ["r1", "r2"], "data": ["r3"], "alb": ["r4"]},
        "group_ids": {"p-vpc-endpoints": "sg-1"},
    }
    cfg = {"prefix": "p", "services": ["ssm", "kms"], "private_dns": True,
           "s3_route_tiers": ["private", "data"], "tags": {"airflow:env": "t"},
           **POLICY_CFG, "region": "eu-west-1"}  # fmt: skip
    out = endpoints_list(network, cfg)
    assert [e["service_name"] for e in out] == ["com.amazonaws.eu-west-1.ssm", "com.amazonaws.eu-west-1.kms",
                                               "com.amazonaws.eu-west-1.s3"]  # fmt: skip
    assert out[0]["subnet_ids"] == ["s1", "s2"] and out[0]["security_group_ids"] == ["sg-1"]
    assert out[0]["tags"] == {"airflow:env": "t", "Name": "p-vpce-ssm"}
    assert out[2]["endpoint_type"] == "Gateway" and out[2]["route_table_ids"] == ["r1", "r2", "r3"]


def test_endpoints_absent_filter():
    from ansible_collections.pathwai.airflow_ecs.plugins.filter.endpoints import endpoints_absent

    assert endpoints_absent(["com.amazonaws.us-east-1.ssm"]) == [
        {"service_name": "com.amazonaws.us-east-1.ssm", "state": "absent"}
    ]
