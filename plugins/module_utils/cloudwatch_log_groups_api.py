# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""CloudWatch Logs log groups: the AWS calls (batched reads, and the writes of a plan)."""

from __future__ import annotations

import re

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.cloudwatch_log_groups import (
    current,
    describe_prefixes,
    group_arn,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate

KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/")


def describe(client, names: list[str]) -> dict:
    """name -> DescribeLogGroups entry of every existing group of ``names``: one paginated
    DescribeLogGroups per prefix (one in all when the names share a prefix)."""
    wanted = set(names)
    found = {}
    for prefix in describe_prefixes(names):
        for group in paginate(client, "describe_log_groups", logGroupNamePrefix=prefix).get("logGroups", []):
            if group["logGroupName"] in wanted:
                found[group["logGroupName"]] = group
    return found


def read_groups(client, names: list[str]) -> dict:
    """name -> current view of every existing group of ``names`` (describe, then
    ListTagsForResource per group: CloudWatch Logs has no batch tag read)."""
    return {
        name: current(
            group, client.list_tags_for_resource(resourceArn=group_arn(group), aws_retry=True)["tags"]
        )
        for name, group in describe(client, names).items()
    }


def key_arns(kms, refs: list) -> dict:
    """Each key reference (ARN, id, alias) -> the key ARN; DescribeKey only for a non-ARN."""
    out = {}
    for ref in refs:
        if ref and ref not in out:
            out[ref] = (
                ref
                if KEY_ARN.match(ref)
                else kms.describe_key(KeyId=ref, aws_retry=True)["KeyMetadata"]["Arn"]
            )
    return out


def apply_plan(client, want: dict, have: dict | None, changes: dict, key_arn: str | None) -> None:
    name = want["name"]
    if changes.get("create"):
        request = {"logGroupName": name}
        if key_arn:
            request["kmsKeyId"] = key_arn
        if want["tags"]:
            request["tags"] = want["tags"]
        client.create_log_group(**request, aws_retry=True)
    if changes.get("kms_key_id"):
        client.associate_kms_key(logGroupName=name, kmsKeyId=changes["kms_key_id"], aws_retry=True)
    if changes.get("retention") is not None:
        client.put_retention_policy(logGroupName=name, retentionInDays=changes["retention"], aws_retry=True)
    if changes.get("untag"):
        client.untag_resource(resourceArn=have["arn"], tagKeys=changes["untag"], aws_retry=True)
    if changes.get("tag"):
        client.tag_resource(resourceArn=have["arn"], tags=changes["tag"], aws_retry=True)
