# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ECS service reads and waits (boto3 calls with retries) for the ecs_service module.

Every function takes a client from ``common.retrying_client`` (calls pass ``aws_retry=True``).
Waits use ``common.poll``'s bounded backoff (1 s doubling to 15 s) rather than botocore's
``services_stable`` waiter (fixed 15 s delay), with the same success test.
"""

from __future__ import annotations

import time

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import poll
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_service import (
    is_steady,
    normalise_service,
)

__all__ = [
    "is_family",
    "read_service",
    "read_services",
    "resolve_task_definition",
    "wait_all_steady",
    "wait_inactive",
    "wait_steady",
]


def read_service(client, cluster: str, name: str) -> dict | None:
    """The normalised service (None when missing or INACTIVE)."""
    found = client.describe_services(cluster=cluster, services=[name], include=["TAGS"], aws_retry=True)
    services = found.get("services", [])
    return normalise_service(services[0] if services else None)


# DescribeServices takes at most 10 services per call.
DESCRIBE_LIMIT = 10


def read_services(client, cluster: str, names: list[str]) -> dict[str, dict | None]:
    """{name: normalised service or None} with one DescribeServices (tags included) per 10 names."""
    found: dict[str, dict | None] = dict.fromkeys(names)
    for start in range(0, len(names), DESCRIBE_LIMIT):
        chunk = names[start : start + DESCRIBE_LIMIT]
        answer = client.describe_services(cluster=cluster, services=chunk, include=["TAGS"], aws_retry=True)
        for service in answer.get("services", []):
            view = normalise_service(service)
            if view is not None and view["name"] in found:
                found[view["name"]] = view
    return found


def wait_all_steady(client, cluster: str, names: list[str], timeout: float, sleep=time.sleep) -> dict:
    """Poll the services still unsteady together (batched reads) until every one is steady.
    {name: service as last read}; WaitError names the ones that failed or did not settle in time."""
    pending = list(names)
    last: dict = {}

    def read() -> dict:
        found = read_services(client, cluster, pending)
        last.update(found)
        pending[:] = [n for n in pending if not is_steady(found[n])]
        return found

    def failing(found: dict) -> list[str]:
        return [n for n, s in found.items() if s is None or s.get("rollout_state") == "FAILED"]

    poll(
        read,
        lambda found: not pending,
        timeout,
        "ECS services to reach a steady state (one deployment, running = desired)",
        failed=failing,
        sleep=sleep,
        describe=lambda found: ", ".join(failing(found) or pending),
    )
    return last


def raw_status(client, cluster: str, name: str) -> str | None:
    services = client.describe_services(cluster=cluster, services=[name], aws_retry=True).get("services", [])
    return services[0].get("status") if services else None


def is_family(task_definition: str) -> bool:
    """Whether ``task_definition`` names a family without a revision (``airflow-web``)."""
    return ":" not in task_definition and "/" not in task_definition


def resolve_task_definition(client, task_definition: str) -> str:
    """The ARN of ``family``, ``family:revision`` or an ARN (an ARN with a revision is used as is)."""
    if (
        task_definition.startswith("arn:")
        and ":task-definition/" in task_definition
        and ":" in (task_definition.rsplit("/", 1)[-1])
    ):
        return task_definition
    found = client.describe_task_definition(taskDefinition=task_definition, aws_retry=True)
    return found["taskDefinition"]["taskDefinitionArn"]


def wait_steady(client, cluster: str, name: str, timeout: float, sleep=time.sleep) -> dict:
    return poll(
        lambda: read_service(client, cluster, name),
        is_steady,
        timeout,
        f"ECS service {name} to reach a steady state (one deployment, running = desired)",
        failed=lambda s: s is None or s.get("rollout_state") == "FAILED",
        sleep=sleep,
    )


def wait_inactive(client, cluster: str, name: str, timeout: float, sleep=time.sleep) -> None:
    poll(
        lambda: raw_status(client, cluster, name),
        lambda status: status in (None, "INACTIVE"),
        timeout,
        f"ECS service {name} to become INACTIVE",
        sleep=sleep,
    )
