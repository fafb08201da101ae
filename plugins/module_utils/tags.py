# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Tags, one way for every module: amazon.aws's converters and comparison (which also keeps
AWS-reserved ``aws:*`` tags out of a purge), and the one rule for what a resource's tags end as."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    compare_aws_tags,
)

# The key/value member names AWS uses in tag lists: most services, ECS, KMS.
TAG_MEMBERS = (("Key", "Value"), ("key", "value"), ("TagKey", "TagValue"))


def tags_dict(tags: list | None) -> dict:
    """An AWS tag list (any of TAG_MEMBERS' shapes) -> {key: value} (a missing value is "")."""
    out = {}
    for tag in tags or []:
        key, value = next((k, v) for k, v in TAG_MEMBERS if k in tag)
        out[tag[key]] = tag.get(value, "")
    return out


def tags_list(tags: dict, lower: bool = False) -> list:
    """{key: value} -> [{Key, Value}] ([{key, value}] for ECS when ``lower``), sorted by key."""
    names = ("key", "value") if lower else ("Key", "Value")
    return ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())), *names)


def tag_changes(have: dict, want: dict | None, purge: bool = True) -> tuple[dict, list]:
    """(tags to set, tag keys to remove); ``want`` None leaves the tags alone."""
    if want is None:
        return {}, []
    to_set, to_remove = compare_aws_tags(have, {k: str(v) for k, v in want.items()}, purge)
    return to_set, sorted(to_remove)


def resulting_tags(params: dict, current: dict | None) -> dict:
    """The tags a resource ends with: ``tags: null`` leaves them alone, ``purge_tags`` replaces."""
    current = dict(current or {})
    if params.get("tags") is None:
        return current
    wanted = {k: "" if v is None else str(v) for k, v in params["tags"].items()}
    return wanted if params.get("purge_tags", True) else {**current, **wanted}
