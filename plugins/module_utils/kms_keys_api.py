# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""KMS reads and writes of pathwai.airflow_ecs.kms_keys (boto3 calls with retries).

Every function takes a client from ``common.retrying_client`` (calls pass ``aws_retry=True``).
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_dict


def list_aliases(kms) -> dict:
    """Every alias of the account and region -> the key it targets (None for an unassigned alias)."""
    return {a["AliasName"]: a.get("TargetKeyId") for a in paginate(kms, "list_aliases").get("Aliases", [])}


def key_tags(kms, key_id: str) -> dict:
    return tags_dict(paginate(kms, "list_resource_tags", KeyId=key_id).get("Tags"))


def rotation_status(kms, key_id: str) -> bool | None:
    """Whether automatic rotation is on; None when the key's state does not allow the question
    (KMS answers KMSInvalidStateException for a key pending deletion)."""
    try:
        return kms.get_key_rotation_status(KeyId=key_id, aws_retry=True)["KeyRotationEnabled"]
    except is_boto3_error_code(["KMSInvalidStateException", "UnsupportedOperationException"]):
        return None


def view(alias: str, meta: dict, policy: dict | None, rotation: bool | None, tags: dict) -> dict:
    return {
        "alias": alias,
        "key_id": meta["KeyId"],
        "key_arn": meta["Arn"],
        "key_state": meta.get("KeyState"),
        "description": meta.get("Description", ""),
        "policy": policy,
        "enable_key_rotation": rotation,
        "tags": dict(sorted(tags.items())),
    }


def read_key(kms, alias: str, key_id: str, meta: dict | None = None, tags: dict | None = None) -> dict:
    """The view of one key: DescribeKey, GetKeyPolicy(default), GetKeyRotationStatus, ListResourceTags
    (the first and last skipped when already read)."""
    meta = meta or kms.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default", aws_retry=True)["Policy"])
    tags = key_tags(kms, key_id) if tags is None else tags
    return view(alias, meta, policy, rotation_status(kms, key_id), tags)


def find_orphans(kms, missing: set, aliased_key_ids: set, alias_tag: str) -> dict:
    """Keys tagged ``alias_tag=<alias>`` for an alias in ``missing`` that no alias points at (left by an
    interrupted run between CreateKey and CreateAlias): alias -> [(KeyMetadata, tags)].

    ListKeys, then ListResourceTags per key without an alias, DescribeKey per tagged match."""
    found: dict = {}
    for key in paginate(kms, "list_keys").get("Keys", []):
        if key["KeyId"] in aliased_key_ids:
            continue
        try:
            tags = key_tags(kms, key["KeyId"])
        except is_boto3_error_code(["NotFoundException", "AccessDeniedException"]):
            continue  # gone since ListKeys, or not ours to read
        alias = tags.get(alias_tag)
        if alias not in missing:
            continue
        meta = kms.describe_key(KeyId=key["KeyId"], aws_retry=True)["KeyMetadata"]
        found.setdefault(alias, []).append((meta, tags))
    return found


def create_key(kms, desired: dict) -> dict:
    """CreateKey with its description, policy and tags (the alias tag included) in the call itself."""
    request = {
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS",
        "Tags": [{"TagKey": k, "TagValue": v} for k, v in sorted(desired["tags"].items())],
    }
    if desired.get("description"):
        request["Description"] = desired["description"]
    if desired.get("policy") is not None:
        request["Policy"] = json.dumps(desired["policy"])
    return kms.create_key(**request, aws_retry=True)["KeyMetadata"]


def create_alias(kms, alias: str, key_id: str) -> None:
    kms.create_alias(AliasName=alias, TargetKeyId=key_id, aws_retry=True)


def apply_plan(kms, key_id: str, plan: dict) -> None:
    """Carry out ``kms_keys.plan_update``'s changes, deletion cancelled and key enabled first."""
    if plan.get("cancel_deletion"):
        kms.cancel_key_deletion(KeyId=key_id, aws_retry=True)
    if plan.get("enable"):
        kms.enable_key(KeyId=key_id, aws_retry=True)
    if "description" in plan:
        kms.update_key_description(KeyId=key_id, Description=plan["description"], aws_retry=True)
    if "policy" in plan:
        kms.put_key_policy(
            KeyId=key_id, PolicyName="default", Policy=json.dumps(plan["policy"]), aws_retry=True
        )
    if plan.get("untag"):
        kms.untag_resource(KeyId=key_id, TagKeys=plan["untag"], aws_retry=True)
    if plan.get("tag"):
        tags = [{"TagKey": k, "TagValue": v} for k, v in sorted(plan["tag"].items())]
        kms.tag_resource(KeyId=key_id, Tags=tags, aws_retry=True)
    if plan.get("rotation") is True:
        kms.enable_key_rotation(KeyId=key_id, aws_retry=True)
    elif plan.get("rotation") is False:
        kms.disable_key_rotation(KeyId=key_id, aws_retry=True)
