"""pathwai.airflow_ecs.iam_roles against the emulator: create with tags, no-op with zero writes and
O(1) reads per role, drift repaired (trust, inline, managed, tags, description), check, diff."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
MANAGED = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Sid": "List",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
        ],
    }


def roles(count: int = 3, **overrides) -> list[dict]:
    return [
        {
            "name": f"t-role-{i}",
            "description": f"role {i}",
            "assume_role_policy": TRUST,
            "inline_policies": {f"t-role-{i}": policy(f"bucket-{i}")},
            "tags": {"airflow:env": "test", "airflow:component": f"c{i}"},
            **overrides,
        }
        for i in range(count)
    ]


@pytest.fixture
def iam(aws_endpoint):
    return boto3.client("iam", endpoint_url=aws_endpoint.url)


def writes(aws_endpoint):
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def test_create_then_noop_with_constant_reads_per_role(module_runner, aws_endpoint, iam):
    created = module_runner("iam_roles", {"roles": roles(4)})
    assert created["changed"] is True
    assert set(created["roles"]) == {f"t-role-{i}" for i in range(4)}
    assert created["roles"]["t-role-0"].endswith(":role/t-role-0")
    # tags go in CreateRole itself: no TagRole
    assert Counter(writes(aws_endpoint)) == {"CreateRole": 4, "PutRolePolicy": 4}
    live = iam.get_role(RoleName="t-role-1")["Role"]
    assert {t["Key"]: t["Value"] for t in live["Tags"]} == {"airflow:env": "test", "airflow:component": "c1"}
    assert live["Description"] == "role 1"

    aws_endpoint.reset_calls()
    again = module_runner("iam_roles", {"roles": roles(4)})
    assert again["changed"] is False
    assert again["roles"] == created["roles"]
    assert writes(aws_endpoint) == []
    reads = Counter(c["action"] for c in aws_endpoint.calls())
    # per role: GetRole, ListRolePolicies, one GetRolePolicy, ListAttachedRolePolicies
    assert reads == {"GetRole": 4, "ListRolePolicies": 4, "GetRolePolicy": 4, "ListAttachedRolePolicies": 4}


def test_semantic_comparison_is_a_noop(module_runner, aws_endpoint):
    module_runner("iam_roles", {"roles": roles(1)})
    reordered = policy("bucket-0")
    reordered["Statement"] = list(reversed(reordered["Statement"]))
    reordered["Statement"][1]["Action"] = "s3:GetObject"  # one-item list vs scalar
    aws_endpoint.reset_calls()
    result = module_runner("iam_roles", {"roles": roles(1, inline_policies={"t-role-0": reordered})})
    assert result["changed"] is False
    assert writes(aws_endpoint) == []


def test_drift_is_repaired(module_runner, aws_endpoint, iam):
    module_runner("iam_roles", {"roles": roles(2)})
    iam.put_role_policy(
        RoleName="t-role-0", PolicyName="t-role-0", PolicyDocument=json.dumps(policy("other"))
    )
    iam.put_role_policy(RoleName="t-role-0", PolicyName="stray", PolicyDocument=json.dumps(policy("x")))
    iam.attach_role_policy(RoleName="t-role-1", PolicyArn=MANAGED)
    iam.tag_role(
        RoleName="t-role-1", Tags=[{"Key": "extra", "Value": "1"}, {"Key": "airflow:env", "Value": "x"}]
    )
    iam.update_role(RoleName="t-role-1", Description="changed")
    loose = json.loads(json.dumps(TRUST))
    loose["Statement"][0]["Principal"] = {"Service": "ec2.amazonaws.com"}
    iam.update_assume_role_policy(RoleName="t-role-1", PolicyDocument=json.dumps(loose))

    planned = module_runner("iam_roles", {"roles": roles(2)}, check_mode=True)
    assert planned["changed"] is True
    assert planned["changes"] == {
        "t-role-0": {"put_policies": ["t-role-0"], "delete_policies": ["stray"]},
        "t-role-1": {
            "update_role": {"Description": "role 1"},
            "trust": True,
            "detach": [MANAGED],
            "tag": {"airflow:env": "test"},
            "untag": ["extra"],
        },
    }
    assert planned["diff"]["before"]["t-role-1"]["description"] == "changed"
    assert planned["diff"]["after"]["t-role-1"]["description"] == "role 1"
    assert planned["diff"]["before"]["t-role-0"]["inline_policies"]["stray"] == policy("x")
    assert "stray" not in planned["diff"]["after"]["t-role-0"]["inline_policies"]
    assert sorted(iam.list_role_policies(RoleName="t-role-0")["PolicyNames"]) == ["stray", "t-role-0"]

    fixed = module_runner("iam_roles", {"roles": roles(2)})
    assert fixed["changed"] is True
    assert iam.list_role_policies(RoleName="t-role-0")["PolicyNames"] == ["t-role-0"]
    assert iam.get_role_policy(RoleName="t-role-0", PolicyName="t-role-0")["PolicyDocument"] == policy(
        "bucket-0"
    )
    assert iam.list_attached_role_policies(RoleName="t-role-1")["AttachedPolicies"] == []
    live = iam.get_role(RoleName="t-role-1")["Role"]
    assert live["Description"] == "role 1"
    assert live["AssumeRolePolicyDocument"] == TRUST
    assert {t["Key"]: t["Value"] for t in live["Tags"]} == {"airflow:env": "test", "airflow:component": "c1"}
    aws_endpoint.reset_calls()
    assert module_runner("iam_roles", {"roles": roles(2)})["changed"] is False
    assert writes(aws_endpoint) == []


def test_managed_policies_and_session_duration(module_runner, iam):
    args = {"roles": roles(1, managed_policy_arns=[MANAGED], max_session_duration=7200)}
    module_runner("iam_roles", args)
    assert [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="t-role-0")["AttachedPolicies"]
    ] == [MANAGED]
    assert iam.get_role(RoleName="t-role-0")["Role"]["MaxSessionDuration"] == 7200
    assert module_runner("iam_roles", args)["changed"] is False
    longer = module_runner(
        "iam_roles", {"roles": roles(1, managed_policy_arns=[MANAGED], max_session_duration=10800)}
    )
    assert longer["changes"] == {"t-role-0": {"update_role": {"MaxSessionDuration": 10800}}}
    live = iam.get_role(RoleName="t-role-0")["Role"]
    assert (live["MaxSessionDuration"], live["Description"]) == (10800, "role 0")
    # omitted: the current value stays
    assert module_runner("iam_roles", {"roles": roles(1, managed_policy_arns=[MANAGED])})["changed"] is False


def test_check_mode_create_writes_nothing(module_runner, aws_endpoint, iam):
    aws_endpoint.reset_calls()
    result = module_runner("iam_roles", {"roles": roles(2)}, check_mode=True)
    assert result["changed"] is True
    assert result["roles"] == {"t-role-0": "", "t-role-1": ""}
    assert result["diff"]["before"] == {"t-role-0": {}, "t-role-1": {}}
    assert result["diff"]["after"]["t-role-0"]["tags"]["airflow:component"] == "c0"
    assert writes(aws_endpoint) == []
    assert iam.list_roles()["Roles"] == []


def test_path_cannot_change(module_runner):
    module_runner("iam_roles", {"roles": roles(1)})
    with pytest.raises(Exception, match="cannot change a role's path"):  # conftest.ModuleFailed
        module_runner("iam_roles", {"roles": roles(1, path="/airflow/")})


def test_absent_deletes_roles_with_what_is_attached(module_runner, aws_endpoint, iam):
    module_runner("iam_roles", {"roles": roles(2, managed_policy_arns=[MANAGED])})
    iam.create_instance_profile(InstanceProfileName="t-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="t-profile", RoleName="t-role-0")
    gone = {"absent": ["t-role-0", "t-role-1", "t-role-missing"]}

    aws_endpoint.reset_calls()
    planned = module_runner("iam_roles", gone, check_mode=True)
    assert (planned["changed"], planned["deleted"]) == (True, ["t-role-0", "t-role-1"])
    assert planned["diff"]["before"]["t-role-0"]["managed_policy_arns"] == [MANAGED]
    assert writes(aws_endpoint) == []

    done = module_runner("iam_roles", gone)
    assert (done["changed"], done["deleted"]) == (True, ["t-role-0", "t-role-1"])
    assert Counter(writes(aws_endpoint)) == {
        "DeleteRolePolicy": 2,
        "DetachRolePolicy": 2,
        "RemoveRoleFromInstanceProfile": 1,
        "DeleteRole": 2,
    }
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    # the instance profile is not ours to delete: it stays, empty
    assert iam.get_instance_profile(InstanceProfileName="t-profile")["InstanceProfile"]["Roles"] == []

    aws_endpoint.reset_calls()
    again = module_runner("iam_roles", gone)
    assert (again["changed"], again["deleted"]) == (False, [])
    assert writes(aws_endpoint) == []


def test_a_role_cannot_be_both_wanted_and_absent(module_runner, aws_endpoint):
    aws_endpoint.reset_calls()
    with pytest.raises(Exception, match=r"both in roles and in absent: \['t-role-0'\]"):
        module_runner("iam_roles", {"roles": roles(1), "absent": ["t-role-0"]})
    assert writes(aws_endpoint) == []
