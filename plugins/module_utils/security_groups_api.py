# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Security groups: the EC2 calls (reads paginated, writes batched per group and direction)."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.lookups import prefix_lists
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.security_groups import ip_permissions
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_list

# AuthorizeSecurityGroupIngress and its siblings, by direction.
CALLS = {
    "ingress": {
        "authorize": "authorize_security_group_ingress",
        "revoke": "revoke_security_group_ingress",
        "describe": "update_security_group_rule_descriptions_ingress",
    },
    "egress": {
        "authorize": "authorize_security_group_egress",
        "revoke": "revoke_security_group_egress",
        "describe": "update_security_group_rule_descriptions_egress",
    },
}


def vpc_groups(client, vpc_id: str) -> list:
    """Every security group of the VPC, rules and tags included (one paginated read)."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return paginate(client, "describe_security_groups", Filters=filters).get("SecurityGroups", [])


def read_groups(client, group_ids: list) -> list:
    """The named groups (``client`` should retry InvalidGroup.NotFound right after a create)."""
    if not group_ids:
        return []
    return client.describe_security_groups(GroupIds=group_ids, aws_retry=True)["SecurityGroups"]


def prefix_list_ids(client, names: list) -> dict:
    """AWS-managed prefix-list id by name, for the names given (one paginated read)."""
    return {p["PrefixListName"]: p["PrefixListId"] for p in prefix_lists(client, names)}


def create_group(client, vpc_id: str, name: str, description: str, tags: dict) -> str:
    """Create the group with its tags in the same call; return its id."""
    request = {"GroupName": name, "Description": description, "VpcId": vpc_id}
    if tags:
        request["TagSpecifications"] = [{"ResourceType": "security-group", "Tags": tags_list(tags)}]
    return client.create_security_group(**request, aws_retry=True)["GroupId"]


def apply_rules(client, group_id: str, direction: str, changes: dict) -> None:
    """Authorize first, then re-describe, then revoke: a changed rule set never has a gap."""
    calls = CALLS[direction]
    for part in ("authorize", "describe", "revoke"):
        if changes[part]:
            perms = ip_permissions(changes[part], descriptions=part != "revoke")
            getattr(client, calls[part])(GroupId=group_id, IpPermissions=perms, aws_retry=True)


def apply_tags(client, group_id: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.delete_tags(Resources=[group_id], Tags=[{"Key": k} for k in to_remove], aws_retry=True)
    if to_set:
        client.create_tags(Resources=[group_id], Tags=tags_list(to_set), aws_retry=True)
