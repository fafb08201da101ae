"""policies/dag_events.rego (with data.rego's key rule) evaluated through regopy, as airflow_audit runs
it: the DAG-events queue, its DLQ and the DAGs bucket's notification are quiet when kept, and each
mutation (another key, no redrive, a DLQ gone, a policy admitting more, no notification, a wrong
prefix or events) is named."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import dag_events_queue_policy
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

POLICIES = load_policies(str(Path(__file__).resolve().parents[2] / "policies"))
ACCOUNT, BUCKET = "123456789012", "pathwai-airflow3-dags-dev"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:p-dag-events"
DLQ_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:p-dag-events-dlq"


def item(rtype: str, address: str, **after) -> dict:
    return {"address": address, "type": rtype, "change": {"after": {"id": address, **after}}}


KEPT = [
    item("aws_kms_key", "s3", purpose="s3", enable_key_rotation=True, policy={}),
    item(
        "aws_sqs_queue",
        "p-dag-events",
        arn=QUEUE_ARN,
        key_id="s3",
        policy=dag_events_queue_policy(QUEUE_ARN, BUCKET, ACCOUNT),
        dead_letter_target=DLQ_ARN,
        role="dag_events",
        source_bucket=BUCKET,
        account=ACCOUNT,
    ),
    item("aws_sqs_queue", "p-dag-events-dlq", arn=DLQ_ARN, key_id="s3", policy={}, role="dag_events_dlq"),
    item(
        "aws_s3_bucket_notification",
        BUCKET,
        prefix="dev/",
        queues=[
            {"queue_arn": QUEUE_ARN, "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], "prefix": "dev/"}
        ],
    ),
]


def findings(resources, dag_events=True) -> list[str]:
    document = {
        "env": "dev",
        "name_prefix": "p",
        "required": {"dag_events": dag_events},
        "resource_changes": resources,
    }
    return evaluate(POLICIES, document)


def mutated(address: str, change) -> list[dict]:
    resources = copy.deepcopy(KEPT)
    for resource in resources:
        if resource["address"] == address:
            change(resource["change"]["after"])
    return resources


def _admit(after) -> dict:
    return next(s for s in after["policy"]["Statement"] if s["Effect"] == "Allow")


def test_kept_promises_have_no_finding():
    assert findings(KEPT) == []


def test_poll_mode_requires_nothing():
    assert findings(KEPT[:1], dag_events=False) == []


@pytest.mark.parametrize(
    ("address", "change", "expected"),
    [
        ("p-dag-events", lambda a: a.update(key_id="aws/sqs"), "Queue not encrypted with the s3 CMK"),
        ("p-dag-events", lambda a: a.pop("key_id"), "Queue not encrypted with the s3 CMK"),
        ("p-dag-events-dlq", lambda a: a.update(key_id=None), "Queue not encrypted with the s3 CMK"),
        ("p-dag-events", lambda a: a.update(dead_letter_target=None), "no redrive to its dead-letter queue"),
        (
            "p-dag-events-dlq",
            lambda a: a.clear() or a.update(missing=True, role="dag_events_dlq"),
            "queue missing",
        ),
        (
            "p-dag-events",
            lambda a: _admit(a)["Condition"]["ArnEquals"].update({"aws:SourceArn": "arn:aws:s3:::*"}),
            "policy admits more than S3",
        ),
        ("p-dag-events", lambda a: _admit(a)["Condition"].pop("StringEquals"), "policy admits more than S3"),
        ("p-dag-events", lambda a: _admit(a).update(Principal="*"), "policy admits more than S3"),
        ("p-dag-events", lambda a: _admit(a).update(Action="sqs:*"), "policy admits more than S3"),
        ("p-dag-events", lambda a: a.update(policy={}), "policy does not let S3 send"),
        (BUCKET, lambda a: a.update(queues=[]), "does not notify the DAG-events queue"),
        (BUCKET, lambda a: a["queues"][0].update(prefix=""), "does not notify the DAG-events queue"),
        (
            BUCKET,
            lambda a: a["queues"][0].update(events=["s3:ObjectCreated:*"]),
            "does not notify the DAG-events queue",
        ),
    ],
)
def test_each_broken_promise_is_named(address, change, expected):
    found = findings(mutated(address, change))
    assert len(found) >= 1 and any(expected in f for f in found), found


def test_a_missing_queue_is_named():
    found = findings([r for r in KEPT if r["address"] != "p-dag-events"])
    assert "DAG-events queue missing (dag_events)" in found
