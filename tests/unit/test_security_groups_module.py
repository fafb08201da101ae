"""pathwai.airflow_ecs.security_groups against the emulator: create, no-op, drift, check, diff, reads."""

from __future__ import annotations

import collections

import boto3
import pytest
from conftest import ModuleFailed

S3 = "com.amazonaws.us-east-1.s3"


@pytest.fixture
def vpc(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    s3_list = next(p for p in ec2.describe_prefix_lists()["PrefixLists"] if p["PrefixListName"] == S3)
    return {"ec2": ec2, "vpc_id": vpc_id, "s3": s3_list["PrefixListId"]}


def groups(count: int = 3) -> list[dict]:
    """An ALB, an app and a database group referencing each other, plus ``count - 3`` plain groups."""
    out = [
        {
            "name": "t-alb",
            "description": "ALB",
            "tags": {"Name": "t-alb", "env": "test"},
            "rules": [
                {
                    "proto": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_ip": "10.100.0.0/16",
                    "rule_desc": "corp",
                }
            ],
            "rules_egress": [
                {
                    "proto": "tcp",
                    "from_port": 8080,
                    "to_port": 8080,
                    "group_name": "t-app",
                    "rule_desc": "to app",
                }
            ],
        },
        {
            "name": "t-app",
            "description": "App",
            "tags": {"Name": "t-app", "env": "test"},
            "rules": [
                {
                    "proto": "tcp",
                    "from_port": 8080,
                    "to_port": 8080,
                    "group_name": "t-alb",
                    "rule_desc": "from alb",
                }
            ],
            "rules_egress": [
                {
                    "proto": "tcp",
                    "from_port": 5432,
                    "to_port": 5432,
                    "group_name": "t-db",
                    "rule_desc": "to db",
                },
                {"proto": "tcp", "from_port": 443, "to_port": 443, "ip_prefix": S3, "rule_desc": "to s3"},
            ],
        },
        {
            "name": "t-db",
            "description": "Database",
            "tags": {"Name": "t-db", "env": "test"},
            "rules": [
                {
                    "proto": "tcp",
                    "from_port": 5432,
                    "to_port": 5432,
                    "group_name": "t-app",
                    "rule_desc": "from app",
                }
            ],
            "rules_egress": [],
        },
    ]
    for i in range(count - 3):
        out.append(
            {
                "name": f"t-extra-{i}",
                "description": "Extra",
                "tags": {"Name": f"t-extra-{i}"},
                "rules": [{"from_port": 22, "cidr_ip": "10.1.0.0/16", "rule_desc": "ssh"}],
                "rules_egress": [{"from_port": 443, "group_name": "t-app", "rule_desc": "to app"}],
            }
        )
    return out


def args(vpc, **overrides):
    return {"vpc_id": vpc["vpc_id"], "groups": groups(), "empty_default_group": True, **overrides}


def live(vpc) -> dict:
    found = vpc["ec2"].describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])
    return {g["GroupName"]: g for g in found["SecurityGroups"]}


def actions(calls: list, write: bool | None = None) -> collections.Counter:
    return collections.Counter(c["action"] for c in calls if write is None or c["write"] == write)


def test_create_wires_references_and_removes_default_egress(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    created = module_runner("security_groups", args(vpc))
    assert created["changed"] is True
    ids = created["group_ids"]
    assert set(ids) == {"t-alb", "t-app", "t-db"}
    calls = aws_endpoint.calls()
    # Tags ride in CreateSecurityGroup; no DescribeTags, no GetCallerIdentity, no per-group describe.
    assert actions(calls, write=False) == {"DescribeSecurityGroups": 2, "DescribePrefixLists": 1}
    assert actions(calls, write=True)["CreateSecurityGroup"] == 3
    assert "CreateTags" not in actions(calls)

    groups_now = live(vpc)
    app = groups_now["t-app"]
    assert {t["Key"]: t["Value"] for t in app["Tags"]} == {"Name": "t-app", "env": "test"}
    assert app["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == ids["t-alb"]
    assert app["IpPermissions"][0]["UserIdGroupPairs"][0]["Description"] == "from alb"
    egress = {p["FromPort"]: p for p in app["IpPermissionsEgress"]}
    assert set(egress) == {5432, 443}  # the default allow-all egress is gone
    assert egress[443]["PrefixListIds"] == [{"PrefixListId": vpc["s3"], "Description": "to s3"}]
    assert groups_now["t-db"]["IpPermissionsEgress"] == []
    assert groups_now["default"]["IpPermissions"] == []
    assert groups_now["default"]["IpPermissionsEgress"] == []
    assert created["security_groups"]["t-app"]["rules"] == [
        {
            "proto": "tcp",
            "from_port": 8080,
            "to_port": 8080,
            "group_name": "t-alb",
            "group_id": ids["t-alb"],
            "rule_desc": "from alb",
        }
    ]

    aws_endpoint.reset_calls()
    again = module_runner("security_groups", args(vpc))
    assert again["changed"] is False
    assert again["changes"] == {}
    assert again["group_ids"] == ids
    assert actions(aws_endpoint.calls()) == {"DescribeSecurityGroups": 1, "DescribePrefixLists": 1}


def test_reads_do_not_grow_with_the_number_of_groups(module_runner, vpc, aws_endpoint):
    module_runner("security_groups", args(vpc, groups=groups(12)))
    aws_endpoint.reset_calls()
    again = module_runner("security_groups", args(vpc, groups=groups(12)))
    assert again["changed"] is False
    assert len(again["group_ids"]) == 12
    assert actions(aws_endpoint.calls()) == {"DescribeSecurityGroups": 1, "DescribePrefixLists": 1}


def test_check_mode_create_writes_nothing_and_plans_rules(module_runner, vpc, aws_endpoint):
    aws_endpoint.reset_calls()
    planned = module_runner("security_groups", args(vpc), check_mode=True)
    assert planned["changed"] is True
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert set(live(vpc)) == {"default"}
    assert planned["group_ids"] == {"t-alb": None, "t-app": None, "t-db": None}
    assert planned["changes"]["t-app"]["create"] is True
    assert set(planned["diff"]["before"]) == {"default"}  # only the default group exists
    after = planned["diff"]["after"]["t-app"]
    assert after["tags"] == {"Name": "t-app", "env": "test"}
    assert after["rules"] == [
        {"proto": "tcp", "from_port": 8080, "to_port": 8080, "group_name": "t-alb", "rule_desc": "from alb"}
    ]
    assert {r["from_port"] for r in after["rules_egress"]} == {443, 5432}
    # AWS adds an allow-all egress rule to a new group: the plan revokes it.
    revoked = planned["changes"]["t-db"]["egress"]["revoke"]
    assert revoked == [{"proto": "-1", "from_port": None, "to_port": None, "cidr_ip": "0.0.0.0/0"}]


def test_drift_is_planned_then_repaired(module_runner, vpc, aws_endpoint):
    ids = module_runner("security_groups", args(vpc))["group_ids"]
    ec2 = vpc["ec2"]
    alb = ids["t-alb"]
    ec2.authorize_security_group_ingress(
        GroupId=alb,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    ec2.revoke_security_group_egress(
        GroupId=alb,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": ids["t-app"]}],
            }
        ],
    )
    ec2.update_security_group_rule_descriptions_ingress(
        GroupId=ids["t-db"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": ids["t-app"], "Description": "stale"}],
            }
        ],
    )
    ec2.create_tags(Resources=[ids["t-app"]], Tags=[{"Key": "stray", "Value": "x"}])

    aws_endpoint.reset_calls()
    planned = module_runner("security_groups", args(vpc), check_mode=True)
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert planned["changed"] is True
    assert planned["changes"]["t-alb"]["ingress"]["revoke"][0]["cidr_ip"] == "0.0.0.0/0"
    assert planned["changes"]["t-alb"]["egress"]["authorize"][0]["group_name"] == "t-app"
    assert planned["changes"]["t-db"]["ingress"]["describe"][0]["rule_desc"] == "from app"
    assert planned["changes"]["t-app"]["tags"] == {"set": {}, "remove": ["stray"]}
    assert {r["from_port"] for r in planned["diff"]["before"]["t-alb"]["rules"]} == {22, 443}
    assert {r["from_port"] for r in planned["diff"]["after"]["t-alb"]["rules"]} == {443}

    fixed = module_runner("security_groups", args(vpc))
    assert fixed["changed"] is True
    groups_now = live(vpc)
    assert [p["FromPort"] for p in groups_now["t-alb"]["IpPermissions"]] == [443]
    assert groups_now["t-alb"]["IpPermissionsEgress"][0]["UserIdGroupPairs"][0]["Description"] == "to app"
    assert groups_now["t-db"]["IpPermissions"][0]["UserIdGroupPairs"][0]["Description"] == "from app"
    assert "stray" not in {t["Key"] for t in groups_now["t-app"]["Tags"]}
    assert module_runner("security_groups", args(vpc))["changed"] is False


def test_existing_groups_are_adopted_and_tags_kept_without_purge(module_runner, vpc, aws_endpoint):
    ec2 = vpc["ec2"]
    db = ec2.create_security_group(GroupName="t-db", Description="Database", VpcId=vpc["vpc_id"])["GroupId"]
    ec2.create_tags(Resources=[db], Tags=[{"Key": "owner", "Value": "dba"}])
    result = module_runner("security_groups", args(vpc, purge_tags=False))
    assert result["group_ids"]["t-db"] == db
    tags = {t["Key"]: t["Value"] for t in live(vpc)["t-db"]["Tags"]}
    assert tags == {"owner": "dba", "Name": "t-db", "env": "test"}
    assert live(vpc)["t-db"]["IpPermissionsEgress"] == []


def test_default_group_emptied_tags_untouched(module_runner, vpc):
    ec2 = vpc["ec2"]
    default = live(vpc)["default"]
    ec2.create_tags(Resources=[default["GroupId"]], Tags=[{"Key": "keep", "Value": "me"}])
    ec2.authorize_security_group_ingress(
        GroupId=default["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
        ],
    )
    result = module_runner("security_groups", {"vpc_id": vpc["vpc_id"], "empty_default_group": True})
    assert result["changed"] is True
    assert result["default_group_id"] == default["GroupId"]
    assert len(result["changes"]["default"]["ingress"]["revoke"]) == 1
    assert result["diff"]["after"]["default"]["rules"] == []
    now = live(vpc)["default"]
    assert now["IpPermissions"] == [] and now["IpPermissionsEgress"] == []
    assert {t["Key"]: t["Value"] for t in now["Tags"]} == {"keep": "me"}
    again = module_runner("security_groups", {"vpc_id": vpc["vpc_id"], "empty_default_group": True})
    assert again["changed"] is False


def test_unknown_reference_fails_before_any_write(module_runner, vpc, aws_endpoint):
    bad = groups()
    bad[0]["rules"].append({"from_port": 80, "group_name": "t-nope"})
    aws_endpoint.reset_calls()
    with pytest.raises(ModuleFailed, match="t-nope"):
        module_runner("security_groups", args(vpc, groups=bad))
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
