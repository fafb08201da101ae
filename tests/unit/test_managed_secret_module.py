"""pathwai.airflow_ecs.managed_secret against the emulator: values generated once, composed
values following their sources, check mode, and no value ever in a result."""

from __future__ import annotations

import json
from collections import Counter

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


# ---- list form (secrets:): one run, one ListSecrets, each value read at most once ----


def many(key, host="db-one"):
    return [
        {
            "name": "l/db_password",
            "generate": "password",
            "length": 24,
            "kms_key_id": key,
            "tags": {"c": "secrets"},
        },
        {"name": "l/token", "generate": "token", "kms_key_id": key, "tags": {"c": "secrets"}},
        {"name": "l/oidc_client_secret", "generate": "token", "kms_key_id": key},
        {
            "name": "l/url",
            "kms_key_id": key,
            "template": "postgresql://airflow:${secret:l/db_password|url}@${value:host}/airflow",
            "values": {"host": host},
            "description": "url",
        },
        {
            "name": "l/both",
            "kms_key_id": key,
            "template": '{"p": "${secret:l/db_password|json}", "t": "${secret:l/token|json}", '
            '"h": "${value:host}"}',
            "values": {"host": host},
        },
    ]


def test_list_form_creates_in_order_and_reads_once(module_runner, aws_endpoint, key):
    aws_endpoint.reset_calls()
    created = module_runner("managed_secret", {"secrets": many(key)})
    assert created["changed"] and created["values_changed"] == [s["name"] for s in many(key)]
    # a template reads a secret an earlier item generated, without reading it back
    assert [c["action"] for c in aws_endpoint.calls() if c["service"] == "secretsmanager"] == [
        "ListSecrets"
    ] + ["CreateSecret"] * 5
    password, token = value(aws_endpoint, "l/db_password"), value(aws_endpoint, "l/token")
    assert value(aws_endpoint, "l/url") == f"postgresql://airflow:{password}@db-one/airflow"
    assert json.loads(value(aws_endpoint, "l/both")) == {"p": password, "t": token, "h": "db-one"}
    assert created["secrets"]["l/url"]["arn"].startswith("arn:aws:secretsmanager:")
    text = json.dumps(created)
    assert password not in text and token not in text

    aws_endpoint.reset_calls()
    again = module_runner("managed_secret", {"secrets": many(key)})
    assert again["changed"] is False and again["values_changed"] == []
    calls = Counter(c["action"] for c in aws_endpoint.calls())
    # one ListSecrets for all; GetSecretValue once per composed secret and once per source
    assert calls == {"ListSecrets": 1, "GetSecretValue": 4}
    assert password not in json.dumps(again)


def test_list_form_follows_sources_and_never_overwrites_generated(module_runner, aws_endpoint, key):
    module_runner("managed_secret", {"secrets": many(key)})
    client = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    client.put_secret_value(SecretId="l/oidc_client_secret", SecretString="from-the-idp")
    client.put_secret_value(SecretId="l/db_password", SecretString="rotated")

    planned = module_runner("managed_secret", {"secrets": many(key, host="db-two")}, check_mode=True)
    assert planned["values_changed"] == ["l/url", "l/both"]
    assert planned["diff"]["after"]["l/url"]["value"] == "changed"
    assert "rotated" not in json.dumps(planned)
    assert value(aws_endpoint, "l/url").endswith("@db-one/airflow")

    moved = module_runner("managed_secret", {"secrets": many(key, host="db-two")})
    assert moved["values_changed"] == ["l/url", "l/both"]
    assert value(aws_endpoint, "l/url") == "postgresql://airflow:rotated@db-two/airflow"
    assert value(aws_endpoint, "l/oidc_client_secret") == "from-the-idp"
    assert value(aws_endpoint, "l/db_password") == "rotated"
    assert module_runner("managed_secret", {"secrets": many(key, host="db-two")})["changed"] is False


def test_list_form_check_mode_writes_nothing(module_runner, aws_endpoint, key):
    aws_endpoint.reset_calls()
    planned = module_runner("managed_secret", {"secrets": many(key)}, check_mode=True)
    assert planned["changed"] and len(planned["values_changed"]) == 5
    assert planned["diff"]["before"]["l/url"] == {}
    assert [c for c in aws_endpoint.calls() if c["write"]] == []


def test_list_form_tag_and_description_drift(module_runner, aws_endpoint, key):
    module_runner("managed_secret", {"secrets": many(key)})
    client = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    client.tag_resource(SecretId="l/token", Tags=[{"Key": "extra", "Value": "x"}])
    client.update_secret(SecretId="l/url", Description="other")
    fixed = module_runner("managed_secret", {"secrets": many(key)})
    assert fixed["changed"] is True and fixed["values_changed"] == []
    assert fixed["diff"]["before"]["l/token"]["tags"] == {"c": "secrets", "extra": "x"}
    assert fixed["diff"]["after"]["l/token"]["tags"] == {"c": "secrets"}
    assert client.describe_secret(SecretId="l/url")["Description"] == "url"
    assert module_runner("managed_secret", {"secrets": many(key)})["changed"] is False


def test_list_form_absent_and_exclusive_options(module_runner, key):
    module_runner("managed_secret", {"secrets": many(key)[:2]})
    gone = module_runner(
        "managed_secret",
        {
            "secrets": [
                {"name": n, "state": "absent", "recovery_window_in_days": 0}
                for n in ("l/db_password", "l/token")
            ]
        },
    )
    assert gone["changed"] is True
    with pytest.raises(Exception, match="mutually exclusive"):
        module_runner("managed_secret", {"secrets": many(key), "name": "l/x"})
    with pytest.raises(Exception, match="exactly one of generate and template"):
        module_runner("managed_secret", {"secrets": [{"name": "l/x", "kms_key_id": key}]})
