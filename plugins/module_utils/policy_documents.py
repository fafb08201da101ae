# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Policy statements several layers write the same way: TLS-only access to a bucket or queue, and the trust
policy of a role an AWS service assumes for this account only (confused-deputy conditions)."""

from __future__ import annotations

# S3 Block Public Access, all four settings on (CloudFormation's PublicAccessBlockConfiguration).
PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def deny_without_tls(action: str, resource) -> dict:
    """Deny ``action`` on ``resource`` (an ARN or a list) to every request that does not use TLS."""
    return {
        "Sid": "DenyWithoutTLS",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_statement(bucket: str) -> dict:
    """Deny every request to ``bucket`` and its objects that does not use TLS."""
    return deny_without_tls("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])


def service_trust_policy(service: str, account_id: str, source_arn: str | None = None) -> dict:
    """``service`` (``ecs-tasks.amazonaws.com``, ...) may assume the role for ``account_id`` only
    (``aws:SourceAccount``), and for ``source_arn`` only when given (``aws:SourceArn``, ArnLike)."""
    condition: dict = {"StringEquals": {"aws:SourceAccount": str(account_id)}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }
