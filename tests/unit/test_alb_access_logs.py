"""ALB access logs (issue 15): the access-log bucket's policy for the Region's log writer, preflight on
the new variables, and the audit's one exception to our own KMS key - read from the emulator by
airflow_audit: the marked access-log bucket on SSE-S3 passes, the same bucket unmarked (or the marked one
on another encryption) fails, and an ALB with access logs off fails."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.alb import access_log_bucket_policy, alb_problems
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

POLICIES_DIR = str(Path(__file__).resolve().parents[2] / "policies")


def test_older_regions_name_the_elb_account_newer_ones_the_service_principal():
    old = access_log_bucket_policy("b", "p-dev", "us-east-1", "123456789012")["Statement"][1]
    assert old["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert old["Resource"] == "arn:aws:s3:::b/p-dev/AWSLogs/123456789012/*"
    new = access_log_bucket_policy("b", "", "ap-southeast-5", "123456789012")["Statement"][1]
    assert new["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert new["Resource"] == "arn:aws:s3:::b/AWSLogs/123456789012/*"


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"access_logs_bucket_name": "Bad_Name"}, "alb_access_logs_bucket_name='Bad_Name' is not a valid S3"),
        ({"access_logs_prefix": "x/AWSLogs"}, "alb_access_logs_prefix='x/AWSLogs'"),
        ({"access_logs_expiration_days": 0}, "alb_access_logs_expiration_days='0' must be"),
    ],
)
def test_preflight_names_the_access_log_variable(change, expected):
    cfg = {
        "access_logs_bucket_name": "ok-bucket",
        "access_logs_prefix": "p",
        "access_logs_expiration_days": 90,
    }
    assert not [p for p in alb_problems(cfg) if "access_logs" in p]
    assert any(p.startswith(expected) for p in alb_problems({**cfg, **change}))


def _bucket(s3, name: str, sse: dict) -> None:
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": sse}]},
    )
    block = dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    )
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    policy = access_log_bucket_policy(name, "p", "us-east-1", "123456789012")
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def test_the_audit_allows_sse_s3_only_for_the_access_log_bucket(module_runner, aws_endpoint):
    s3 = boto3.client("s3", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    _bucket(s3, "t-alb-logs", {"SSEAlgorithm": "AES256"})
    _bucket(s3, "t-other", {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key})

    def audit(buckets, marked):
        args = {"env": "t", "name_prefix": "t", "policy_dir": POLICIES_DIR,
                "data": {"buckets": buckets, "log_delivery_buckets": marked}}  # fmt: skip
        return module_runner("airflow_audit", args)["findings"]

    assert not [f for f in audit(["t-alb-logs"], ["t-alb-logs"]) if "t-alb-logs" in f]
    unmarked = audit(["t-alb-logs"], [])
    expected = "SSE-S3 is allowed only for the log-delivery buckets (ALB and S3 access logs), not: "
    assert expected + "aws_s3_bucket.t-alb-logs" in unmarked
    on_kms = audit(["t-other"], ["t-other"])
    assert any(f.startswith("Log-delivery bucket must use SSE-S3") for f in on_kms), on_kms


def test_an_alb_with_access_logs_off_fails_the_audit():
    lb = {"address": "aws_lb.p-alb", "type": "aws_lb", "change": {"after": {"access_logs_enabled": "false"}}}
    document = {"required": {}, "name_prefix": "p", "resource_changes": [lb]}
    assert "ALB access logs are off: aws_lb.p-alb" in evaluate(load_policies(POLICIES_DIR), document)
    lb["change"]["after"]["access_logs_enabled"] = "true"
    assert "ALB access logs are off: aws_lb.p-alb" not in evaluate(load_policies(POLICIES_DIR), document)
