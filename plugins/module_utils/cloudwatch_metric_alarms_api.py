# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""CloudWatch metric alarms: the AWS calls (paginated reads, batched deletes, tags)."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_dict

# DescribeAlarms takes at most 100 AlarmNames; DeleteAlarms at most 100 names.
BATCH = 100


def _batches(names: list, size: int = BATCH):
    for start in range(0, len(names), size):
        yield names[start : start + size]


def describe(client, prefix: str | None, names: list[str]) -> list[dict]:
    """The metric alarms named ``names``: one paginated DescribeAlarms by ``prefix`` (which
    also finds alarms to purge), else by AlarmNames in batches of 100."""
    if prefix:
        found = paginate(client, "describe_alarms", AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])
        return found.get("MetricAlarms", [])
    alarms = []
    for batch in _batches(sorted(set(names))):
        found = paginate(client, "describe_alarms", AlarmNames=batch, AlarmTypes=["MetricAlarm"])
        alarms.extend(found.get("MetricAlarms", []))
    return alarms


def put(client, request: dict) -> None:
    client.put_metric_alarm(**request, aws_retry=True)


def delete(client, names: list[str]) -> None:
    for batch in _batches(sorted(names)):
        client.delete_alarms(AlarmNames=batch, aws_retry=True)


def read_tags(client, arn: str) -> dict:
    return tags_dict(client.list_tags_for_resource(ResourceARN=arn, aws_retry=True).get("Tags"))


def tag_plan(have: dict, want: dict | None, purge: bool) -> tuple[dict, list]:
    return tag_changes(have, want, purge)


def apply_tags(client, arn: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.untag_resource(ResourceARN=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(
            ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())], aws_retry=True
        )
