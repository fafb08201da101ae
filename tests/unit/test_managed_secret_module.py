"""pathwai.airflow_ecs.managed_secret against the emulator: values generated once, composed
values following their sources, check mode, and no value ever in a result."""

from __future__ import annotations

import json

import boto3
import pytest
from cryptography.fernet import Fernet


@pytest.fixture
def key(aws_endpoint):
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/test-secrets", TargetKeyId=key_id)
    return "alias/test-secrets"


def value(aws_endpoint, name):
    client = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    return client.get_secret_value(SecretId=name)["SecretString"]


def test_generated_once_and_never_returned(module_runner, aws_endpoint, key):
    args = {"name": "airflow/t/fernet_key", "generate": "fernet", "kms_key_id": key, "tags": {"a": "b"}}
    created = module_runner("managed_secret", args)
    assert created["changed"] and created["value_changed"]
    first = value(aws_endpoint, "airflow/t/fernet_key")
    Fernet(first.encode())  # a valid Fernet key
    aws_endpoint.reset_calls()
    again = module_runner("managed_secret", args)
    assert again["changed"] is False
    assert value(aws_endpoint, "airflow/t/fernet_key") == first
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert first not in json.dumps(created) + json.dumps(again)


def test_template_composes_and_follows_sources(module_runner, aws_endpoint, key):
    module_runner(
        "managed_secret", {"name": "t/db-password", "generate": "password", "length": 24, "kms_key_id": key}
    )
    password = value(aws_endpoint, "t/db-password")
    args = {
        "name": "t/url",
        "kms_key_id": key,
        "template": "postgresql+psycopg2://airflow:${secret:t/db-password|url}@${value:host}:5432/airflow",
        "values": {"host": "db-one"},
    }
    created = module_runner("managed_secret", args)
    assert value(aws_endpoint, "t/url") == f"postgresql+psycopg2://airflow:{password}@db-one:5432/airflow"
    assert password not in json.dumps(created)
    assert module_runner("managed_secret", args)["changed"] is False

    moved = dict(args, values={"host": "db-two"})
    planned = module_runner("managed_secret", moved, check_mode=True)
    assert planned["changed"] and planned["diff"]["after"]["value"] == "changed"
    assert value(aws_endpoint, "t/url").endswith("@db-one:5432/airflow")
    module_runner("managed_secret", moved)
    assert value(aws_endpoint, "t/url").endswith("@db-two:5432/airflow")


def test_json_field_and_escape(module_runner, aws_endpoint, key):
    client = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    client.create_secret(Name="t/db", SecretString=json.dumps({"username": "air flow", "password": 'p"w'}))
    module_runner(
        "managed_secret",
        {
            "name": "t/j",
            "kms_key_id": key,
            "template": '{"u": "${secret:t/db#username|json}", "p": "${secret:t/db#password|json}"}',
        },
    )
    assert json.loads(value(aws_endpoint, "t/j")) == {"u": "air flow", "p": 'p"w'}


def test_check_mode_create_writes_nothing(module_runner, aws_endpoint, key):
    aws_endpoint.reset_calls()
    result = module_runner(
        "managed_secret", {"name": "t/x", "generate": "token", "kms_key_id": key}, check_mode=True
    )
    assert result["changed"] is True
    assert [c for c in aws_endpoint.calls() if c["write"]] == []


def test_missing_source_fails_clearly(module_runner, key):
    with pytest.raises(Exception, match="does not exist"):  # conftest.ModuleFailed
        module_runner("managed_secret", {"name": "t/y", "kms_key_id": key, "template": "${secret:t/none}"})


def test_absent(module_runner, aws_endpoint, key):
    module_runner("managed_secret", {"name": "t/z", "generate": "hex", "length": 16, "kms_key_id": key})
    gone = module_runner("managed_secret", {"name": "t/z", "state": "absent", "recovery_window_in_days": 0})
    assert gone["changed"] is True
    assert module_runner("managed_secret", {"name": "t/z", "state": "absent"})["changed"] is False
