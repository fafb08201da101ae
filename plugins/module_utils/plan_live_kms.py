# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live customer-managed keys of one environment (``alias/<prefix>-<purpose>``), rendered in
the plan's shape (:mod:`plan_live_base`): one ``AWS::KMS::Key`` per purpose with its key policy,
and its ``AWS::KMS::Alias``."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import Live, tags
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import key_id, logical_id


def alias_id(purpose: str) -> str:
    return logical_id("kms", purpose, "alias")


def kms(live: Live) -> None:
    for key in live_reads.aliased_keys(live.client("kms"), live.prefix, with_tags=True):
        meta = key["metadata"]
        props = {
            "Description": meta.get("Description"),
            "Enabled": meta.get("Enabled"),
            "EnableKeyRotation": key["rotation"],
            "KeySpec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
            "KeyUsage": meta.get("KeyUsage"),
            "MultiRegion": meta.get("MultiRegion"),
            "KeyPolicy": key["policy"],
            "Tags": tags(key.get("tags"), key="TagKey", value="TagValue"),
        }
        live.add("AWS::KMS::Key", key_id(key["purpose"]), props, meta["KeyId"], meta["Arn"])
        live.policy(f"kms key policy {key['alias']}", "resource", key["policy"])
        live.add(
            "AWS::KMS::Alias",
            alias_id(key["purpose"]),
            {"AliasName": key["alias"], "TargetKeyId": meta["KeyId"]},
        )
