"""Emulator extension logs_input_constraints: CloudWatch Logs requests are held to botocore's
min/max/pattern constraints, with AWS's InvalidParameterException."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

PATTERN = r"[\.\-_/#A-Za-z0-9]+"


@pytest.fixture(scope="module")
def logs(module_aws_endpoint):
    return boto3.client("logs", endpoint_url=module_aws_endpoint.url)


def test_a_log_group_name_outside_the_pattern_is_refused(logs):
    with pytest.raises(ClientError) as raised:
        logs.create_log_group(logGroupName="/ecs/airflow local")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == (
        "1 validation error detected: Value '/ecs/airflow local' at 'logGroupName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {PATTERN}"
    )
    assert logs.describe_log_groups()["logGroups"] == []


def test_every_problem_of_a_request_is_reported(logs):
    with pytest.raises(ClientError) as raised:
        logs.describe_log_groups(logGroupNamePrefix="bad name", limit=51)
    message = raised.value.response["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert (
        "at 'logGroupNamePrefix' failed to satisfy constraint: Member must satisfy regular expression"
        in message
    )
    assert (
        "Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
        in message
    )


def test_valid_requests_pass(logs):
    name = "/ecs/airflow-local/api_server#1." + "x" * 400
    logs.create_log_group(logGroupName=name, tags={"airflow:env": "local"})
    logs.put_retention_policy(logGroupName=name, retentionInDays=30)
    groups = logs.describe_log_groups(logGroupNamePrefix="/ecs/airflow-local/", limit=50)["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [(name, 30)]
