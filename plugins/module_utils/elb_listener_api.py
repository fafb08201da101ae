# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ELBv2 listener reads and Secrets Manager reads for elb_listener (boto3 calls with retries).

Every function takes a client from ``common.retrying_client`` (calls pass ``aws_retry=True``).
The OIDC client secret's value is read only when it must be sent (create, or a new version);
it is returned to the caller and never logged or kept anywhere else.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_dict


class SecretError(Exception):
    """The OIDC client secret cannot be used (no current version, not a string, missing field)."""


def find_listener(client, load_balancer_arn: str, port: int) -> dict | None:
    listeners = paginate(client, "describe_listeners", LoadBalancerArn=load_balancer_arn).get("Listeners", [])
    found = [listener for listener in listeners if int(listener["Port"]) == int(port)]
    return found[0] if found else None


def read_tags(client, arn: str) -> dict:
    described = client.describe_tags(ResourceArns=[arn], aws_retry=True).get("TagDescriptions", [])
    return tags_dict(described[0].get("Tags") if described else [])


def read_rules(client, listener_arn: str) -> list:
    try:
        return paginate(client, "describe_rules", ListenerArn=listener_arn).get("Rules", [])
    except is_boto3_error_code("ListenerNotFound"):
        return []


def current_secret_version(client, secret_id: str) -> str:
    """The VersionId labelled AWSCURRENT (DescribeSecret: no value is read)."""
    described = client.describe_secret(SecretId=secret_id, aws_retry=True)
    for version, stages in (described.get("VersionIdsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return version
    raise SecretError(f"secret {secret_id} has no AWSCURRENT version")


def secret_value(client, secret_id: str, version_id: str, key: str | None) -> str:
    """The client secret: the SecretString of ``version_id``, or one field of it when it is JSON."""
    value = client.get_secret_value(SecretId=secret_id, VersionId=version_id, aws_retry=True)
    text = value.get("SecretString")
    if text is None:
        raise SecretError(f"secret {secret_id} has no SecretString (binary secrets are not supported)")
    if key:
        try:
            document = json.loads(text)
        except ValueError:
            raise SecretError(
                f"secret {secret_id} is not a JSON document, so it has no field {key!r}"
            ) from None
        if not isinstance(document, dict) or key not in document:
            raise SecretError(f"secret {secret_id} has no field {key!r}")
        text = str(document[key])
    if not text:
        raise SecretError(f"secret {secret_id} is empty")
    return text
