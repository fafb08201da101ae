# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Read the data layer's stores into the audit document: encryption key, TLS enforcement,
public access. Each store is found by the name the data role gives it; a missing one is a
resource with ``missing: true`` so the policy can name it."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.audit_live import resource
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate


def key_id(reference: str | None) -> str | None:
    """The bare key id of a KMS key ARN (``.../key/<id>``), or the reference unchanged."""
    return reference.rsplit("key/", 1)[-1] if reference else None


def _denies_plain_transport(policy: dict | None) -> bool:
    for statement in (policy or {}).get("Statement", []):
        condition = statement.get("Condition", {}).get("Bool", {})
        if statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false":
            return True
    return False


def rds_resources(rds, instance_id: str) -> list[dict]:
    try:
        instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id, aws_retry=True)["DBInstances"][
            0
        ]
    except is_boto3_error_code("DBInstanceNotFound"):
        return [resource("aws_db_instance", instance_id, {"id": instance_id, "missing": True})]
    force_ssl = None
    for group in instance.get("DBParameterGroups", []):
        parameters = paginate(
            rds, "describe_db_parameters", DBParameterGroupName=group["DBParameterGroupName"]
        )
        for parameter in parameters.get("Parameters", []):
            if parameter["ParameterName"] == "rds.force_ssl":
                force_ssl = parameter.get("ParameterValue")
    return [
        resource(
            "aws_db_instance",
            instance_id,
            {
                "id": instance_id,
                "storage_encrypted": instance.get("StorageEncrypted", False),
                "key_id": key_id(instance.get("KmsKeyId")),
                "publicly_accessible": instance.get("PubliclyAccessible", False),
                "force_ssl": force_ssl,
            },
        )
    ]


def redis_resources(elasticache, group_id: str) -> list[dict]:
    try:
        group = elasticache.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)
        group = group["ReplicationGroups"][0]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return [resource("aws_elasticache_replication_group", group_id, {"id": group_id, "missing": True})]
    return [
        resource(
            "aws_elasticache_replication_group",
            group_id,
            {
                "id": group_id,
                "transit_encryption_enabled": group.get("TransitEncryptionEnabled", False),
                "at_rest_encryption_enabled": group.get("AtRestEncryptionEnabled", False),
                "auth_token_enabled": group.get("AuthTokenEnabled", False),
                "key_id": key_id(group.get("KmsKeyId")),
            },
        )
    ]


def efs_resources(efs, name: str) -> list[dict]:
    found = [f for f in paginate(efs, "describe_file_systems", CreationToken=name).get("FileSystems", [])]
    if not found:
        return [resource("aws_efs_file_system", name, {"id": name, "missing": True})]
    fs = found[0]
    try:
        policy = json.loads(
            efs.describe_file_system_policy(FileSystemId=fs["FileSystemId"], aws_retry=True)["Policy"]
        )
    except is_boto3_error_code("PolicyNotFound"):
        policy = None
    return [
        resource(
            "aws_efs_file_system",
            f"{name}({fs['FileSystemId']})",
            {
                "id": fs["FileSystemId"],
                "encrypted": fs.get("Encrypted", False),
                "key_id": key_id(fs.get("KmsKeyId")),
                "tls_enforced": _denies_plain_transport(policy),
            },
        )
    ]


def bucket_resources(s3, names: list[str]) -> list[dict]:
    out = []
    for name in names:
        try:
            rules = s3.get_bucket_encryption(Bucket=name, aws_retry=True)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
        except is_boto3_error_code("NoSuchBucket"):
            out.append(resource("aws_s3_bucket", name, {"id": name, "missing": True}))
            continue
        except is_boto3_error_code("ServerSideEncryptionConfigurationNotFoundError"):
            rules = []
        default = rules[0]["ApplyServerSideEncryptionByDefault"] if rules else {}
        try:
            block = s3.get_public_access_block(Bucket=name, aws_retry=True)["PublicAccessBlockConfiguration"]
        except is_boto3_error_code("NoSuchPublicAccessBlockConfiguration"):
            block = {}
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=name, aws_retry=True)["Policy"])
        except is_boto3_error_code("NoSuchBucketPolicy"):
            policy = None
        out.append(
            resource(
                "aws_s3_bucket",
                name,
                {
                    "id": name,
                    "sse_algorithm": default.get("SSEAlgorithm"),
                    "key_id": key_id(default.get("KMSMasterKeyID")),
                    "public_access_blocked": len(block) == 4 and all(block.values()),
                    "tls_enforced": _denies_plain_transport(policy),
                },
            )
        )
    return out


def secret_resources(secrets, prefix: str) -> list[dict]:
    listed = paginate(secrets, "list_secrets", Filters=[{"Key": "name", "Values": [prefix + "/"]}])
    return [
        resource(
            "aws_secretsmanager_secret", s["Name"], {"id": s["Name"], "key_id": key_id(s.get("KmsKeyId"))}
        )
        for s in listed.get("SecretList", [])
        if s["Name"].startswith(prefix + "/")
    ]


def log_group_resources(logs, prefix: str) -> list[dict]:
    groups = paginate(logs, "describe_log_groups", logGroupNamePrefix=prefix).get("logGroups", [])
    return [
        resource(
            "aws_cloudwatch_log_group",
            g["logGroupName"],
            {"id": g["logGroupName"], "key_id": key_id(g.get("kmsKeyId"))},
        )
        for g in groups
    ]
