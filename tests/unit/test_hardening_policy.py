"""policies/hardening.rego (with data.rego's key rule) evaluated through regopy, as airflow_audit runs
it, on small documents: each of issue 16's promises is quiet when kept and named when broken."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

POLICIES = load_policies(str(Path(__file__).resolve().parents[2] / "policies"))


def item(rtype: str, address: str, **after) -> dict:
    return {"address": address, "type": rtype, "change": {"after": {"id": address, **after}}}


def bucket(name: str, **changes) -> dict:
    after = {
        "sse_algorithm": "aws:kms",
        "key_id": "s3",
        "public_access_blocked": True,
        "tls_enforced": True,
        "versioning": "Enabled",
        "expires_noncurrent_versions": True,
        "aborts_incomplete_multipart": True,
        "logging_target": "access",
        **changes,
    }
    return item("aws_s3_bucket", name, **after)


KEPT = [
    *(item("aws_kms_key", k, purpose=k, enable_key_rotation=True, policy={}) for k in ("s3", "logs", "rds")),
    bucket("dags"),
    bucket("access", sse_algorithm="AES256", key_id=None, logging_target=None, log_delivery=True),
    item("aws_cloudwatch_log_group", "/ecs/p-exec", key_id="logs", retention_in_days=365),
    item(
        "aws_db_instance",
        "p-db",
        storage_encrypted=True,
        key_id="rds",
        publicly_accessible=False,
        force_ssl="1",
        monitoring_interval=60,
        monitoring_role_arn="arn:aws:iam::123456789012:role/p-rds-monitoring",
    ),
    item("aws_ecs_service", "p-worker", enable_execute_command=False),
]
PROD = {"min_log_retention_days": 365, "rds_monitoring": True, "execute_command_allowed": False}


def findings(resources, required=PROD) -> list[str]:
    document = {"env": "prod", "name_prefix": "p", "required": dict(required), "resource_changes": resources}
    return evaluate(POLICIES, document)


def mutated(address: str, **changes) -> list[dict]:
    resources = copy.deepcopy(KEPT)
    for resource in resources:
        if resource["address"] == address:
            resource["change"]["after"].update(changes)
    return resources


def test_kept_promises_have_no_finding():
    assert findings(KEPT) == []


@pytest.mark.parametrize(
    ("address", "changes", "expected"),
    [
        ("dags", {"versioning": "Suspended"}, "Bucket is not versioned (an overwrite leaves no trace): dags"),
        (
            "dags",
            {"expires_noncurrent_versions": False},
            "no lifecycle rule expiring noncurrent versions: dags",
        ),
        ("dags", {"aborts_incomplete_multipart": False}, "aborting incomplete multipart uploads: dags"),
        (
            "dags",
            {"logging_target": None},
            "Bucket has no S3 server access logging (writes are not recorded): dags",
        ),
        ("access", {"sse_algorithm": "aws:kms"}, "Log-delivery bucket must use SSE-S3 (AES256)"),
        (
            "/ecs/p-exec",
            {"retention_in_days": 30},
            "Log group keeps 30 days, less than 365 in prod: /ecs/p-exec",
        ),
        ("p-db", {"monitoring_interval": 0}, "RDS enhanced monitoring is off: p-db"),
        ("p-db", {"monitoring_role_arn": None}, "RDS enhanced monitoring has no role: p-db"),
        ("p-worker", {"enable_execute_command": True}, "ECS Exec is on in prod"),
    ],
)
def test_each_broken_promise_is_named(address, changes, expected):
    found = findings(mutated(address, **changes))
    assert len(found) == 1 and expected in found[0], found


def test_outside_prod_exec_short_retention_and_no_monitoring_pass():
    relaxed = mutated("p-worker", enable_execute_command=True)
    for resource in relaxed:
        if resource["type"] == "aws_db_instance":
            resource["change"]["after"].update(monitoring_interval=0, monitoring_role_arn=None)
        if resource["type"] == "aws_cloudwatch_log_group":
            resource["change"]["after"]["retention_in_days"] = 30
    assert findings(relaxed, {"min_log_retention_days": 0}) == []


def test_only_a_log_delivery_bucket_may_skip_the_key_versioning_and_logging():
    found = findings(mutated("dags", sse_algorithm="AES256", key_id=None, logging_target=None))
    assert found == [
        "Bucket has no S3 server access logging (writes are not recorded): dags",
        "Not encrypted with the s3 CMK (alias/p-s3): dags",
        "SSE-S3 is allowed only for the log-delivery buckets (ALB and S3 access logs), not: dags",
    ]
    assert findings(mutated("access", versioning="Suspended", expires_noncurrent_versions=False)) == []
