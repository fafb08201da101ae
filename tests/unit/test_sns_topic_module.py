"""pathwai.airflow_ecs.sns_topic against the emulator: KMS key, subscriptions, tags, check mode,
idempotence (no write on a re-run), deletion; the pending-confirmation rule as a pure test."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import sns_topic as sns_utils
from conftest import ModuleFailed

EMAIL = {"protocol": "email", "endpoint": "oncall@example.com"}
HOOK = {"protocol": "https", "endpoint": "https://hooks.example.com/alerts"}


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for the file; each test names its own topic."""
    return module_aws_endpoint


@pytest.fixture(scope="module")
def sns(aws_endpoint):
    return boto3.client("sns", endpoint_url=aws_endpoint.url, region_name="us-east-1")


@pytest.fixture(scope="module")
def key_arn(aws_endpoint):
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    return kms.create_key(Description="sns")["KeyMetadata"]["Arn"]


def _writes(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def test_creates_encrypted_topic_with_subscriptions_and_tags(module_runner, sns, key_arn, aws_endpoint):
    args = {"name": "alerts", "kms_master_key_id": key_arn, "subscriptions": [EMAIL], "tags": {"a": "1"}}
    result = module_runner("sns_topic", args)
    assert result["changed"]
    arn = result["topic_arn"]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == key_arn
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in listed] == [("email", "oncall@example.com")]
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    assert result["diff"]["before"] == {}

    aws_endpoint.reset_calls()
    again = module_runner("sns_topic", args)
    assert not again["changed"]
    assert _writes(aws_endpoint) == []
    assert again["topic_arn"] == arn


def test_check_mode_creates_nothing(module_runner, sns, key_arn, aws_endpoint):
    aws_endpoint.reset_calls()
    result = module_runner(
        "sns_topic", {"name": "plan", "kms_master_key_id": key_arn, "subscriptions": [EMAIL]}, check_mode=True
    )
    assert result["changed"] and result["topic_arn"] is None
    assert result["diff"]["after"]["kms_master_key_id"] == key_arn
    assert result["subscriptions"] == [dict(EMAIL, subscription_arn=None)]
    assert _writes(aws_endpoint) == []
    assert not [t for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":plan")]


def test_updates_key_subscriptions_and_tags_in_place(module_runner, sns, key_arn, aws_endpoint):
    first = module_runner("sns_topic", {"name": "t", "subscriptions": [EMAIL], "tags": {"a": "1", "b": "2"}})
    assert first["kms_master_key_id"] == ""
    args = {"name": "t", "kms_master_key_id": key_arn, "subscriptions": [HOOK], "tags": {"a": "9"}}

    planned = module_runner("sns_topic", args, check_mode=True)
    assert planned["changed"]
    assert planned["diff"]["before"]["subscriptions"][0]["endpoint"] == EMAIL["endpoint"]
    assert [s["endpoint"] for s in planned["subscriptions"]] == [HOOK["endpoint"]]
    assert sns.get_topic_attributes(TopicArn=first["topic_arn"])["Attributes"].get("KmsMasterKeyId", "") == ""

    aws_endpoint.reset_calls()
    result = module_runner("sns_topic", args)
    assert result["topic_arn"] == first["topic_arn"]
    assert sorted(_writes(aws_endpoint)) == [
        "SetTopicAttributes",
        "Subscribe",
        "TagResource",
        "Unsubscribe",
        "UntagResource",
    ]
    assert result["kms_master_key_id"] == key_arn
    assert [(s["protocol"], s["endpoint"]) for s in result["subscriptions"]] == [("https", HOOK["endpoint"])]
    assert result["tags"] == {"a": "9"}
    assert not module_runner("sns_topic", args)["changed"]


def test_keeps_unlisted_subscriptions_without_purge(module_runner):
    module_runner("sns_topic", {"name": "keep", "subscriptions": [EMAIL]})
    result = module_runner(
        "sns_topic", {"name": "keep", "subscriptions": [HOOK], "purge_subscriptions": False}
    )
    assert {s["endpoint"] for s in result["subscriptions"]} == {EMAIL["endpoint"], HOOK["endpoint"]}


def test_deletes_topic(module_runner, sns):
    arn = module_runner("sns_topic", {"name": "gone"})["topic_arn"]

    def exists():
        return arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]

    assert module_runner("sns_topic", {"name": "gone", "state": "absent"}, check_mode=True)["changed"]
    assert exists()
    assert module_runner("sns_topic", {"name": "gone", "state": "absent"})["changed"]
    assert not exists()
    assert not module_runner("sns_topic", {"name": "gone", "state": "absent"})["changed"]


def test_subscription_without_endpoint_fails(module_runner):
    with pytest.raises(ModuleFailed):
        module_runner("sns_topic", {"name": "bad", "subscriptions": [{"protocol": "email"}]})


def test_pending_subscriptions_are_never_unsubscribed():
    current = [
        {"protocol": "email", "endpoint": "old@example.com", "subscription_arn": "PendingConfirmation"},
        {"protocol": "email", "endpoint": "gone@example.com", "subscription_arn": "arn:aws:sns:r:1:t:x"},
    ]
    to_add, to_remove = sns_utils.subscription_changes(current, [EMAIL], purge=True)
    assert to_add == [EMAIL]
    assert [s["endpoint"] for s in to_remove] == ["gone@example.com"]
