# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""One-off ECS tasks: RunTask, DescribeTasks and the wait for a task to stop (boto3, with retries).

Every function takes a client from ``common.retrying_client`` (calls pass ``aws_retry=True``).
"""

from __future__ import annotations

import time

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import poll


def run_task(client, request: dict) -> dict:
    """RunTask: {tasks: [...], failures: [...]} as AWS answered."""
    return client.run_task(aws_retry=True, **request)


def describe_task(client, cluster: str, task_arn: str) -> dict | None:
    found = client.describe_tasks(cluster=cluster, tasks=[task_arn], aws_retry=True)
    tasks = found.get("tasks") or []
    return tasks[0] if tasks else None


def wait_stopped(
    client, cluster: str, task_arn: str, timeout: float, interval: float, sleep=time.sleep
) -> dict:
    """Poll DescribeTasks every ``interval`` s (+/- 20 % jitter) until the task is STOPPED."""
    last: list = [None]

    def read():
        last[0] = describe_task(client, cluster, task_arn) or last[0]
        return last[0]

    return poll(
        read,
        lambda task: bool(task) and task.get("lastStatus") == "STOPPED",
        timeout,
        f"ECS task {task_arn} to stop",
        sleep=sleep,
        delay=interval,
        max_delay=interval,
        jitter=0.2,
        describe=lambda task: f"still {(task or {}).get('lastStatus', 'unknown')}",
    )
