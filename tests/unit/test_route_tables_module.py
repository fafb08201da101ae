"""pathwai.airflow_ecs.route_tables against the emulator: create, no-op, drift, moves, check, diff, reads."""

from __future__ import annotations

import collections

import boto3
import pytest


@pytest.fixture
def vpc(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(4)
    ]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc_id, VpnGatewayId=vgw)
    return {"ec2": ec2, "vpc_id": vpc_id, "subnets": subnets, "vgw": vgw}


def tables(vpc, count: int = 2) -> list:
    out = [
        {"name": "t-rt-private", "tags": {"tier": "private"}, "subnets": vpc["subnets"][:2], "routes": []},
        {
            "name": "t-rt-alb",
            "tags": {"tier": "alb"},
            "subnets": vpc["subnets"][2:],
            "routes": [{"dest": "10.200.0.0/24", "gateway_id": vpc["vgw"]}],
        },
    ]
    out += [{"name": f"t-rt-extra-{i}", "tags": {}, "subnets": [], "routes": []} for i in range(count - 2)]
    return out


def args(vpc, **overrides):
    return {"vpc_id": vpc["vpc_id"], "route_tables": tables(vpc), "purge_routes": False, **overrides}


def live(vpc) -> dict:
    found = vpc["ec2"].describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])
    out = {}
    for table in found["RouteTables"]:
        tags = {t["Key"]: t["Value"] for t in table.get("Tags", [])}
        out[tags.get("Name", table["RouteTableId"])] = {
            **table,
            "tags": tags,
            "subnets": sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")),
        }
    return out


def actions(calls: list, write: bool | None = None) -> collections.Counter:
    return collections.Counter(c["action"] for c in calls if write is None or c["write"] == write)


def test_create_then_noop(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    created = module_runner("route_tables", args(vpc))
    assert created["changed"] is True
    calls = aws_endpoint.calls()
    assert actions(calls, write=False) == {"DescribeRouteTables": 1}
    assert actions(calls, write=True) == {"CreateRouteTable": 2, "AssociateRouteTable": 4, "CreateRoute": 1}
    now = live(vpc)
    assert now["t-rt-private"]["subnets"] == sorted(vpc["subnets"][:2])
    assert now["t-rt-alb"]["tags"] == {"Name": "t-rt-alb", "tier": "alb"}
    routes = [r for r in now["t-rt-alb"]["Routes"] if r.get("Origin") != "CreateRouteTable"]
    assert [(r["DestinationCidrBlock"], r["GatewayId"]) for r in routes] == [("10.200.0.0/24", vpc["vgw"])]
    ids = created["route_table_ids"]
    assert ids["t-rt-alb"] == now["t-rt-alb"]["RouteTableId"]

    aws_endpoint.reset_calls()
    again = module_runner("route_tables", args(vpc))
    assert again["changed"] is False
    assert again["route_table_ids"] == ids
    assert actions(aws_endpoint.calls()) == {"DescribeRouteTables": 1}


def test_reads_do_not_grow_with_the_number_of_tables(module_runner, vpc, aws_endpoint):
    module_runner("route_tables", args(vpc, route_tables=tables(vpc, 8)))
    aws_endpoint.reset_calls()
    assert module_runner("route_tables", args(vpc, route_tables=tables(vpc, 8)))["changed"] is False
    assert actions(aws_endpoint.calls()) == {"DescribeRouteTables": 1}


def test_check_mode_writes_nothing(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    planned = module_runner("route_tables", args(vpc), check_mode=True)
    assert planned["changed"] is True
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert planned["route_table_ids"] == {"t-rt-private": None, "t-rt-alb": None}
    assert planned["changes"]["t-rt-alb"]["routes_create"] == [
        {"dest": "10.200.0.0/24", "gateway_id": vpc["vgw"]}
    ]
    assert planned["diff"]["before"] == {}
    assert planned["diff"]["after"]["t-rt-private"]["subnets"] == sorted(vpc["subnets"][:2])
    assert "t-rt-alb" not in live(vpc)


def test_drift_repaired_subnet_moved_endpoint_route_kept(module_runner, vpc, aws_endpoint):
    ids = module_runner("route_tables", args(vpc))["route_table_ids"]
    ec2 = vpc["ec2"]
    private, alb = ids["t-rt-private"], ids["t-rt-alb"]
    # A subnet moved to the wrong table, a stray tag, a route replaced, a gateway endpoint route.
    assoc = next(
        a["RouteTableAssociationId"]
        for a in live(vpc)["t-rt-alb"]["Associations"]
        if a.get("SubnetId") == vpc["subnets"][2]
    )
    ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=private)
    ec2.create_tags(Resources=[private], Tags=[{"Key": "stray", "Value": "x"}])
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    ec2.replace_route(RouteTableId=alb, DestinationCidrBlock="10.200.0.0/24", TransitGatewayId=tgw)
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc["vpc_id"],
        ServiceName="com.amazonaws.us-east-1.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[private],
    )["VpcEndpoint"]["VpcEndpointId"]

    aws_endpoint.reset_calls()
    planned = module_runner("route_tables", args(vpc, purge_routes=True), check_mode=True)
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert planned["changes"]["t-rt-alb"]["subnets_replace"] == [vpc["subnets"][2]]
    assert planned["changes"]["t-rt-alb"]["routes_replace"] == [
        {"dest": "10.200.0.0/24", "gateway_id": vpc["vgw"]}
    ]
    assert planned["changes"]["t-rt-private"]["tags"] == {"set": {}, "remove": ["stray"]}
    assert "subnets_disassociate" not in planned["changes"]["t-rt-private"]  # t-rt-alb takes it back
    assert "routes_delete" not in planned["changes"].get("t-rt-private", {})  # the endpoint's route stays
    assert vpc["subnets"][2] in planned["diff"]["before"]["t-rt-private"]["subnets"]

    fixed = module_runner("route_tables", args(vpc, purge_routes=True))
    assert fixed["changed"] is True
    now = live(vpc)
    assert now["t-rt-alb"]["subnets"] == sorted(vpc["subnets"][2:])
    assert now["t-rt-private"]["subnets"] == sorted(vpc["subnets"][:2])
    assert "stray" not in now["t-rt-private"]["tags"]
    alb_routes = [r for r in now["t-rt-alb"]["Routes"] if r.get("DestinationCidrBlock") == "10.200.0.0/24"]
    assert alb_routes[0].get("GatewayId") == vpc["vgw"]
    assert any(r.get("GatewayId") == endpoint for r in now["t-rt-private"]["Routes"])
    assert module_runner("route_tables", args(vpc, purge_routes=True))["changed"] is False


def test_purge_subnets_disassociates(module_runner, vpc):
    module_runner("route_tables", args(vpc))
    shrunk = tables(vpc)
    shrunk[0]["subnets"] = vpc["subnets"][:1]
    result = module_runner("route_tables", args(vpc, route_tables=shrunk))
    assert result["changes"]["t-rt-private"]["subnets_disassociate"] == [vpc["subnets"][1]]
    assert live(vpc)["t-rt-private"]["subnets"] == vpc["subnets"][:1]
