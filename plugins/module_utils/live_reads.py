# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Read-only reads of one environment in the live account, as AWS returns them.

Shared by the audit (``audit_live``, ``audit_data``, ``audit_compute``: condensed records for the
Rego policies) and the live rendering of the plan (``plan_live*``: CloudFormation-shaped
resources). Every read is a ``Describe*``/``List*``/``Get*`` call, paginated where AWS paginates,
retried with jittered backoff (clients from ``common.retrying_client``, calls with
``aws_retry=True``). A store that does not exist reads as ``None``.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate


def _json(document):
    return json.loads(document) if isinstance(document, str) else document


def _iam_json(document):
    """IAM returns policy documents URL-encoded when botocore has not decoded them."""
    return json.loads(unquote(document)) if isinstance(document, str) else document


# --- network (ec2) -----------------------------------------------------------------------------


def vpcs(ec2, env: str) -> list[dict]:
    """The VPCs tagged ``airflow:env=<env>``."""
    filters = [{"Name": "tag:airflow:env", "Values": [env]}]
    return paginate(ec2, "describe_vpcs", Filters=filters)["Vpcs"]


def in_vpcs(ec2, operation: str, key: str, vpc_ids: list[str], filter_key: str = "vpc-id") -> list[dict]:
    """Every item of a paginated ec2 ``Describe*`` whose ``filter_key`` is one of ``vpc_ids``."""
    if not vpc_ids:
        return []
    filter_arg = "Filter" if operation == "describe_nat_gateways" else "Filters"
    return paginate(ec2, operation, **{filter_arg: [{"Name": filter_key, "Values": vpc_ids}]})[key]


def vpc_attributes(ec2, vpc_id: str) -> dict:
    """``enableDnsSupport`` and ``enableDnsHostnames`` of a VPC."""
    out = {}
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        found = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute, aws_retry=True)
        out[attribute] = found[attribute[0].upper() + attribute[1:]]["Value"]
    return out


def vpn_gateways(ec2, vpc_ids: list[str]) -> list[dict]:
    """The virtual private gateways attached to ``vpc_ids`` (DescribeVpnGateways has no paginator)."""
    if not vpc_ids:
        return []
    filters = [{"Name": "attachment.vpc-id", "Values": vpc_ids}]
    found = ec2.describe_vpn_gateways(Filters=filters, aws_retry=True)["VpnGateways"]
    return [g for g in found if g.get("State") not in ("deleting", "deleted")]


# --- kms ---------------------------------------------------------------------------------------


def aliased_keys(kms, name_prefix: str, with_tags: bool = False) -> list[dict]:
    """Usable keys aliased ``alias/<name_prefix>-*``: ``{alias, purpose, metadata, rotation,
    policy[, tags]}`` (keys pending deletion or disabled are left out)."""
    wanted = f"alias/{name_prefix}-"
    out = []
    for alias in paginate(kms, "list_aliases")["Aliases"]:
        if not alias["AliasName"].startswith(wanted) or "TargetKeyId" not in alias:
            continue
        key = alias["TargetKeyId"]
        meta = kms.describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]
        if meta.get("KeyState") in ("PendingDeletion", "Disabled"):
            continue
        entry = {
            "alias": alias["AliasName"],
            "purpose": alias["AliasName"][len(wanted) :],
            "metadata": meta,
            "rotation": kms.get_key_rotation_status(KeyId=key, aws_retry=True)["KeyRotationEnabled"],
            "policy": _json(kms.get_key_policy(KeyId=key, PolicyName="default", aws_retry=True)["Policy"]),
        }
        if with_tags:
            entry["tags"] = paginate(kms, "list_resource_tags", KeyId=key).get("Tags", [])
        out.append(entry)
    return out


# --- data --------------------------------------------------------------------------------------


def db_instance(rds, instance_id: str) -> dict | None:
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=instance_id, aws_retry=True)["DBInstances"][0]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None


def db_parameters(rds, group_name: str, source: str | None = None) -> list[dict]:
    params = {"DBParameterGroupName": group_name, **({"Source": source} if source else {})}
    return paginate(rds, "describe_db_parameters", **params).get("Parameters", [])


def replication_group(elasticache, group_id: str) -> dict | None:
    try:
        found = elasticache.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    return found["ReplicationGroups"][0]


def file_system(efs, creation_token: str) -> dict | None:
    """The file system created with ``creation_token``, with its ``Policy`` (or ``None``)."""
    found = paginate(efs, "describe_file_systems", CreationToken=creation_token).get("FileSystems", [])
    if not found:
        return None
    fs = dict(found[0])
    try:
        fs["Policy"] = _json(
            efs.describe_file_system_policy(FileSystemId=fs["FileSystemId"], aws_retry=True)["Policy"]
        )
    except is_boto3_error_code("PolicyNotFound"):
        fs["Policy"] = None
    return fs


def bucket(s3, name: str, full: bool = False) -> dict | None:
    """A bucket's encryption rules, public access block and policy (``None`` when it is missing);
    with ``full``, also its versioning, object ownership, lifecycle rules, logging and tags."""
    try:
        rules = s3.get_bucket_encryption(Bucket=name, aws_retry=True)["ServerSideEncryptionConfiguration"]
        rules = rules["Rules"]
    except is_boto3_error_code("NoSuchBucket"):
        return None
    except is_boto3_error_code("ServerSideEncryptionConfigurationNotFoundError"):
        rules = []
    try:
        block = s3.get_public_access_block(Bucket=name, aws_retry=True)["PublicAccessBlockConfiguration"]
    except is_boto3_error_code("NoSuchPublicAccessBlockConfiguration"):
        block = {}
    try:
        policy = _json(s3.get_bucket_policy(Bucket=name, aws_retry=True)["Policy"])
    except is_boto3_error_code("NoSuchBucketPolicy"):
        policy = None
    found = {"Name": name, "EncryptionRules": rules, "PublicAccessBlock": block, "Policy": policy}
    if full:
        found.update(_bucket_details(s3, name))
    return found


def _bucket_details(s3, name: str) -> dict:
    out = {"Versioning": s3.get_bucket_versioning(Bucket=name, aws_retry=True).get("Status")}
    try:
        rules = s3.get_bucket_ownership_controls(Bucket=name, aws_retry=True)["OwnershipControls"]["Rules"]
        out["ObjectOwnership"] = rules[0]["ObjectOwnership"] if rules else None
    except is_boto3_error_code("OwnershipControlsNotFoundError"):
        out["ObjectOwnership"] = None
    try:
        out["LifecycleRules"] = s3.get_bucket_lifecycle_configuration(Bucket=name, aws_retry=True)["Rules"]
    except is_boto3_error_code("NoSuchLifecycleConfiguration"):
        out["LifecycleRules"] = []
    logging = s3.get_bucket_logging(Bucket=name, aws_retry=True).get("LoggingEnabled")
    out["Logging"] = (
        {"DestinationBucketName": logging["TargetBucket"], "LogFilePrefix": logging.get("TargetPrefix")}
        if logging
        else None
    )
    try:
        out["Tags"] = s3.get_bucket_tagging(Bucket=name, aws_retry=True)["TagSet"]
    except is_boto3_error_code("NoSuchTagSet"):
        out["Tags"] = []
    return out


def queue(sqs, name: str) -> dict | None:
    """An SQS queue's attributes (``Policy`` and ``RedrivePolicy`` parsed) and its ``QueueUrl``, or None."""
    try:
        url = sqs.get_queue_url(QueueName=name, aws_retry=True)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"], aws_retry=True)[
            "Attributes"
        ]
    except is_boto3_error_code("AWS.SimpleQueueService.NonExistentQueue"):
        return None
    for key in ("Policy", "RedrivePolicy"):
        attributes[key] = _json(attributes[key]) if attributes.get(key) else None
    return {**attributes, "QueueUrl": url}


def bucket_notifications(s3, name: str) -> dict:
    """A bucket's event notification configuration (``QueueConfigurations``, ...)."""
    try:
        found = s3.get_bucket_notification_configuration(Bucket=name, aws_retry=True)
    except is_boto3_error_code("NoSuchBucket"):
        return {}
    found.pop("ResponseMetadata", None)
    return found


def secrets(secretsmanager, prefix: str) -> list[dict]:
    """The secrets named ``<prefix>/...`` (metadata only: never a value)."""
    listed = paginate(secretsmanager, "list_secrets", Filters=[{"Key": "name", "Values": [prefix + "/"]}])
    return [s for s in listed.get("SecretList", []) if s["Name"].startswith(prefix + "/")]


def secret_versions(secretsmanager, name: str) -> list[dict]:
    """Every version of a secret that carries a staging label (ListSecretVersionIds page by page:
    botocore has no paginator for it; never a value)."""
    versions, token = [], None
    while True:
        page = secretsmanager.list_secret_version_ids(
            SecretId=name, **({"NextToken": token} if token else {}), aws_retry=True
        )
        versions += page.get("Versions", [])
        token = page.get("NextToken")
        if not token:
            return versions


def log_groups(logs, prefix: str) -> list[dict]:
    return paginate(logs, "describe_log_groups", logGroupNamePrefix=prefix).get("logGroups", [])


# --- compute -----------------------------------------------------------------------------------


def role(iam, name: str) -> dict | None:
    """A role with its inline policies (``InlinePolicies``: name -> document) and the default
    version of each attached policy (``AttachedPolicies``: ARN -> document)."""
    try:
        found = dict(iam.get_role(RoleName=name, aws_retry=True)["Role"])
    except is_boto3_error_code("NoSuchEntity"):
        return None
    found["AssumeRolePolicyDocument"] = _iam_json(found.get("AssumeRolePolicyDocument") or {})
    found["InlinePolicies"] = {}
    for policy_name in paginate(iam, "list_role_policies", RoleName=name).get("PolicyNames", []):
        policy = iam.get_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)
        found["InlinePolicies"][policy_name] = _iam_json(policy["PolicyDocument"])
    found["AttachedPolicies"] = {}
    for policy in paginate(iam, "list_attached_role_policies", RoleName=name).get("AttachedPolicies", []):
        meta = iam.get_policy(PolicyArn=policy["PolicyArn"], aws_retry=True)["Policy"]
        version = iam.get_policy_version(
            PolicyArn=policy["PolicyArn"], VersionId=meta["DefaultVersionId"], aws_retry=True
        )
        found["AttachedPolicies"][policy["PolicyArn"]] = _iam_json(version["PolicyVersion"]["Document"])
    return found


def task_definition(ecs, family: str, with_tags: bool = False) -> dict | None:
    """The latest ACTIVE revision of ``family`` (with ``tags`` when asked)."""
    extra = {"include": ["TAGS"]} if with_tags else {}
    try:
        found = ecs.describe_task_definition(taskDefinition=family, aws_retry=True, **extra)
    except is_boto3_error_code("ClientException"):
        return None
    return {**found["taskDefinition"], **({"tags": found.get("tags", [])} if with_tags else {})}


def load_balancer(elbv2, name: str) -> dict | None:
    """The load balancer with ``Attributes`` (key -> value) and ``Listeners`` (each with its
    ``Rules``)."""
    try:
        lb = dict(elbv2.describe_load_balancers(Names=[name], aws_retry=True)["LoadBalancers"][0])
    except is_boto3_error_code("LoadBalancerNotFound"):
        return None
    arn = lb["LoadBalancerArn"]
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn, aws_retry=True)["Attributes"]
    lb["Attributes"] = {a["Key"]: a["Value"] for a in attributes}
    lb["Listeners"] = []
    for listener in paginate(elbv2, "describe_listeners", LoadBalancerArn=arn)["Listeners"]:
        rules = paginate(elbv2, "describe_rules", ListenerArn=listener["ListenerArn"])["Rules"]
        lb["Listeners"].append({**listener, "Rules": rules})
    return lb


def target_group(elbv2, name: str) -> dict | None:
    try:
        return elbv2.describe_target_groups(Names=[name], aws_retry=True)["TargetGroups"][0]
    except is_boto3_error_code("TargetGroupNotFound"):
        return None
