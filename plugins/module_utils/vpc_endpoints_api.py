# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""VPC endpoints: the EC2 calls of vpc_endpoints (reads, tags, waits)."""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate, poll
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.vpc_endpoints import LIVE_STATES

_LIVE = {s.lower() for s in LIVE_STATES}


def list_endpoints(client, vpc_id: str) -> list[dict]:
    """The live endpoints of ``vpc_id``: one paginated describe."""
    filters = [
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "vpc-endpoint-state", "Values": LIVE_STATES},
    ]
    endpoints = paginate(client, "describe_vpc_endpoints", Filters=filters).get("VpcEndpoints", [])
    return [e for e in endpoints if e.get("State", "").lower() in _LIVE]


def read_endpoints(client, endpoint_ids: list[str]) -> dict:
    """Endpoint id -> DescribeVpcEndpoints entry, in one paginated call (missing ids left out)."""
    if not endpoint_ids:
        return {}
    try:
        found = paginate(client, "describe_vpc_endpoints", VpcEndpointIds=sorted(endpoint_ids))
    except is_boto3_error_code("InvalidVpcEndpointId.NotFound"):
        found = {"VpcEndpoints": []}
        for endpoint_id in endpoint_ids:  # one of them is gone: read the others one by one
            try:
                found["VpcEndpoints"] += client.describe_vpc_endpoints(
                    VpcEndpointIds=[endpoint_id], aws_retry=True
                )["VpcEndpoints"]
            except is_boto3_error_code("InvalidVpcEndpointId.NotFound"):
                continue
    return {e["VpcEndpointId"]: e for e in found.get("VpcEndpoints", [])}


def wait_available(client, endpoint_ids: list[str], timeout: float, sleep=time.sleep) -> dict:
    """Poll all ``endpoint_ids`` together (one describe per round) until every one is available.

    Returns id -> endpoint. Raises WaitError naming the endpoints that failed or are late."""

    def states(found: dict) -> dict:
        return {i: (found.get(i) or {}).get("State", "").lower() for i in endpoint_ids}

    def named(found: dict, wanted) -> str:
        return ", ".join(sorted(i for i, state in states(found).items() if wanted(state)))

    return poll(
        lambda: read_endpoints(client, endpoint_ids),
        lambda found: all(state == "available" for state in states(found).values()),
        timeout,
        "VPC endpoint(s) to become available",
        failed=lambda found: "failed" in states(found).values(),
        sleep=sleep,
        describe=lambda found: (
            f"failed: {named(found, lambda s: s == 'failed')}"
            if "failed" in states(found).values()
            else f"waiting for {named(found, lambda s: s != 'available')}"
        ),
    )


def apply_tags(client, endpoint_id: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.delete_tags(Resources=[endpoint_id], Tags=[{"Key": k} for k in to_remove], aws_retry=True)
    if to_set:
        client.create_tags(
            Resources=[endpoint_id],
            Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())],
            aws_retry=True,
        )
