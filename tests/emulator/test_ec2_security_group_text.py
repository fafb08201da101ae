"""Emulator extension ec2_security_group_text: EC2's character sets for group and rule text."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
SET = "from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"
RULE_TEXT = f"Invalid rule description. Valid descriptions are strings less than 256 characters {SET}"


def group_text(what: str) -> str:
    return f"Invalid security group {what}. Valid {what}s are strings less than 256 characters {SET}"


EVERY_ALLOWED = "aZ09 ._-:/()#,@[]+=&;{}!$*"


@pytest.fixture(scope="module")
def ec2(module_aws_endpoint):
    client = boto3.client("ec2", endpoint_url=module_aws_endpoint.url)
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return client, vpc_id


def refused(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_the_old_dag_sync_description_is_refused_and_the_roles_descriptions_pass(ec2):
    client, vpc_id = ec2
    error = refused(
        lambda: client.create_security_group(
            GroupName="dag-sync", Description="DAG sync service (S3 -> EFS)", VpcId=vpc_id
        )
    )
    assert (error["Code"], error["Message"]) == ("InvalidParameterValue", group_text("description"))
    groups = yaml.safe_load((ROOT / "roles/network/defaults/main.yml").read_text())["network_security_groups"]
    for name, group in groups.items():
        client.create_security_group(GroupName=f"role-{name}", Description=group["description"], VpcId=vpc_id)


def test_group_names(ec2):
    client, vpc_id = ec2
    error = refused(lambda: client.create_security_group(GroupName="sg-web", Description="d", VpcId=vpc_id))
    assert error == {
        "Code": "InvalidParameterValue",
        "Message": "Value (sg-web) for parameter GroupName is invalid. "
        "Group names may not be in the format sg-*.",
    }
    error = refused(lambda: client.create_security_group(GroupName="a" * 256, Description="d", VpcId=vpc_id))
    assert error["Message"] == group_text("name")
    error = refused(lambda: client.create_security_group(GroupName="grüne", Description="d", VpcId=vpc_id))
    assert (
        error["Message"]
        == "Value (grüne) for parameter GroupName is invalid. Character sets beyond ASCII are not supported."
    )
    client.create_security_group(GroupName="a" * 255, Description="a" * 255, VpcId=vpc_id)
    client.create_security_group(GroupName=EVERY_ALLOWED, Description=EVERY_ALLOWED, VpcId=vpc_id)


def rule(description: str, peer: str = "cidr", value: str = "10.1.0.0/16") -> list:
    key, entry = {
        "cidr": ("IpRanges", {"CidrIp": value}),
        "ipv6": ("Ipv6Ranges", {"CidrIpv6": value}),
        "group": ("UserIdGroupPairs", {"GroupId": value}),
        "prefix": ("PrefixListIds", {"PrefixListId": value}),
    }[peer]
    return [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, key: [{**entry, "Description": description}]}
    ]


def test_rule_descriptions(ec2):
    client, vpc_id = ec2
    group = client.create_security_group(GroupName="rules", Description="d", VpcId=vpc_id)["GroupId"]
    peer = client.create_security_group(GroupName="peer", Description="d", VpcId=vpc_id)["GroupId"]
    prefix = client.describe_prefix_lists()["PrefixLists"][0]["PrefixListId"]
    for call in (client.authorize_security_group_ingress, client.authorize_security_group_egress):
        for permissions in (
            rule("S3 -> EFS"),
            rule("x" * 256),
            rule("from A>B", "ipv6", "2001:db8::/64"),
            rule("Tom & Jerry", "group", peer),  # `&` only in IPv4/IPv6 range descriptions
            rule("Tom & Jerry", "prefix", prefix),
        ):
            error = refused(partial(call, GroupId=group, IpPermissions=permissions))
            assert (error["Code"], error["Message"]) == ("InvalidParameterValue", RULE_TEXT)
    client.authorize_security_group_ingress(GroupId=group, IpPermissions=rule(EVERY_ALLOWED))
    client.authorize_security_group_ingress(
        GroupId=group, IpPermissions=rule(EVERY_ALLOWED.replace("&", ""), "group", peer)
    )
    client.authorize_security_group_egress(GroupId=group, IpPermissions=rule("x" * 255, "prefix", prefix))
    error = refused(
        lambda: client.update_security_group_rule_descriptions_ingress(
            GroupId=group, IpPermissions=rule("a > b")
        )
    )
    assert error["Message"] == RULE_TEXT
    client.update_security_group_rule_descriptions_ingress(GroupId=group, IpPermissions=rule("a to b"))
    rule_id = client.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"
    ][0]["SecurityGroupRuleId"]
    change = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "10.1.0.0/16"}
    error = refused(
        lambda: client.modify_security_group_rules(
            GroupId=group,
            SecurityGroupRules=[
                {"SecurityGroupRuleId": rule_id, "SecurityGroupRule": {**change, "Description": "é"}}
            ],
        )
    )
    assert error["Message"] == RULE_TEXT
    client.modify_security_group_rules(
        GroupId=group,
        SecurityGroupRules=[
            {"SecurityGroupRuleId": rule_id, "SecurityGroupRule": {**change, "Description": "ok"}}
        ],
    )
