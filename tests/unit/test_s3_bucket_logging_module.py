"""pathwai.airflow_ecs.s3_bucket_logging against the emulator: S3 refuses a target bucket whose policy
does not let the logging service write (no ACL grant is made), logging is set through the
access-log bucket's policy from the data filter, check mode writes nothing, a re-run writes nothing,
an empty target turns it off."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import s3_access_log_bucket_policy
from conftest import ModuleFailed

SOURCE, TARGET = "src-dags", "src-access-logs"
WANTED = [{"name": SOURCE, "target_bucket": TARGET, "target_prefix": "dags/"}]


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    return module_aws_endpoint


@pytest.fixture(scope="module")
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    for name in (SOURCE, TARGET):
        client.create_bucket(Bucket=name)
    return client


def _writes(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def test_logging_needs_the_target_policy_then_converges_once(module_runner, s3, aws_endpoint):
    with pytest.raises(ModuleFailed, match="InvalidTargetBucketForLogging"):
        module_runner("s3_bucket_logging", {"buckets": WANTED})
    account = boto3.client(
        "sts", endpoint_url=aws_endpoint.url, region_name="us-east-1"
    ).get_caller_identity()
    # Emulator extension s3_logging_target_policy: the policy is read as IAM reads it (the "*"
    # principal of DenyWithoutTLS crashed moto), conditions included: another source is refused.
    other = s3_access_log_bucket_policy(TARGET, account["Account"], ["another-bucket"])
    s3.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(other))
    with pytest.raises(ModuleFailed, match="InvalidTargetBucketForLogging"):
        module_runner("s3_bucket_logging", {"buckets": WANTED})
    policy = s3_access_log_bucket_policy(TARGET, account["Account"], [SOURCE])
    s3.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(policy))

    aws_endpoint.reset_calls()
    planned = module_runner("s3_bucket_logging", {"buckets": WANTED}, check_mode=True)
    assert planned["changed"] and _writes(aws_endpoint) == []
    done = module_runner("s3_bucket_logging", {"buckets": WANTED})
    assert done["changed"] and done["diff"]["before"] == {SOURCE: {"target_bucket": "", "target_prefix": ""}}
    assert s3.get_bucket_logging(Bucket=SOURCE)["LoggingEnabled"] == {
        "TargetBucket": TARGET,
        "TargetPrefix": "dags/",
    }
    assert (
        s3.get_bucket_acl(Bucket=TARGET)["Grants"] == s3.get_bucket_acl(Bucket=SOURCE)["Grants"]
    )  # no ACL grant

    aws_endpoint.reset_calls()
    again = module_runner("s3_bucket_logging", {"buckets": WANTED})
    assert not again["changed"] and _writes(aws_endpoint) == []

    off = module_runner("s3_bucket_logging", {"buckets": [{"name": SOURCE, "target_bucket": ""}]})
    assert off["changed"] and "LoggingEnabled" not in s3.get_bucket_logging(Bucket=SOURCE)
