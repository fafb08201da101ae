"""HTTPS to the targets (issue 15): the audit (policies/compute.rego) refuses a target group that
forwards or health-checks over plain HTTP - on the Terraform-plan rendering of the alb layer (the
gate's shape) and on what airflow_audit reads back from the emulator (the live shape)."""

from __future__ import annotations

import copy
from pathlib import Path

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_alb
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies
from plan_support import inventory_vars, terraform, with_layers_below

POLICIES_DIR = str(Path(__file__).resolve().parents[2] / "policies")
POLICIES = load_policies(POLICIES_DIR)


def _target_group_findings(resources: list[dict]) -> list[str]:
    document = {"required": {}, "name_prefix": "p", "resource_changes": resources}
    return [f for f in evaluate(POLICIES, document) if f.startswith("Target group")]


@pytest.fixture(scope="module")
def planned_group():
    v = inventory_vars("dev")
    plan = terraform(with_layers_below(v, "alb"), v["airflow_region"])
    address = f"aws_lb_target_group.{plan_alb.TARGET_GROUP_ID}"
    return next(r for r in plan["resource_changes"] if r["address"] == address)


def test_the_planned_target_group_passes(planned_group):
    assert _target_group_findings([planned_group]) == []


def test_a_planned_http_target_group_fails(planned_group):
    mutated = copy.deepcopy(planned_group)
    mutated["change"]["after"]["protocol"] = "HTTP"
    assert _target_group_findings([mutated]) == [
        f"Target group forwards over HTTP, not HTTPS (the api-server serves TLS): {planned_group['address']}"
    ]


def test_a_planned_http_health_check_fails(planned_group):
    mutated = copy.deepcopy(planned_group)
    mutated["change"]["after"]["health_check"][0]["protocol"] = "HTTP"
    assert _target_group_findings([mutated]) == [
        f"Target group health check over HTTP, not HTTPS: {planned_group['address']}"
    ]


def _live_findings(module_runner, endpoint_url: str, protocol: str, health_protocol: str) -> list[str]:
    ec2 = boto3.client("ec2", endpoint_url=endpoint_url, region_name="us-east-1")
    elb = boto3.client("elbv2", endpoint_url=endpoint_url, region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    elb.create_load_balancer(Name="tgt-alb", Subnets=subnets, Scheme="internal")
    elb.create_target_group(
        Name="tgt-api",
        Protocol=protocol,
        Port=8080,
        VpcId=vpc,
        TargetType="ip",
        HealthCheckProtocol=health_protocol,
        HealthCheckPath="/api/v2/monitor/health",
    )
    args = {
        "env": "t",
        "name_prefix": "tgt",
        "policy_dir": POLICIES_DIR,
        "compute": {"alb_name": "tgt-alb", "target_group_name": "tgt-api"},
    }
    return [f for f in module_runner("airflow_audit", args)["findings"] if f.startswith("Target group")]


@pytest.mark.parametrize(
    ("protocol", "health_protocol", "expected"),
    [
        ("HTTPS", "HTTPS", []),
        ("HTTP", "HTTPS", ["Target group forwards over HTTP, not HTTPS (the api-server serves TLS): "]),
        ("HTTPS", "HTTP", ["Target group health check over HTTP, not HTTPS: "]),
    ],
)
def test_the_audit_reads_the_protocols_back(module_runner, aws_endpoint, protocol, health_protocol, expected):
    found = _live_findings(module_runner, aws_endpoint.url, protocol, health_protocol)
    assert found == [f"{text}aws_lb_target_group.tgt-api" for text in expected]
