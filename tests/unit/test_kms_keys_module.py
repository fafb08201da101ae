"""pathwai.airflow_ecs.kms_keys against the emulator: create, no-op, drift, adoption, pending deletion,
check mode, diff, and O(1) reads per key."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from conftest import ModuleFailed

ACCOUNT = "123456789012"
PURPOSES = ["rds", "s3", "logs"]


def policy(purpose: str, as_string: bool = False):
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIAMPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": f"Allow{purpose.capitalize()}",
                "Effect": "Allow",
                "Principal": {"Service": f"{purpose}.amazonaws.com"},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
            },
        ],
    }
    return json.dumps(doc) if as_string else doc


def spec(purpose: str, **overrides) -> dict:
    return {
        "alias": f"alias/airflow-t-{purpose}",
        "description": f"airflow-t {purpose}",
        "policy": policy(purpose, as_string=purpose == "rds"),  # a JSON string and dicts both work
        "enable_key_rotation": True,
        "tags": {"airflow:env": "t", "airflow:purpose": purpose},
        **overrides,
    }


def args(purposes=PURPOSES, **overrides) -> dict:
    keys = [spec(p, **overrides.get(p, {})) for p in purposes]
    return {"keys": keys}


@pytest.fixture
def kms(aws_endpoint):
    return boto3.client("kms", endpoint_url=aws_endpoint.url)


def writes(aws_endpoint) -> list[str]:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def key_of(kms, alias: str) -> str:
    return kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]


def test_create_then_noop(module_runner, aws_endpoint, kms):
    created = module_runner("kms_keys", args())
    assert created["changed"] is True
    assert [k["actions"] for k in created["keys"]] == [["create"]] * 3
    assert Counter(writes(aws_endpoint)) == {"CreateKey": 3, "CreateAlias": 3, "EnableKeyRotation": 3}
    for entry, purpose in zip(created["keys"], PURPOSES, strict=True):
        key_id = key_of(kms, f"alias/airflow-t-{purpose}")
        assert entry["key_id"] == key_id
        assert created["key_arns"][f"alias/airflow-t-{purpose}"] == entry["key_arn"]
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
        assert tags == {
            "airflow:env": "t",
            "airflow:purpose": purpose,
            "airflow:alias": f"alias/airflow-t-{purpose}",
        }
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
        assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == policy(purpose)
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == f"airflow-t {purpose}"

    aws_endpoint.reset_calls()
    again = module_runner("kms_keys", args())
    assert again["changed"] is False
    assert writes(aws_endpoint) == []
    assert again["key_arns"] == created["key_arns"]


def test_reads_are_one_list_plus_four_per_key(module_runner, aws_endpoint, kms):
    """No per-key ListGrants/ListKeyPolicies, and foreign keys in the account cost nothing on a no-op."""
    for i in range(5):
        foreign = kms.create_key(Description=f"someone else's {i}")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/other-{i}", TargetKeyId=foreign)
    module_runner("kms_keys", args())
    for n in (1, 3):
        aws_endpoint.reset_calls()
        assert module_runner("kms_keys", args(PURPOSES[:n]))["changed"] is False
        reads = Counter(c["action"] for c in aws_endpoint.calls())
        assert reads == {
            "ListAliases": 1,
            "DescribeKey": n,
            "GetKeyPolicy": n,
            "GetKeyRotationStatus": n,
            "ListResourceTags": n,
        }


def test_policy_compared_semantically(module_runner, aws_endpoint, kms):
    module_runner("kms_keys", args(["s3"]))
    reordered = policy("s3")
    reordered["Statement"] = list(reversed(reordered["Statement"]))
    reordered["Statement"][0]["Action"] = list(reversed(reordered["Statement"][0]["Action"]))
    aws_endpoint.reset_calls()
    result = module_runner("kms_keys", args(["s3"], s3={"policy": json.dumps(reordered, indent=4)}))
    assert result["changed"] is False and writes(aws_endpoint) == []


def test_drift_repaired_with_diff(module_runner, aws_endpoint, kms):
    module_runner("kms_keys", args())
    key_id = key_of(kms, "alias/airflow-t-s3")
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy("other")))
    kms.disable_key_rotation(KeyId=key_id)
    kms.update_key_description(KeyId=key_id, Description="changed by hand")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "stray", "TagValue": "x"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["airflow:env"])

    aws_endpoint.reset_calls()
    planned = module_runner("kms_keys", args(), check_mode=True)
    assert writes(aws_endpoint) == []
    assert planned["changed"] is True
    assert [k["changed"] for k in planned["keys"]] == [False, True, False]
    assert planned["keys"][1]["actions"] == ["description", "policy", "tag", "untag", "rotation"]
    assert list(planned["diff"]["before"]) == ["alias/airflow-t-s3"]
    before, after = (
        planned["diff"]["before"]["alias/airflow-t-s3"],
        planned["diff"]["after"]["alias/airflow-t-s3"],
    )
    assert before["enable_key_rotation"] is False and after["enable_key_rotation"] is True
    assert before["description"] == "changed by hand" and after["description"] == "airflow-t s3"
    assert "stray" in before["tags"] and "stray" not in after["tags"]
    assert after["policy"] == policy("s3")

    fixed = module_runner("kms_keys", args())
    assert fixed["changed"] is True
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == policy("s3")
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags == {"airflow:env": "t", "airflow:purpose": "s3", "airflow:alias": "alias/airflow-t-s3"}
    assert module_runner("kms_keys", args())["changed"] is False


def test_check_mode_create_writes_nothing(module_runner, aws_endpoint, kms):
    aws_endpoint.reset_calls()
    result = module_runner("kms_keys", args(), check_mode=True)
    assert result["changed"] is True
    assert writes(aws_endpoint) == []
    assert kms.list_keys()["Keys"] == []
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/airflow-t-")]
    assert result["diff"]["before"] == {a: {} for a in result["diff"]["after"]}
    assert result["keys"][0]["key_id"] is None and result["keys"][0]["enable_key_rotation"] is True


def test_interrupted_create_is_adopted_not_duplicated(module_runner, aws_endpoint, kms):
    """A run that died between CreateKey and CreateAlias left a key tagged with the alias."""
    tags = [
        {"TagKey": "airflow:alias", "TagValue": "alias/airflow-t-rds"},
        {"TagKey": "airflow:env", "TagValue": "t"},
    ]
    orphan = kms.create_key(Description="airflow-t rds", Tags=tags)["KeyMetadata"]["KeyId"]
    # Keys that must not be adopted: pending deletion, or tagged for another alias.
    dead = kms.create_key(Tags=tags)["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=dead, PendingWindowInDays=7)
    kms.create_key(Tags=[{"TagKey": "airflow:alias", "TagValue": "alias/airflow-t-elsewhere"}])
    keys_before = len(kms.list_keys()["Keys"])

    planned = module_runner("kms_keys", args(["rds"]), check_mode=True)
    assert planned["keys"][0]["actions"][0] == "adopt" and planned["keys"][0]["key_id"] == orphan

    aws_endpoint.reset_calls()
    adopted = module_runner("kms_keys", args(["rds"]))
    assert adopted["changed"] is True
    assert adopted["keys"][0]["key_id"] == orphan
    assert adopted["keys"][0]["actions"][0] == "adopt"
    assert "CreateKey" not in writes(aws_endpoint) and "CreateAlias" in writes(aws_endpoint)
    assert len(kms.list_keys()["Keys"]) == keys_before
    assert key_of(kms, "alias/airflow-t-rds") == orphan
    assert kms.get_key_rotation_status(KeyId=orphan)["KeyRotationEnabled"] is True
    assert module_runner("kms_keys", args(["rds"]))["changed"] is False


def test_pending_deletion_is_cancelled_and_enabled(module_runner, aws_endpoint, kms):
    """As amazon.aws.kms_key does: the key under the alias comes back, deletion cancelled, enabled."""
    module_runner("kms_keys", args(["logs"]))
    key_id = key_of(kms, "alias/airflow-t-logs")
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    aws_endpoint.reset_calls()
    result = module_runner("kms_keys", args(["logs"]))
    assert result["changed"] is True
    assert result["keys"][0]["actions"][:2] == ["cancel_deletion", "enable"]
    assert writes(aws_endpoint)[:2] == ["CancelKeyDeletion", "EnableKey"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert result["keys"][0]["key_state"] == "Enabled"
    assert module_runner("kms_keys", args(["logs"]))["changed"] is False


def test_disabled_key_is_enabled(module_runner, kms):
    module_runner("kms_keys", args(["rds"]))
    key_id = key_of(kms, "alias/airflow-t-rds")
    kms.disable_key(KeyId=key_id)
    result = module_runner("kms_keys", args(["rds"]))
    assert result["keys"][0]["actions"] == ["enable"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_tags_and_keys_the_alias_tag_without_purge(module_runner, kms):
    module_runner("kms_keys", args(["rds"]))
    key_id = key_of(kms, "alias/airflow-t-rds")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "extra", "TagValue": "1"}])
    result = module_runner("kms_keys", {**args(["rds"]), "purge_tags": False})
    assert result["changed"] is False
    assert result["keys"][0]["tags"]["extra"] == "1"


def test_bad_input_fails(module_runner):
    with pytest.raises(ModuleFailed, match="repeated: alias/airflow-t-rds"):
        module_runner("kms_keys", {"keys": [spec("rds"), spec("rds")]})
    with pytest.raises(ModuleFailed, match="Invalid key policy"):
        module_runner("kms_keys", {"keys": [spec("rds", policy="[1, 2]")]})
