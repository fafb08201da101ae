# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Read-only lookups the info modules share: keys by alias, load balancers, target groups, secrets."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate


def _enabled_keys(kms, match) -> dict:
    """Alias name -> ARN of the enabled key it targets, for the aliases ``match(name)`` accepts.

    One paginated ListAliases (each alias names the key it targets), then DescribeKey per matching
    alias for the key's state and ARN: the count does not grow with the other keys of the account."""
    found = {}
    for alias in paginate(kms, "list_aliases").get("Aliases", []):
        if not alias.get("TargetKeyId") or not match(alias["AliasName"]):
            continue
        meta = kms.describe_key(KeyId=alias["TargetKeyId"], aws_retry=True)["KeyMetadata"]
        if meta.get("KeyState") == "Enabled":
            found[alias["AliasName"]] = meta["Arn"]
    return found


def aliased_key_arns(kms, alias_prefix: str) -> dict:
    """Alias suffix -> ARN of every enabled key under an alias ``<alias_prefix><suffix>``."""
    keys = _enabled_keys(kms, lambda name: name.startswith(alias_prefix) and len(name) > len(alias_prefix))
    return {name[len(alias_prefix) :]: arn for name, arn in sorted(keys.items())}


def alias_key_arn(kms, alias: str) -> str:
    """The ARN of the enabled key under ``alias``, or "" when there is none."""
    return _enabled_keys(kms, lambda name: name == alias).get(alias, "")


def load_balancer_arn(elb, name: str) -> str:
    """The ARN of the load balancer ``name``, or "" when there is none."""
    try:
        found = elb.describe_load_balancers(Names=[name], aws_retry=True).get("LoadBalancers", [])
    except is_boto3_error_code("LoadBalancerNotFound"):
        return ""
    return found[0]["LoadBalancerArn"] if found else ""


def target_group_arn(elb, name: str) -> str:
    """The ARN of the target group ``name``, or "" when there is none."""
    try:
        found = elb.describe_target_groups(Names=[name], aws_retry=True).get("TargetGroups", [])
    except is_boto3_error_code("TargetGroupNotFound"):
        return ""
    return found[0]["TargetGroupArn"] if found else ""


def secrets_under(client, prefix: str) -> list:
    """The live secrets whose name starts with ``prefix`` (ListSecrets entries), sorted by name."""
    listed = paginate(client, "list_secrets", Filters=[{"Key": "name", "Values": [prefix]}])
    return sorted(
        (
            s
            for s in listed.get("SecretList", [])
            if s["Name"].startswith(prefix) and not s.get("DeletedDate")
        ),
        key=lambda s: s["Name"],
    )


def prefix_lists(ec2, names: list) -> list:
    """The AWS-managed prefix lists of these names (DescribePrefixLists entries; one paginated read)."""
    if not names:
        return []
    filters = [{"Name": "prefix-list-name", "Values": sorted(names)}]
    found = paginate(ec2, "describe_prefix_lists", Filters=filters).get("PrefixLists", [])
    return [p for p in found if p["PrefixListName"] in names]
