# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ElastiCache calls the parameter-group and replication-group modules share (boto3, with retries)."""

from __future__ import annotations

import time

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import poll

# A group in one of these states will not become available by waiting.
FAILED = ("create-failed", "deleting")


def wait_for_group(client, group_id: str, timeout: float, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Poll DescribeReplicationGroups (1 s doubling up to 30 s) until the group is ``available``.
    WaitError (``last`` the group as last read) on ``create-failed``/``deleting`` or after ``timeout``
    seconds. ``client`` is a retrying client."""
    return poll(
        lambda: client.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)[
            "ReplicationGroups"
        ][0],
        lambda group: group.get("Status") == "available",
        timeout,
        f"replication group {group_id} to become available",
        failed=lambda group: group.get("Status") in FAILED,
        sleep=sleep,
        max_delay=30.0,
        describe=lambda group: f"last status: {group.get('Status')}",
        clock=clock,
    )
