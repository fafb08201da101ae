"""pathwai.airflow_ecs.cloudwatch_log_groups against the emulator: create with key and tags, no-op
with one describe for all groups, drift repaired (key, retention, tags), check mode, diff."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest


@pytest.fixture
def keys(aws_endpoint):
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url)
    arns = [kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2)]
    kms.create_alias(AliasName="alias/test-logs", TargetKeyId=arns[0])
    return arns


@pytest.fixture
def logs(aws_endpoint):
    return boto3.client("logs", endpoint_url=aws_endpoint.url)


def groups(key, count=4, **overrides):
    return [
        {
            "name": f"/ecs/t-{i}",
            "kms_key_id": key,
            "retention": 30,
            "tags": {"airflow:env": "test", "airflow:component": f"c{i}"},
            **overrides,
        }
        for i in range(count)
    ]


def writes(aws_endpoint):
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def live(logs, name):
    group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    tags = logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]
    return group, tags


def test_create_then_noop_with_one_describe(module_runner, aws_endpoint, logs, keys):
    logs.create_log_group(logGroupName="/ecs/t-other")  # same prefix, not ours: untouched
    aws_endpoint.reset_calls()
    created = module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0])})
    assert created["changed"] is True
    assert Counter(writes(aws_endpoint)) == {"CreateLogGroup": 4, "PutRetentionPolicy": 4}
    group, tags = live(logs, "/ecs/t-2")
    assert group["kmsKeyId"] == keys[0] and group["retentionInDays"] == 30
    assert tags == {"airflow:env": "test", "airflow:component": "c2"}
    assert created["log_groups"]["/ecs/t-2"]["arn"] == group["logGroupArn"]

    aws_endpoint.reset_calls()
    again = module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0])})
    assert again["changed"] is False
    assert writes(aws_endpoint) == []
    assert Counter(c["action"] for c in aws_endpoint.calls()) == {
        "DescribeLogGroups": 1,
        "ListTagsForResource": 4,
    }
    assert live(logs, "/ecs/t-other")[1] == {}


def test_key_by_alias_is_resolved(module_runner, aws_endpoint, logs, keys):
    module_runner("cloudwatch_log_groups", {"log_groups": groups("alias/test-logs", 1)})
    assert live(logs, "/ecs/t-0")[0]["kmsKeyId"] == keys[0]
    assert (
        module_runner("cloudwatch_log_groups", {"log_groups": groups("alias/test-logs", 1)})["changed"]
        is False
    )


def test_drift_is_repaired(module_runner, aws_endpoint, logs, keys):
    module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0], 2)})
    arn = live(logs, "/ecs/t-1")[0]["logGroupArn"]
    logs.put_retention_policy(logGroupName="/ecs/t-0", retentionInDays=7)
    logs.associate_kms_key(logGroupName="/ecs/t-1", kmsKeyId=keys[1])
    logs.tag_resource(resourceArn=arn, tags={"extra": "1", "airflow:env": "prod"})

    aws_endpoint.reset_calls()
    planned = module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0], 2)}, check_mode=True)
    assert writes(aws_endpoint) == []
    assert planned["changes"] == {
        "/ecs/t-0": {"retention": 30},
        "/ecs/t-1": {"kms_key_id": keys[0], "tag": {"airflow:env": "test"}, "untag": ["extra"]},
    }
    assert planned["diff"]["before"]["/ecs/t-1"]["kms_key_id"] == keys[1]
    assert planned["diff"]["after"]["/ecs/t-1"]["kms_key_id"] == keys[0]
    assert planned["diff"]["before"]["/ecs/t-0"]["retention"] == 7

    fixed = module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0], 2)})
    assert fixed["changed"] is True
    assert live(logs, "/ecs/t-0")[0]["retentionInDays"] == 30
    group, tags = live(logs, "/ecs/t-1")
    assert group["kmsKeyId"] == keys[0]
    assert tags == {"airflow:env": "test", "airflow:component": "c1"}
    aws_endpoint.reset_calls()
    assert module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0], 2)})["changed"] is False
    assert writes(aws_endpoint) == []


def test_check_mode_create_writes_nothing(module_runner, aws_endpoint, logs, keys):
    aws_endpoint.reset_calls()
    result = module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0], 2)}, check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {"/ecs/t-0": {}, "/ecs/t-1": {}}
    assert result["diff"]["after"]["/ecs/t-0"]["retention"] == 30
    assert writes(aws_endpoint) == []
    assert logs.describe_log_groups()["logGroups"] == []


def test_omitted_options_leave_the_group_alone(module_runner, logs, keys):
    module_runner("cloudwatch_log_groups", {"log_groups": groups(keys[0], 1)})
    result = module_runner("cloudwatch_log_groups", {"log_groups": [{"name": "/ecs/t-0"}]})
    assert result["changed"] is False
    assert result["log_groups"]["/ecs/t-0"]["retention"] == 30


def test_kms_association_extension(aws_endpoint, logs, keys):
    """local_aws/extensions/logs_kms_key_association.py: AWS's documented errors and effect."""
    logs.create_log_group(logGroupName="/x")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.associate_kms_key(logGroupName="/x", kmsKeyId="alias/test-logs")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.associate_kms_key(logGroupName="/missing", kmsKeyId=keys[0])
    logs.associate_kms_key(resourceIdentifier=live(logs, "/x")[0]["logGroupArn"], kmsKeyId=keys[1])
    assert live(logs, "/x")[0]["kmsKeyId"] == keys[1]
    logs.disassociate_kms_key(logGroupName="/x")
    assert "kmsKeyId" not in live(logs, "/x")[0]
