# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Read the data layer's stores into the audit document: encryption key, TLS enforcement,
public access. Each store is found by the name the data role gives it; a missing one is a
resource with ``missing: true`` so the policy can name it."""

from __future__ import annotations

from datetime import UTC, datetime

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.audit_live import resource
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.secret_rotation import (
    CURRENT,
    age_days,
    stages,
)


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
    instance = live_reads.db_instance(rds, instance_id)
    if instance is None:
        return [resource("aws_db_instance", instance_id, {"id": instance_id, "missing": True})]
    force_ssl = None
    for group in instance.get("DBParameterGroups", []):
        for parameter in live_reads.db_parameters(rds, group["DBParameterGroupName"]):
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
                "monitoring_interval": instance.get("MonitoringInterval", 0),
                "monitoring_role_arn": instance.get("MonitoringRoleArn"),
            },
        )
    ]


def redis_resources(elasticache, group_id: str) -> list[dict]:
    group = live_reads.replication_group(elasticache, group_id)
    if group is None:
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
    fs = live_reads.file_system(efs, name)
    if fs is None:
        return [resource("aws_efs_file_system", name, {"id": name, "missing": True})]
    return [
        resource(
            "aws_efs_file_system",
            f"{name}({fs['FileSystemId']})",
            {
                "id": fs["FileSystemId"],
                "encrypted": fs.get("Encrypted", False),
                "key_id": key_id(fs.get("KmsKeyId")),
                "tls_enforced": _denies_plain_transport(fs["Policy"]),
            },
        )
    ]


def _lifecycle(rules: list[dict]) -> dict:
    """Whether an enabled rule expires noncurrent versions / aborts unfinished multipart uploads."""
    enabled = [rule for rule in rules if rule.get("Status") == "Enabled"]
    return {
        "expires_noncurrent_versions": any(r.get("NoncurrentVersionExpiration") for r in enabled),
        "aborts_incomplete_multipart": any(r.get("AbortIncompleteMultipartUpload") for r in enabled),
    }


def bucket_resources(s3, names: list[str], log_delivery: list[str] = ()) -> list[dict]:
    """Each bucket's encryption, public access, TLS policy, versioning, lifecycle and server access
    logging. ``log_delivery``: the buckets that receive AWS log deliveries accepting only SSE-S3 (the
    ALB's access logs, S3 server access logs), marked so the policy holds them to SSE-S3 and nothing
    else to it."""
    out = []
    for name in names:
        found = live_reads.bucket(s3, name, full=True)
        if found is None:
            out.append(resource("aws_s3_bucket", name, {"id": name, "missing": True}))
            continue
        rules, block = found["EncryptionRules"], found["PublicAccessBlock"]
        default = rules[0]["ApplyServerSideEncryptionByDefault"] if rules else {}
        out.append(
            resource(
                "aws_s3_bucket",
                name,
                {
                    "id": name,
                    "sse_algorithm": default.get("SSEAlgorithm"),
                    "key_id": key_id(default.get("KMSMasterKeyID")),
                    "public_access_blocked": len(block) == 4 and all(block.values()),
                    "tls_enforced": _denies_plain_transport(found["Policy"]),
                    "versioning": found["Versioning"],
                    **_lifecycle(found["LifecycleRules"]),
                    "logging_target": (found["Logging"] or {}).get("DestinationBucketName"),
                    "log_delivery": name in log_delivery,
                },
            )
        )
    return out


def secret_resources(secrets, prefix: str, max_age_days: dict | None = None) -> list[dict]:
    """Each secret under ``prefix`` with its key; a secret with a maximum age (by its name after the
    prefix) also with ``age_days``, the age of its current value (its AWSCURRENT version's CreatedDate)."""
    out = []
    now = datetime.now(UTC)
    for s in live_reads.secrets(secrets, prefix):
        after = {"id": s["Name"], "key_id": key_id(s.get("KmsKeyId"))}
        if s["Name"][len(prefix) + 1 :] in (max_age_days or {}):
            current = stages(live_reads.secret_versions(secrets, s["Name"])).get(CURRENT, {})
            after["age_days"] = age_days(current.get("CreatedDate"), now)
        out.append(resource("aws_secretsmanager_secret", s["Name"], after))
    return out


def log_group_resources(logs, prefix: str) -> list[dict]:
    return [
        resource(
            "aws_cloudwatch_log_group",
            g["logGroupName"],
            {
                "id": g["logGroupName"],
                "key_id": key_id(g.get("kmsKeyId")),
                "retention_in_days": g.get("retentionInDays"),
            },
        )
        for g in live_reads.log_groups(logs, prefix)
    ]


def _queue_resource(found: dict | None, name: str) -> dict:
    if found is None:
        return resource("aws_sqs_queue", name, {"id": name, "missing": True})
    redrive = found.get("RedrivePolicy") or {}
    return resource(
        "aws_sqs_queue",
        name,
        {
            "id": name,
            "arn": found.get("QueueArn"),
            "key_id": key_id(found.get("KmsMasterKeyId")),
            "policy": found.get("Policy") or {},
            "dead_letter_target": redrive.get("deadLetterTargetArn"),
        },
    )


def dag_events_resources(sqs, s3, events: dict) -> list[dict]:
    """The DAG-events queue and its dead-letter queue (key, policy, redrive) and the DAGs bucket's
    notifications. ``events``: queue_name, dlq_name, bucket, prefix, account_id."""
    queue = _queue_resource(live_reads.queue(sqs, events["queue_name"]), events["queue_name"])
    dlq = _queue_resource(live_reads.queue(sqs, events["dlq_name"]), events["dlq_name"])
    queue["change"]["after"].update(
        role="dag_events", source_bucket=events["bucket"], account=events["account_id"]
    )
    dlq["change"]["after"]["role"] = "dag_events_dlq"
    configs = live_reads.bucket_notifications(s3, events["bucket"]).get("QueueConfigurations", [])
    notification = {
        "id": events["bucket"],
        "prefix": events["prefix"],
        "queues": [
            {
                "queue_arn": c["QueueArn"],
                "events": sorted(c.get("Events", [])),
                "prefix": next(
                    (
                        r["Value"]
                        for r in c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
                        if r["Name"].lower() == "prefix"
                    ),
                    "",
                ),
            }
            for c in configs
        ],
    }
    return [queue, dlq, resource("aws_s3_bucket_notification", events["bucket"], notification)]
