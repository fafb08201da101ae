# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The kms role's keys: one spec per purpose, key policy included, and the inventory's checks (pure
functions, no AWS call)."""

from __future__ import annotations

import json

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def sqs_event_statement(key: dict, account: str, region: str, prefix: str) -> dict:
    """S3 sending event notifications to our SSE-KMS DAG-events queue (and SQS moving them to its
    dead-letter queue): S3 calls KMS itself, so the grant is limited by the source account and by
    the queue the data key is for (SQS's encryption context ``aws:sqs:arn``)."""
    queues = [names(prefix)[q] for q in ("dag_events_queue", "dag_events_dlq")]
    return {
        "Sid": "AllowS3EventNotificationsToDagEventsQueue",
        "Effect": "Allow",
        "Principal": {"Service": key["service_principal"]},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "aws:SourceAccount": account,
                "kms:EncryptionContext:aws:sqs:arn": [f"arn:aws:sqs:{region}:{account}:{q}" for q in queues],
            },
        },
    }


def key_policy(purpose: str, key: dict, account: str, region: str, prefix: str) -> dict:
    """kms:* for the account root only (IAM grants narrower rights), and the service that encrypts
    with the key: limited by kms:ViaService, by the log-group encryption context, or by the source
    account, whichever the purpose's entry of ``kms_keys`` names."""
    root = {
        "Sid": "EnableIAMPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    service = {"Effect": "Allow", "Principal": {"Service": key["service_principal"]}, "Resource": "*"}
    if key.get("via_service"):
        service |= {
            "Sid": f"Allow{purpose.capitalize()}ViaService",
            "Action": [*_USE, "kms:CreateGrant"],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"{key['via_service']}.{region}.amazonaws.com",
                    "kms:CallerAccount": account,
                }
            },
        }
    elif key.get("logs_context"):
        # kms:DescribeKey carries no encryption context: under that condition it could never apply,
        # so it has a statement of its own, limited to this account (see ``extra`` below).
        service |= {
            "Sid": "AllowCloudWatchLogs",
            "Action": [a for a in _USE if a != "kms:DescribeKey"],
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"
                }
            },
        }
    else:
        service |= {
            "Sid": f"Allow{purpose.capitalize()}Publishers",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }
    order = ("Sid", "Effect", "Principal", "Action", "Resource", "Condition")
    statements = [root, {k: service[k] for k in order}]
    if key.get("logs_context") and not key.get("via_service"):
        statements.append(
            {
                "Sid": "AllowCloudWatchLogsDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": key["service_principal"]},
                "Action": ["kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    if key.get("sqs_event_queues"):
        statements.append(sqs_event_statement(key, account, region, prefix))
    return {"Version": "2012-10-17", "Statement": statements}


def kms_key_specs(keys: dict, cfg: dict) -> list[dict]:
    """``kms_keys`` -> the ``keys`` of pathwai.airflow_ecs.kms_keys.

    ``cfg``: prefix, account, region, rotation, tags (every key's tags), env."""
    prefix = cfg["prefix"]
    return [
        {
            "alias": f"alias/{prefix}-{purpose}",
            "description": f"{prefix} {key['description']}",
            "policy": json.dumps(key_policy(purpose, key, cfg["account"], cfg["region"], prefix)),
            "enable_key_rotation": bool(cfg["rotation"]),
            "tags": {
                **(cfg.get("tags") or {}),
                "Name": f"{prefix}-{purpose}",
                "airflow:env": cfg["env"],
                "airflow:component": "kms",
                "airflow:purpose": purpose,
            },
        }
        for purpose, key in keys.items()
    ]


PURPOSES = ("rds", "elasticache", "efs", "logs", "s3", "secrets", "sns")


def kms_problems(cfg: dict) -> list[str]:
    """Every reason the KMS inventory cannot be built; ``cfg`` keys are the variables without ``kms_``
    (plus project and env, the roots of the alias names)."""
    problems: list[str] = []
    keys = cfg.get("keys") or {}
    missing = [purpose for purpose in PURPOSES if purpose not in keys]
    if missing:
        problems.append(f"kms_keys must define {', '.join(missing)} (has {sorted(keys)})")
    if not cfg.get("enable_key_rotation"):
        problems.append(f"kms_enable_key_rotation={cfg.get('enable_key_rotation')} must be true")
    window = aws_rules.resource_schema("AWS::KMS::Key")["properties"]["PendingWindowInDays"]
    days = cfg.get("deletion_window_days")
    if not str(days).isdigit() or not window["minimum"] <= int(days) <= window["maximum"]:
        problems.append(
            f"kms_deletion_window_days={days} must be {window['minimum']}-{window['maximum']} "
            "(AWS::KMS::Key PendingWindowInDays)"
        )
    prefix = str(cfg.get("name_prefix") or "")
    root = aws_rules.prefix_links("kms", prefix, cfg.get("project", ""), cfg.get("env", ""))
    for purpose in sorted(keys):
        problem = aws_rules.property_problem(
            f"the alias of kms_keys {purpose!r}", f"alias/{prefix}-{purpose}", "AWS::KMS::Alias", "AliasName"
        )
        if problem:
            problems.append(aws_rules.blame(problem, root))
            break
    for purpose, key in sorted(keys.items()):
        problem = aws_rules.property_problem(
            f"kms_keys.{purpose}.description",
            (key or {}).get("description", ""),
            "AWS::KMS::Key",
            "Description",
        )
        problems.extend([problem] if problem else [])
    return problems


class FilterModule:
    def filters(self):
        return {"kms_key_specs": kms_key_specs, "kms_problems": kms_problems}
