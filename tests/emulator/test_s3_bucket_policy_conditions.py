"""The emulator's S3 applies a bucket policy statement only when its conditions hold
(local_aws/extensions/s3_bucket_policy_conditions.py): the data role's DenyWithoutTLS lets TLS
clients read and write, while a Deny whose condition holds still refuses."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from local_aws.extensions.s3_bucket_policy_conditions import condition_holds

BUCKET = "policy-test"


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _deny(condition=None, resource=f"arn:aws:s3:::{BUCKET}/*", principal="*", sid="D"):
    statement = {"Sid": sid, "Effect": "Deny", "Principal": principal, "Action": "s3:*", "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.fixture
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint.url)
    client.create_bucket(Bucket=BUCKET)
    return client


def _status(call) -> int:
    try:
        call()
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def _put_get(s3, key="a/b.txt") -> tuple[int, int]:
    put = _status(lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"x"))
    get = _status(lambda: s3.get_object(Bucket=BUCKET, Key=key))
    return put, get


def test_deny_without_tls_lets_tls_clients_write_and_read(s3):
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_policy(
            _deny(
                {"Bool": {"aws:SecureTransport": "false"}},
                resource=[f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            )
        ),
    )
    assert _put_get(s3) == (200, 200)


def test_a_deny_whose_condition_holds_refuses(s3):
    s3.put_object(Bucket=BUCKET, Key="a/b.txt", Body=b"x")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy(_deny({"Bool": {"aws:SecureTransport": "true"}})))
    assert _put_get(s3) == (403, 403)


def test_an_unconditional_deny_covers_only_its_resources(s3):
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy(_deny(resource=f"arn:aws:s3:::{BUCKET}/secret/*")))
    assert _put_get(s3, "secret/x") == (403, 403)
    assert _put_get(s3, "open/x") == (200, 200)


def test_a_deny_for_a_named_principal_is_not_applied_to_an_unknown_caller(s3):
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=_policy(_deny(principal={"AWS": "arn:aws:iam::123456789012:role/other"}))
    )
    assert _put_get(s3) == (200, 200)


@pytest.mark.parametrize(
    ("operator", "key", "wanted", "holds"),
    [
        ("Bool", "aws:SecureTransport", "false", False),
        ("Bool", "aws:securetransport", "TRUE", True),
        ("StringEquals", "aws:SourceVpce", "vpce-1", False),  # key missing: positive operator false
        ("StringNotEquals", "aws:SourceVpce", "vpce-1", True),  # key missing: negated operator true
        ("StringEqualsIfExists", "aws:SourceVpce", "vpce-1", True),
        ("Null", "aws:SourceVpce", "true", True),
        ("Null", "aws:SecureTransport", "true", False),
        ("StringLike", "aws:SecureTransport", ["fa*", "tr*"], True),
        ("StringNotLike", "aws:SecureTransport", "tr*", False),
        ("NumericLessThan", "aws:SecureTransport", "1", True),  # not evaluated, as moto
    ],
)
def test_condition_operators(operator, key, wanted, holds):
    assert condition_holds(operator, key, wanted, {"aws:securetransport": "true"}) is holds
