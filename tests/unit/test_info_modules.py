"""pathwai.airflow_ecs.secretsmanager_secret_info / efs_file_system_info against the emulator."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from conftest import ModuleFailed


def test_secret_info_lists_by_prefix_without_values(aws_endpoint, module_runner):
    sm = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    made = {
        name: sm.create_secret(Name=name, SecretString=f"value-of-{name}", Tags=[{"Key": "k", "Value": "v"}])[
            "ARN"
        ]
        for name in ("airflow/dev/b", "airflow/dev/a", "airflow/prod/a")
    }
    aws_endpoint.reset_calls()
    result = module_runner("secretsmanager_secret_info", {"name_prefix": "airflow/dev/"})
    assert result["arns"] == {n: made[n] for n in ("airflow/dev/a", "airflow/dev/b")}
    assert [s["name"] for s in result["secrets"]] == ["airflow/dev/a", "airflow/dev/b"]
    assert result["secrets"][0]["tags"] == {"k": "v"}
    assert "value-of" not in json.dumps(result)
    assert [c["action"] for c in aws_endpoint.calls()] == ["ListSecrets"]


def test_efs_info_finds_file_system_and_access_points(aws_endpoint, module_runner):
    efs = boto3.client("efs", endpoint_url=aws_endpoint.url)
    missing = module_runner("efs_file_system_info", {"name": "nothing-here"})
    assert missing["exists"] is False and missing["file_system"] is None
    fs_id = efs.create_file_system(CreationToken="airflow-t-dags", Encrypted=True)["FileSystemId"]
    efs.create_access_point(
        FileSystemId=fs_id,
        PosixUser={"Uid": 50000, "Gid": 50000},
        RootDirectory={"Path": "/airflow"},
        Tags=[{"Key": "Name", "Value": "airflow-t-airflow"}],
    )
    found = module_runner("efs_file_system_info", {"name": "airflow-t-dags"})
    assert found["exists"] is True and found["changed"] is False
    assert found["file_system"]["file_system_id"] == fs_id
    assert [(ap["name"], ap["path"], ap["posix_user"]["uid"]) for ap in found["access_points"]] == [
        ("airflow-t-airflow", "/airflow", 50000)
    ]


def test_foundation_info_finds_phase_one_and_names_what_is_missing(aws_endpoint, module_runner):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url)
    args = {
        "env": "t",
        "name_prefix": "airflow-t",
        "tiers": ["data"],
        "groups": ["rds"],
        "key_purposes": ["rds"],
    }
    with pytest.raises(ModuleFailed, match="Found 0 VPCs tagged Name=airflow-t-vpc, airflow:env=t"):
        module_runner("foundation_info", args)
    tags = [{"Key": "Name", "Value": "airflow-t-vpc"}, {"Key": "airflow:env", "Value": "t"}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])
    vpc_id = vpc["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"10.0.{i}.0/24",
            TagSpecifications=[
                {"ResourceType": "subnet", "Tags": [{"Key": "airflow:tier", "Value": "data"}]}
            ],
        )["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    with pytest.raises(ModuleFailed, match="missing security group airflow-t-rds, KMS key for rds"):
        module_runner("foundation_info", args)
    group = ec2.create_security_group(GroupName="airflow-t-rds", Description="d", VpcId=vpc_id)["GroupId"]
    key_tags = [
        {"TagKey": "airflow:env", "TagValue": "t"},
        {"TagKey": "airflow:component", "TagValue": "kms"},
        {"TagKey": "airflow:purpose", "TagValue": "rds"},
    ]
    key = kms.create_key(Tags=key_tags)["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/airflow-t-rds", TargetKeyId=key)
    other = kms.create_key(Tags=[{"TagKey": "airflow:env", "TagValue": "other"}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/airflow-other-rds", TargetKeyId=other)
    aws_endpoint.reset_calls()
    found = module_runner("foundation_info", args)
    assert found["vpc_id"] == vpc_id and found["subnet_ids"] == {"data": sorted(subnets)}
    assert found["group_ids"] == {"rds": group} and found["key_arns"] == {"rds": key}
    assert found["account_id"] == "123456789012" and found["changed"] is False
    assert not [c for c in aws_endpoint.calls() if c["write"]]


def test_foundation_info_key_reads_do_not_grow_with_foreign_keys(aws_endpoint, module_runner):
    """Keys are found through one ListAliases: other keys of the account (aliased or not) cost nothing,
    and a key pending deletion under the alias is not reported."""
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url)
    tags = [{"Key": "Name", "Value": "airflow-t-vpc"}, {"Key": "airflow:env", "Value": "t"}]
    ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])
    arns = {}
    for purpose in ("rds", "s3", "logs"):
        arns[purpose] = kms.create_key()["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=f"alias/airflow-t-{purpose}", TargetKeyId=arns[purpose])
    gone = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/airflow-t-efs", TargetKeyId=gone)
    kms.schedule_key_deletion(KeyId=gone, PendingWindowInDays=7)
    args = {"env": "t", "name_prefix": "airflow-t", "key_purposes": ["rds", "s3", "logs"]}

    def kms_calls() -> Counter:
        aws_endpoint.reset_calls()
        found = module_runner("foundation_info", args)
        assert found["key_arns"] == arns
        return Counter(c["action"] for c in aws_endpoint.calls() if c["service"] == "kms")

    few = kms_calls()
    assert few == {"ListAliases": 1, "DescribeKey": 4}
    for i in range(10):
        key_id = kms.create_key(Tags=[{"TagKey": "airflow:env", "TagValue": "t"}])["KeyMetadata"]["KeyId"]
        if i % 2:
            kms.create_alias(AliasName=f"alias/someone-else-{i}", TargetKeyId=key_id)
    assert kms_calls() == few


def test_foundation_info_route_tables_by_tier_and_no_key_read_unless_asked(aws_endpoint, module_runner):
    """The endpoints role's lookup: subnets, the route tables of the S3 tiers and its group in one run;
    no KMS call without key purposes; a listed route-table tier that is missing is named."""
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    tags = [{"Key": "Name", "Value": "airflow-t-vpc"}, {"Key": "airflow:env", "Value": "t"}]
    vpc_id = ec2.create_vpc(
        CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
    )["Vpc"]["VpcId"]

    def tagged(kind: str, tier: str) -> list:
        return [{"ResourceType": kind, "Tags": [{"Key": "airflow:tier", "Value": tier}]}]

    subnets = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", TagSpecifications=tagged("subnet", "private")
        )["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    tables = {
        tier: ec2.create_route_table(VpcId=vpc_id, TagSpecifications=tagged("route-table", tier))[
            "RouteTable"
        ]["RouteTableId"]
        for tier in ("private", "data", "alb")
    }
    group = ec2.create_security_group(GroupName="airflow-t-vpc-endpoints", Description="d", VpcId=vpc_id)
    args = {
        "env": "t",
        "name_prefix": "airflow-t",
        "tiers": ["private"],
        "groups": ["vpc-endpoints"],
        "route_table_tiers": ["private", "data"],
    }
    aws_endpoint.reset_calls()
    found = module_runner("foundation_info", args)
    assert found["subnet_ids"] == {"private": sorted(subnets)}
    assert found["route_table_ids"] == {"private": [tables["private"]], "data": [tables["data"]]}
    assert found["group_ids"] == {"vpc-endpoints": group["GroupId"]} and found["key_arns"] == {}
    assert sorted(c["action"] for c in aws_endpoint.calls()) == [
        "DescribeRouteTables",
        "DescribeSecurityGroups",
        "DescribeSubnets",
        "DescribeVpcs",
        "GetCallerIdentity",
    ]
    with pytest.raises(ModuleFailed, match="missing route table of tier public"):
        module_runner("foundation_info", dict(args, route_table_tiers=["private", "public"]))
