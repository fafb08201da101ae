# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""CloudWatch Logs log groups: the comparable view of a group, the describe prefixes for a set of
names, and the plan that brings a group to the desired state (pure functions)."""

from __future__ import annotations

import os

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes


def describe_prefixes(names: list[str]) -> list[str]:
    """The prefixes to describe: the names' common prefix (one paginated DescribeLogGroups for
    all), or each name when they share none."""
    common = os.path.commonprefix(sorted(names))  # noqa: RUF071 (a character prefix, as the API filters)
    return [common] if common else sorted(set(names))


def group_arn(group: dict) -> str:
    """The log group ARN without the ``:*`` that DescribeLogGroups' ``arn`` ends with."""
    arn = group.get("logGroupArn") or group["arn"]
    return arn[:-2] if arn.endswith(":*") else arn


def current(group: dict, tags: dict) -> dict:
    """The comparable view of a DescribeLogGroups entry and its tags."""
    return {
        "name": group["logGroupName"],
        "arn": group_arn(group),
        "kms_key_id": group.get("kmsKeyId"),
        "retention": group.get("retentionInDays"),
        "tags": dict(tags),
    }


def desired(item: dict) -> dict:
    """The comparable view of one item of the module's ``log_groups`` option."""
    tags = item.get("tags")
    return {
        "name": item["name"],
        "kms_key_id": item.get("kms_key_id"),
        "retention": item.get("retention"),
        "tags": None if tags is None else {k: "" if v is None else str(v) for k, v in tags.items()},
    }


def plan(want: dict, have: dict | None, key_arn: str | None, purge_tags: bool) -> dict:
    """The changes for one group. ``key_arn`` is the wanted key resolved to its ARN (None: keep).
    Keys (only those with something to do): ``create``, ``kms_key_id``, ``retention``, ``tag``,
    ``untag``. A group is created with its key and tags, so only ``retention`` can follow it."""
    if have is None:
        changes = {"create": True}
        if want["retention"] is not None:
            changes["retention"] = want["retention"]
        return changes
    changes = {}
    if key_arn is not None and key_arn != have["kms_key_id"]:
        changes["kms_key_id"] = key_arn
    if want["retention"] is not None and want["retention"] != have["retention"]:
        changes["retention"] = want["retention"]
    to_tag, to_untag = tag_changes(have["tags"], want["tags"], purge_tags)
    if to_tag:
        changes["tag"] = to_tag
    if to_untag:
        changes["untag"] = to_untag
    return changes


def after_view(want: dict, have: dict | None, key_arn: str | None, purge_tags: bool) -> dict:
    """The group once the plan is applied (diff and result; no ARN for a group not yet created)."""
    base = dict(have or {"arn": "", "kms_key_id": None, "retention": None, "tags": {}})
    base.pop("name", None)
    if key_arn is not None:
        base["kms_key_id"] = key_arn
    if want["retention"] is not None:
        base["retention"] = want["retention"]
    if want["tags"] is not None:
        base["tags"] = dict(want["tags"]) if purge_tags else {**base["tags"], **want["tags"]}
    return base
