"""Emulator extension elbv2_load_balancer_names: CreateLoadBalancer refuses names AWS refuses."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def network(module_aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=module_aws_endpoint.url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    return boto3.client("elbv2", endpoint_url=module_aws_endpoint.url), subnets


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a" * 33, "cannot be longer than '32' characters"),
        ("airflow_alb", "can only contain characters that are alphanumeric characters or hyphens(-)"),
        ("-airflow", "cannot begin or end with '-'"),
        ("airflow-", "cannot begin or end with '-'"),
        ("internal-airflow", "cannot begin with 'internal-'"),
    ],
)
def test_bad_names_are_refused(network, name, problem):
    elb, subnets = network
    with pytest.raises(ClientError) as raised:
        elb.create_load_balancer(Name=name, Subnets=subnets, Scheme="internal")
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationError",
        f"The load balancer name '{name}' {problem}",
    )


def test_good_names_are_accepted(network):
    elb, subnets = network
    for name in ("a" * 32, "airflow-local-alb", "A1"):
        elb.create_load_balancer(Name=name, Subnets=subnets, Scheme="internal")
