# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""IAM roles: the AWS calls (reads per role, and the writes a plan from iam_roles asks for)."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.iam_roles import current
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_list


def read_role(client, name: str) -> dict | None:
    """GetRole (trust policy and tags included), ListRolePolicies + GetRolePolicy per inline
    policy, ListAttachedRolePolicies; None when the role does not exist."""
    try:
        role = client.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    names = paginate(client, "list_role_policies", RoleName=name).get("PolicyNames", [])
    inline = {
        policy: client.get_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)["PolicyDocument"]
        for policy in names
    }
    attached = paginate(client, "list_attached_role_policies", RoleName=name).get("AttachedPolicies", [])
    return current(role, inline, attached)


def create_role(client, want: dict) -> dict:
    """CreateRole with the trust policy, description and tags in the one call."""
    request = {
        "RoleName": want["name"],
        "Path": want["path"],
        "AssumeRolePolicyDocument": json.dumps(want["assume_role_policy"]),
        "Description": want["description"],
    }
    if want["max_session_duration"] is not None:
        request["MaxSessionDuration"] = want["max_session_duration"]
    if want["tags"]:
        request["Tags"] = tags_list(want["tags"])
    return client.create_role(**request, aws_retry=True)["Role"]


def apply_plan(client, new_role_client, want: dict, changes: dict) -> None:
    """Every write of ``changes`` except the create. ``new_role_client`` retries NoSuchEntity:
    it is used for a role this run created, which IAM may not show everywhere yet."""
    name = want["name"]
    writer = new_role_client if changes.get("create") else client
    if changes.get("update_role"):
        client.update_role(RoleName=name, **changes["update_role"], aws_retry=True)
    if changes.get("trust"):
        client.update_assume_role_policy(
            RoleName=name, PolicyDocument=json.dumps(want["assume_role_policy"]), aws_retry=True
        )
    for policy in changes.get("put_policies", []):
        writer.put_role_policy(
            RoleName=name,
            PolicyName=policy,
            PolicyDocument=json.dumps(want["inline_policies"][policy]),
            aws_retry=True,
        )
    for policy in changes.get("delete_policies", []):
        client.delete_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)
    for arn in changes.get("attach", []):
        writer.attach_role_policy(RoleName=name, PolicyArn=arn, aws_retry=True)
    for arn in changes.get("detach", []):
        client.detach_role_policy(RoleName=name, PolicyArn=arn, aws_retry=True)
    if changes.get("untag"):
        client.untag_role(RoleName=name, TagKeys=changes["untag"], aws_retry=True)
    if changes.get("tag"):
        client.tag_role(RoleName=name, Tags=tags_list(changes["tag"]), aws_retry=True)


def delete_role(client, name: str, have: dict) -> None:
    """DeleteRole once nothing is attached to the role any more (IAM's DeleteConflict otherwise)."""
    for policy in have["inline_policies"]:
        client.delete_role_policy(RoleName=name, PolicyName=policy, aws_retry=True)
    for arn in have["managed_policy_arns"]:
        client.detach_role_policy(RoleName=name, PolicyArn=arn, aws_retry=True)
    profiles = paginate(client, "list_instance_profiles_for_role", RoleName=name)["InstanceProfiles"]
    for profile in profiles:
        client.remove_role_from_instance_profile(
            InstanceProfileName=profile["InstanceProfileName"], RoleName=name, aws_retry=True
        )
    client.delete_role(RoleName=name, aws_retry=True)
