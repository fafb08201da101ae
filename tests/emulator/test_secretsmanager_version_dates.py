"""Emulator extension secretsmanager_version_dates: ListSecretVersionIds gives each version the
time it was created (moto: the time of the request), so a secret's age can be read."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError


def test_each_version_keeps_its_creation_time(aws_endpoint):
    client = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    client.create_secret(Name="airflow/local/jwt_secret", SecretString="first")
    first = client.list_secret_version_ids(SecretId="airflow/local/jwt_secret")["Versions"][0]["CreatedDate"]
    # one-second timestamps: wait until the clock has moved past the first version's second
    deadline = time.monotonic() + 5
    while time.time() < first.timestamp() + 1.05 and time.monotonic() < deadline:
        time.sleep(0.1)
    client.put_secret_value(
        SecretId="airflow/local/jwt_secret", SecretString="second", VersionStages=["AWSPENDING"]
    )
    versions = client.list_secret_version_ids(SecretId="airflow/local/jwt_secret")["Versions"]
    by_stage = {stage: v["CreatedDate"] for v in versions for stage in v["VersionStages"]}
    assert by_stage["AWSCURRENT"] == first
    assert by_stage["AWSPENDING"] > first
    again = client.list_secret_version_ids(SecretId="airflow/local/jwt_secret")["Versions"]
    assert {v["VersionId"]: v["CreatedDate"] for v in again} == {
        v["VersionId"]: v["CreatedDate"] for v in versions
    }


def test_an_unknown_secret_is_not_found(aws_endpoint):
    client = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    with pytest.raises(ClientError) as raised:
        client.list_secret_version_ids(SecretId="airflow/local/none")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
