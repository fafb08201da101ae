# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The kms role's keys: one spec per purpose, key policy included (pure function, no AWS call)."""

from __future__ import annotations

import json

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def key_policy(purpose: str, key: dict, account: str, region: str) -> dict:
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
        service |= {
            "Sid": "AllowCloudWatchLogs",
            "Action": list(_USE),
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
    return {"Version": "2012-10-17", "Statement": [root, {k: service[k] for k in order}]}


def kms_key_specs(keys: dict, cfg: dict) -> list[dict]:
    """``kms_keys`` -> the ``keys`` of pathwai.airflow_ecs.kms_keys.

    ``cfg``: prefix, account, region, rotation, tags (every key's tags), env."""
    prefix = cfg["prefix"]
    return [
        {
            "alias": f"alias/{prefix}-{purpose}",
            "description": f"{prefix} {key['description']}",
            "policy": json.dumps(key_policy(purpose, key, cfg["account"], cfg["region"])),
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


class FilterModule:
    def filters(self):
        return {"kms_key_specs": kms_key_specs}
