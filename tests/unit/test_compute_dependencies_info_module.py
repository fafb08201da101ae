"""pathwai.airflow_ecs.compute_dependencies_info against the emulator: what compute needs in one run
(five read calls), and missing pieces returned empty rather than failing."""

from __future__ import annotations

import boto3
import pytest


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    return module_aws_endpoint


def args(prefix: str) -> dict:
    return {
        "secret_prefix": f"{prefix}/",
        "file_system_name": f"{prefix}-dags",
        "access_point_name": f"{prefix}-airflow",
        "load_balancer_name": f"{prefix}-alb",
        "target_group_name": f"{prefix}-api",
    }


def test_finds_everything_in_five_reads(module_runner, aws_endpoint):
    url = aws_endpoint.url
    sm = boto3.client("secretsmanager", endpoint_url=url, region_name="us-east-1")
    efs = boto3.client("efs", endpoint_url=url, region_name="us-east-1")
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1")
    elb = boto3.client("elbv2", endpoint_url=url, region_name="us-east-1")
    arns = {n: sm.create_secret(Name=f"cdi/{n}", SecretString="x")["ARN"] for n in ("fernet_key", "jwt")}
    sm.create_secret(Name="cdi-other/jwt", SecretString="x")
    fs = efs.create_file_system(CreationToken="cdi-dags")
    efs.create_access_point(FileSystemId=fs["FileSystemId"], Tags=[{"Key": "Name", "Value": "other"}])
    ap = efs.create_access_point(
        FileSystemId=fs["FileSystemId"], Tags=[{"Key": "Name", "Value": "cdi-airflow"}]
    )
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    alb = elb.create_load_balancer(Name="cdi-alb", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]
    tg = elb.create_target_group(Name="cdi-api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")
    aws_endpoint.reset_calls()

    found = module_runner("compute_dependencies_info", args("cdi"))
    assert found["changed"] is False
    assert found["secret_arns"] == {f"cdi/{n}": arn for n, arn in arns.items()}
    assert found["efs"] == {
        "file_system_id": fs["FileSystemId"],
        "arn": fs["FileSystemArn"],
        "access_point_id": ap["AccessPointId"],
        "access_point_arn": ap["AccessPointArn"],
    }
    assert found["load_balancer_arn"] == alb["LoadBalancerArn"]
    assert found["target_group_arn"] == tg["TargetGroups"][0]["TargetGroupArn"]
    calls = aws_endpoint.calls()
    # EFS is a REST API: the record names its two calls (DescribeFileSystems, DescribeAccessPoints) by method
    assert sorted(c["action"] for c in calls if c["service"] != "elasticfilesystem") == [
        "DescribeLoadBalancers",
        "DescribeTargetGroups",
        "ListSecrets",
    ]
    assert [c["action"] for c in calls if c["service"] == "elasticfilesystem"] == ["GET 2015-02-01"] * 2
    assert not any(c["write"] for c in calls)


def test_missing_pieces_are_empty(module_runner):
    found = module_runner("compute_dependencies_info", args("nothing-here"), check_mode=True)
    assert found["secret_arns"] == {} and found["efs"] == {}
    assert found["load_balancer_arn"] == "" and found["target_group_arn"] == ""
