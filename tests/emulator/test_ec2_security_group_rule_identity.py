"""Emulator extension ec2_security_group_rule_identity: group rules are found without their Description."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def groups(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    a, b = (
        ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc_id)["GroupId"] for n in ("a", "b")
    )
    return ec2, a, b


def pair(peer: str, description: str | None = None, port: int = 5432) -> list:
    entry = {"GroupId": peer, **({"Description": description} if description else {})}
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [entry]}]


def ingress(ec2, group: str) -> list:
    return ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]


def test_revoke_without_description(groups):
    ec2, a, b = groups
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=pair(b, "from b"))
    ec2.authorize_security_group_egress(GroupId=a, IpPermissions=pair(b, "to b"))
    ec2.revoke_security_group_ingress(GroupId=a, IpPermissions=pair(b))
    ec2.revoke_security_group_egress(GroupId=a, IpPermissions=pair(b))
    described = ec2.describe_security_groups(GroupIds=[a])["SecurityGroups"][0]
    assert described["IpPermissions"] == []
    assert [p for p in described["IpPermissionsEgress"] if p["IpProtocol"] != "-1"] == []


def test_same_peer_again_is_a_duplicate_whatever_its_description(groups):
    ec2, a, b = groups
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=pair(b, "one"))
    with pytest.raises(ClientError) as error:
        ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=pair(b, "two"))
    assert error.value.response["Error"]["Code"] == "InvalidPermission.Duplicate"
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=pair(b, "other port", port=6379))
    assert len(ingress(ec2, a)) == 2


def test_description_update_of_a_group_rule(groups):
    ec2, a, b = groups
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=pair(b, "old"))
    ec2.update_security_group_rule_descriptions_ingress(GroupId=a, IpPermissions=pair(b, "new"))
    assert ingress(ec2, a)[0]["UserIdGroupPairs"][0]["Description"] == "new"
