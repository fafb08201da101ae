# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ECS task definitions: boto3 calls (with retries).

Every function takes a client from ``common.retrying_client`` (calls pass ``aws_retry=True``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_dict, tags_list

NOT_FOUND = "Unable to describe task definition"


def describe_definition(client, task_definition: str) -> tuple[dict | None, dict]:
    """(definition, tags) of ``task_definition`` (family -> its latest ACTIVE revision,
    family:revision or ARN -> that revision); (None, {}) when there is none."""
    try:
        found = client.describe_task_definition(
            taskDefinition=task_definition, include=["TAGS"], aws_retry=True
        )
    except is_boto3_error_message(NOT_FOUND):
        return None, {}
    return found["taskDefinition"], tags_dict(found.get("tags"))


def describe_definitions(
    client, families: list[str], workers: int = 8
) -> dict[str, tuple[dict | None, dict]]:
    """{family: (definition, tags)} of each family's latest ACTIVE revision. ECS has no batch
    describe for task definitions, so the DescribeTaskDefinition calls (one per family, with tags)
    run concurrently (boto3 clients are thread-safe)."""
    if len(families) <= 1:
        return {family: describe_definition(client, family) for family in families}
    with ThreadPoolExecutor(max_workers=min(workers, len(families))) as pool:
        found = list(pool.map(lambda family: describe_definition(client, family), families))
    return dict(zip(families, found, strict=True))


def active_revisions(client, family: str) -> list[str]:
    """The ARNs of every ACTIVE revision of ``family`` (ListTaskDefinitions' familyPrefix is the
    exact family name), oldest first."""
    found = paginate(client, "list_task_definitions", familyPrefix=family, status="ACTIVE", sort="ASC")
    return [
        arn for arn in found.get("taskDefinitionArns", []) if arn.rsplit("/", 1)[-1].split(":")[0] == family
    ]


def register(client, request: dict, tags: dict) -> tuple[dict, dict]:
    kwargs = dict(request)
    if tags:
        kwargs["tags"] = tags_list(tags, lower=True)
    found = client.register_task_definition(aws_retry=True, **kwargs)
    return found["taskDefinition"], tags_dict(found.get("tags"))


def deregister(client, arn: str) -> None:
    client.deregister_task_definition(taskDefinition=arn, aws_retry=True)


def retag(client, arn: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.untag_resource(resourceArn=arn, tagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(resourceArn=arn, tags=tags_list(to_set, lower=True), aws_retry=True)
