"""The emulator's S3 delivers event notifications to SQS as AWS does
(local_aws/extensions/s3_event_notifications_sqs.py): only with a queue policy admitting the bucket
and a KMS key S3 may use, checked by the test event on configuration; records in S3's shape, the
delete marker of a versioned bucket included; the prefix filter applied."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

BUCKET = "notify-test"
ACCOUNT = "123456789012"
EVENTS = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]


def _queue_policy(queue_arn: str, bucket_arn: str = f"arn:aws:s3:::{BUCKET}", account: str = ACCOUNT) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": bucket_arn},
                        "StringEquals": {"aws:SourceAccount": account},
                    },
                }
            ],
        }
    )


def _key_policy(s3_allowed: bool) -> str:
    statements = [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if s3_allowed:
        statements.append(
            {
                "Sid": "S3Notifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def clients(aws_endpoint):
    made = {name: boto3.client(name, endpoint_url=aws_endpoint.url) for name in ("s3", "sqs", "kms")}
    made["s3"].create_bucket(Bucket=BUCKET)
    return made


def _queue(sqs, name="events", policy=True, key_id=None, bucket_arn=f"arn:aws:s3:::{BUCKET}"):
    attributes = {"KmsMasterKeyId": key_id} if key_id else {}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if policy:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _queue_policy(arn, bucket_arn)})
    return url, arn


def _configure(s3, arn, prefix="dev/", rule="prefix"):
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "dags",
                    "QueueArn": arn,
                    "Events": EVENTS,
                    "Filter": {"Key": {"FilterRules": [{"Name": rule, "Value": prefix}]}},
                }
            ]
        },
    )


def _bodies(sqs, url) -> list[dict]:
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _records(sqs, url) -> list[dict]:
    return [r for body in _bodies(sqs, url) for r in body.get("Records", [])]


def test_configuration_sends_a_test_event_in_s3s_shape(clients):
    url, arn = _queue(clients["sqs"])
    _configure(clients["s3"], arn)
    (event,) = _bodies(clients["sqs"], url)
    assert event["Service"] == "Amazon S3" and event["Event"] == "s3:TestEvent"
    assert event["Bucket"] == BUCKET and event["RequestId"] and event["HostId"] and event["Time"]


def test_records_have_s3s_shape_and_the_prefix_filter_holds(clients):
    s3, sqs = clients["s3"], clients["sqs"]
    url, arn = _queue(sqs)
    _configure(s3, arn)
    _bodies(sqs, url)
    s3.put_object(Bucket=BUCKET, Key="dev/my dag+1.py", Body=b"x = 1\n")
    s3.put_object(Bucket=BUCKET, Key="prod/other.py", Body=b"x = 2\n")
    s3.copy_object(Bucket=BUCKET, Key="dev/copy.py", CopySource={"Bucket": BUCKET, "Key": "dev/my dag+1.py"})
    s3.delete_object(Bucket=BUCKET, Key="dev/copy.py")
    created, copied, removed = _records(sqs, url)
    assert created["eventName"] == "ObjectCreated:Put"
    assert created["s3"]["object"]["key"] == "dev/my+dag%2B1.py"
    assert unquote_plus(created["s3"]["object"]["key"]) == "dev/my dag+1.py"
    assert created["s3"]["object"]["size"] == 6 and created["s3"]["object"]["eTag"]
    assert created["s3"]["configurationId"] == "dags"
    assert created["s3"]["bucket"] == {
        "name": BUCKET,
        "ownerIdentity": {"principalId": f"AWS:{ACCOUNT}"},
        "arn": f"arn:aws:s3:::{BUCKET}",
    }
    for field in (
        "eventVersion",
        "eventSource",
        "awsRegion",
        "eventTime",
        "userIdentity",
        "requestParameters",
    ):
        assert field in created
    assert set(created["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert copied["eventName"] == "ObjectCreated:Copy" and copied["s3"]["object"]["key"] == "dev/copy.py"
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert set(removed["s3"]["object"]) == {"key", "sequencer"}  # no size or eTag on removal
    sequencers = [r["s3"]["object"]["sequencer"] for r in (created, copied, removed)]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3


def test_a_versioned_bucket_reports_the_delete_marker(clients):
    s3, sqs = clients["s3"], clients["sqs"]
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    url, arn = _queue(sqs)
    _configure(s3, arn)
    put = s3.put_object(Bucket=BUCKET, Key="dev/a.py", Body=b"a")
    s3.delete_object(Bucket=BUCKET, Key="dev/a.py")
    s3.put_object(Bucket=BUCKET, Key="dev/b.py", Body=b"b")
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "dev/b.py"}]})
    _, marker, _, batch_marker = _records(sqs, url)
    assert marker["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert marker["s3"]["object"]["key"] == "dev/a.py"
    assert marker["s3"]["object"]["versionId"] not in (None, put["VersionId"])
    assert batch_marker["eventName"] == "ObjectRemoved:DeleteMarkerCreated"


def test_a_queue_without_a_policy_for_s3_fails_validation_and_keeps_the_old_configuration(clients):
    s3, sqs = clients["s3"], clients["sqs"]
    _, good = _queue(sqs, "good")
    _configure(s3, good)
    _, closed = _queue(sqs, "closed", policy=False)
    with pytest.raises(ClientError, match="Unable to validate the following destination configurations"):
        _configure(s3, closed)
    _, other_bucket = _queue(sqs, "other", bucket_arn="arn:aws:s3:::someone-elses")
    with pytest.raises(ClientError, match="Unable to validate"):
        _configure(s3, other_bucket)
    (kept,) = s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]
    assert kept["QueueArn"] == good


def test_a_kms_queue_receives_only_with_a_customer_key_s3_may_use(clients):
    s3, sqs, kms = clients["s3"], clients["sqs"], clients["kms"]
    usable = kms.create_key(Policy=_key_policy(True))["KeyMetadata"]["Arn"]
    closed = kms.create_key(Policy=_key_policy(False))["KeyMetadata"]["Arn"]
    url, arn = _queue(sqs, "usable", key_id=usable)
    _configure(s3, arn)
    s3.put_object(Bucket=BUCKET, Key="dev/a.py", Body=b"a")
    assert [r["eventName"] for r in _records(sqs, url)] == ["ObjectCreated:Put"]
    for name, key in (("closed", closed), ("managed", "alias/aws/sqs")):
        _, arn = _queue(sqs, name, key_id=key)
        with pytest.raises(ClientError, match="Unable to validate"):
            _configure(s3, arn)


def test_a_policy_removed_later_drops_the_events(clients):
    s3, sqs = clients["s3"], clients["sqs"]
    url, arn = _queue(sqs)
    _configure(s3, arn)
    _bodies(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    s3.put_object(Bucket=BUCKET, Key="dev/a.py", Body=b"a")
    assert _bodies(sqs, url) == []


def test_filter_rule_names_in_any_case_are_answered_capitalized_and_applied(clients):
    s3, sqs = clients["s3"], clients["sqs"]
    url, arn = _queue(sqs)
    _configure(s3, arn, rule="Prefix")
    (config,) = s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "dev/"}]
    _bodies(sqs, url)
    s3.put_object(Bucket=BUCKET, Key="prod/a.py", Body=b"a")
    s3.put_object(Bucket=BUCKET, Key="dev/a.py", Body=b"a")
    assert [r["s3"]["object"]["key"] for r in _records(sqs, url)] == ["dev/a.py"]


def test_the_queues_delivery_delay_holds_the_events_back(clients):
    s3, sqs = clients["s3"], clients["sqs"]
    url, arn = _queue(sqs)
    _configure(s3, arn)
    _bodies(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "900"})
    s3.put_object(Bucket=BUCKET, Key="dev/a.py", Body=b"a")
    names = ["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    assert counts == {"ApproximateNumberOfMessagesDelayed": "1", "ApproximateNumberOfMessages": "0"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    s3.put_object(Bucket=BUCKET, Key="dev/b.py", Body=b"b")
    assert [r["s3"]["object"]["key"] for r in _records(sqs, url)] == ["dev/b.py"]


def test_set_queue_attributes_keeps_the_policy_it_does_not_name(clients):
    sqs = clients["sqs"]
    url, arn = _queue(sqs)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "60"})
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(policy) == json.loads(_queue_policy(arn))
