"""policies/rotation.rego through regopy, as airflow_audit runs it, and the age airflow_audit reads from
the live account: a rotated secret older than its maximum age is named, a younger one (or one with no
maximum) is not."""

from __future__ import annotations

from pathlib import Path

import boto3
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

POLICIES_DIR = str(Path(__file__).resolve().parents[2] / "policies")
POLICIES = load_policies(POLICIES_DIR)
MAX_AGES = {"db_master_password": 90, "fernet_key": 180}


def secret(name: str, age_days: float | None) -> dict:
    after = {"id": name, "key_id": "secrets", "age_days": age_days}
    return {"address": name, "type": "aws_secretsmanager_secret", "change": {"after": after}}


KEPT = [
    {
        "address": "secrets",
        "type": "aws_kms_key",
        "change": {
            "after": {"id": "secrets", "purpose": "secrets", "enable_key_rotation": True, "policy": {}}
        },
    },
    secret("airflow/prod/db_master_password", 89.5),
    secret("airflow/prod/fernet_key", 12.0),
    secret("airflow/prod/oidc_client_secret", 900.0),  # no maximum: issued by the IdP, not rotated here
    secret("airflow/prod/sql_alchemy_conn", None),
]


def findings(resources) -> list[str]:
    required = {"secret_max_age_days": MAX_AGES}
    document = {"env": "prod", "name_prefix": "p", "required": required, "resource_changes": resources}
    return [f for f in evaluate(POLICIES, document) if "maximum age" in f]


def test_secrets_younger_than_their_maximum_age_have_no_finding():
    assert findings(KEPT) == []


def test_a_secret_older_than_its_maximum_age_is_named():
    mutated = [*KEPT[:1], secret("airflow/prod/db_master_password", 90.5), *KEPT[2:]]
    assert findings(mutated) == [
        "Secret older than its maximum age (90.5 days, at most 90; playbooks/rotate_secrets.yml rotates it): "
        + "airflow/prod/db_master_password"
    ]


def test_the_live_audit_reads_each_current_value_age(module_runner, aws_endpoint):
    sm = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    for short in ("db_master_password", "fernet_key", "oidc_client_secret"):
        sm.create_secret(Name=f"airflow/local/{short}", SecretString="x" * 16)
    args = {"env": "local", "name_prefix": "airflow-local", "policy_dir": POLICIES_DIR}
    young = module_runner(
        "airflow_audit", {**args, "data": {"secret_prefix": "airflow/local", "secret_max_age_days": MAX_AGES}}
    )
    assert not [f for f in young["findings"] if "maximum age" in f]
    # a maximum age of 0 days: every current value is older than that
    old = module_runner(
        "airflow_audit",
        {
            **args,
            "data": {"secret_prefix": "airflow/local", "secret_max_age_days": dict.fromkeys(MAX_AGES, 0)},
        },
    )
    named = sorted(f.rsplit(": ", 1)[1] for f in old["findings"] if "maximum age" in f)
    assert named == [
        "aws_secretsmanager_secret.airflow/local/db_master_password",
        "aws_secretsmanager_secret.airflow/local/fernet_key",
    ]
