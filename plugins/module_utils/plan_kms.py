# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The kms layer of the plan: one customer-managed key and alias per purpose.

Built with ``kms_key_specs``, the filter the kms role sends pathwai.airflow_ecs.kms_keys' ``keys``
through (key policies included).
"""

from __future__ import annotations

import json

from ansible_collections.pathwai.airflow_ecs.plugins.filter.kms import kms_key_specs
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    PLAN_ACCOUNT,
    key_id,
    ref,
    resource,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import tf_ref, tf_tags


def _specs(v: dict) -> list[tuple[str, dict]]:
    inputs = {
        "prefix": v["kms_name_prefix"],
        "account": v.get("airflow_account_id") or PLAN_ACCOUNT,
        "region": v["kms_region"],
        "rotation": bool(v["kms_enable_key_rotation"]),
        "tags": v.get("kms_tags") or {},
        "env": v["airflow_env"],
    }
    return list(zip(v["kms_keys"], kms_key_specs(v["kms_keys"], inputs), strict=True))


def kms_resources(v: dict) -> list[dict]:
    out = []
    for purpose, spec in _specs(v):
        key = {
            "Description": spec["description"],
            "EnableKeyRotation": spec["enable_key_rotation"],
            "KeyPolicy": json.loads(spec["policy"]),
            "PendingWindowInDays": int(v["kms_deletion_window_days"]),
            "Tags": tags(spec["tags"]),
        }
        sources = {
            "EnableKeyRotation": "kms_enable_key_rotation",
            "PendingWindowInDays": "kms_deletion_window_days",
        }
        out.append(resource("AWS::KMS::Key", key_id(purpose), key, sources))
        alias = {"AliasName": spec["alias"], "TargetKeyId": ref(key_id(purpose))}
        out.append(
            resource("AWS::KMS::Alias", f"{key_id(purpose)}Alias", alias, {"AliasName": "airflow_project"})
        )
    return out


def kms_policies(v: dict) -> list[dict]:
    return [
        {
            "name": f"kms key policy {spec['alias']}",
            "kind": "resource",
            "document": json.loads(spec["policy"]),
        }
        for _, spec in _specs(v)
    ]


def _key(res: dict) -> list:
    p = res["properties"]
    policy = p.get("KeyPolicy")
    values = {
        "description": p.get("Description"),
        "enable_key_rotation": p.get("EnableKeyRotation", False),
        "deletion_window_in_days": p.get("PendingWindowInDays"),
        "policy": json.dumps(policy) if isinstance(policy, dict) else policy,
        "key_usage": p.get("KeyUsage", "ENCRYPT_DECRYPT"),
        "customer_master_key_spec": p.get("KeySpec", "SYMMETRIC_DEFAULT"),
        "is_enabled": p.get("Enabled", True),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_kms_key", "", values)]


def _alias(res: dict) -> list:
    p = res["properties"]
    return [
        ("aws_kms_alias", "", {"name": p.get("AliasName"), "target_key_id": tf_ref(p.get("TargetKeyId"))})
    ]


TERRAFORM = {"AWS::KMS::Key": _key, "AWS::KMS::Alias": _alias}
