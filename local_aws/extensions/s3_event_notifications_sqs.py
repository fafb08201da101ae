"""S3 -> SQS event notifications delivered as AWS delivers them.

moto 5.2.5 already sends an S3 event to a configured queue (server mode included), filters by
event name and ``prefix``/``suffix`` and sends ``s3:TestEvent`` on
PutBucketNotificationConfiguration. Where it departs from AWS
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html,
".../ways-to-add-notification-config-to-bucket.html", ".../grant-destinations-permissions-to-s3.html"):

- **Delete markers**: deleting an object of a versioned bucket without a version id creates a
  delete marker, for which S3 sends ``ObjectRemoved:DeleteMarkerCreated``; moto sends nothing
  (our DAGs bucket is versioned, so every DAG deleted would go unnoticed).
- **Message shape**: the record lacks ``userIdentity``, ``requestParameters``,
  ``responseElements``, ``bucket.ownerIdentity``, ``object.sequencer`` and ``object.versionId``
  (versioned buckets); removal events carry ``size``/``eTag``, which S3 leaves out; the key is
  URL-encoded with ``/`` as ``%2F``, where S3 encodes it form-style but keeps the ``/``
  (``dev/my dag.py`` -> ``dev/my+dag.py``). The test event lacks ``RequestId``/``HostId``.
- **Permissions**: S3 sends only if the queue policy lets ``s3.amazonaws.com`` call
  ``sqs:SendMessage`` on the queue for this bucket (the statement's conditions are evaluated
  with ``aws:SourceArn`` = the bucket's ARN and ``aws:SourceAccount`` = its owner), and, for a
  queue encrypted with a KMS key, only if that is a customer managed key whose policy lets
  ``s3.amazonaws.com`` use ``kms:GenerateDataKey`` and ``kms:Decrypt`` (S3 cannot use the AWS
  managed ``alias/aws/sqs``; the key policy's conditions see ``aws:SourceAccount``,
  ``aws:SourceArn`` and SQS's encryption context ``kms:EncryptionContext:aws:sqs:arn``). moto
  delivered regardless.
- **Filter rules**: S3 takes ``prefix``/``suffix`` in any case, an empty value included, and
  answers ``Prefix``/``Suffix`` (what community.aws.s3_bucket_notification sends and compares);
  moto crashed (HTTP 500) on ``Prefix`` or an empty value and matched lower case only.
- **Validation**: PutBucketNotificationConfiguration sends the test event to every queue and
  fails with ``InvalidArgument`` "Unable to validate the following destination configurations"
  (the configuration unchanged) when one cannot be delivered; later events that cannot be
  delivered are dropped, as S3's delivery is asynchronous.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import secrets
from typing import Any
from urllib.parse import quote_plus

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.s3 import notifications
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeBucket, Notification, S3Backend
from moto.s3.responses import S3Response

from local_aws.extensions.s3_bucket_policy_conditions import _listed, _matches, condition_holds

S3_SERVICE = "s3.amazonaws.com"
REMOVED = "s3:ObjectRemoved:"
DELETE_MARKER_CREATED = "s3:ObjectRemoved:DeleteMarkerCreated"
_sequence = itertools.count(1)


class UnableToValidateDestinations(S3ClientError):
    def __init__(self, arns: list[str]) -> None:
        super().__init__(
            "InvalidArgument",
            "Unable to validate the following destination configurations: " + ", ".join(arns),
        )


def encoded_key(name: str) -> str:
    """The object key as S3 writes it in an event: form-encoded, ``/`` kept."""
    return quote_plus(name, safe="/")


def _ids() -> dict[str, Any]:
    return {"x-amz-request-id": secrets.token_hex(8).upper(), "x-amz-id-2": secrets.token_urlsafe(48)}


def s3_event(event_name: str, bucket: FakeBucket, key: Any, notification_id: str) -> dict[str, Any]:
    """One event message (one record) in the shape S3 sends."""
    obj: dict[str, Any] = {"key": encoded_key(key.name)}
    if not event_name.startswith(REMOVED):
        obj["size"] = key.size
        obj["eTag"] = key.etag.replace('"', "")
    if bucket.is_versioned and getattr(key, "version_id", None):
        obj["versionId"] = str(key.version_id)
    obj["sequencer"] = f"{next(_sequence):016X}"
    owner = f"AWS:{bucket.account_id}"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": bucket.region_name,
                "eventTime": iso_8601_datetime_with_milliseconds(),
                "eventName": event_name.removeprefix("s3:"),
                "userIdentity": {"principalId": owner},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": _ids(),
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": notification_id,
                    "bucket": {
                        "name": bucket.name,
                        "ownerIdentity": {"principalId": owner},
                        "arn": bucket.arn,
                    },
                    "object": obj,
                },
            }
        ]
    }


def test_event(bucket: FakeBucket) -> dict[str, Any]:
    ids = _ids()
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": iso_8601_datetime_with_milliseconds(),
        "Bucket": bucket.name,
        "RequestId": ids["x-amz-request-id"],
        "HostId": ids["x-amz-id-2"],
    }


def _service_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return principal.get("AWS") == "*" or S3_SERVICE in _listed(principal.get("Service", []))
    return False


def policy_allows(policy: Any, actions: list[str], resource: str, context: dict[str, str]) -> bool:
    """Whether a resource policy lets S3 (the service principal) perform every one of ``actions``
    on ``resource`` in ``context``: an Allow whose conditions hold, and no such Deny."""
    if not policy:
        return False
    document = json.loads(policy) if isinstance(policy, str | bytes) else policy
    statements = _listed(document.get("Statement", []))
    lowered = {k.lower(): v for k, v in context.items()}

    def applies(statement: dict, action: str) -> bool:
        if not _service_principal(statement.get("Principal")):
            return False
        if "NotAction" in statement:
            if _matches(statement["NotAction"], action, ignore_case=True):
                return False
        elif not _matches(statement.get("Action", []), action, ignore_case=True):
            return False
        if not _matches(statement.get("Resource", "*"), resource):
            return False
        return all(
            condition_holds(operator, key, wanted, lowered)
            for operator, pairs in (statement.get("Condition") or {}).items()
            for key, wanted in pairs.items()
        )

    for action in actions:
        hits = [s for s in statements if applies(s, action)]
        if not hits or any(s.get("Effect") == "Deny" for s in hits):
            return False
    return True


def _queue(arn: str):
    """The queue of ``arn`` in its own account and region (None when it does not exist)."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account_id, name = arn.split(":")
    return sqs_backends[account_id][region].queues.get(name)


def _key_usable(account_id: str, queue, context: dict[str, str]) -> bool:
    key_id = getattr(queue, "kms_master_key_id", None)
    if not key_id:
        return True
    from moto.kms.models import kms_backends

    backend = kms_backends[account_id][queue.region]
    try:
        key = backend.describe_key(key_id)
    except Exception:  # a key that does not exist cannot be used
        return False
    if key.key_manager != "CUSTOMER" or key.key_state != "Enabled":
        return False
    # SQS asks KMS for the data key with the queue as encryption context.
    context = {**context, "kms:EncryptionContext:aws:sqs:arn": queue.queue_arn}
    return policy_allows(key.policy, ["kms:GenerateDataKey", "kms:Decrypt"], key.arn, context)


def deliverable(account_id: str, bucket: FakeBucket, arn: str):
    """The queue ``arn`` when S3 may send to it for ``bucket`` (it exists, its policy admits S3 for
    this bucket and account, and S3 can use its KMS key), else None."""
    queue = _queue(arn)
    if queue is None:
        return None
    context = {"aws:SourceArn": bucket.arn, "aws:SourceAccount": bucket.account_id}
    if not policy_allows(queue.policy, ["sqs:SendMessage"], queue.queue_arn, context):
        return None
    return queue if _key_usable(account_id, queue, context) else None


def _send(account_id: str, bucket: FakeBucket, arn: str, body: dict) -> bool:
    queue = deliverable(account_id, bucket, arn)
    if queue is None:
        return False
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[queue.account_id][queue.region]
    backend.send_message(queue_name=queue.name, message_body=json.dumps(body))
    return True


class _WithoutQueues:
    """``bucket`` as moto's own senders see it: its notification configuration without the queues
    (sent above). A view per call, not a change to the shared bucket: the server is threaded."""

    def __init__(self, bucket: Any):
        self._bucket = bucket
        self.notification_configuration = copy.copy(bucket.notification_configuration)
        self.notification_configuration.queue = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bucket, name)


def send_event(account_id: str, event_name: str, bucket: Any, key: Any) -> None:
    """moto's send_event with the queue branch replaced (lambda, SNS and EventBridge as moto has them)."""
    config = bucket.notification_configuration
    if config is None:
        return
    for notification in config.queue:
        if notification.matches(event_name, key.name):
            _send(account_id, bucket, notification.arn, s3_event(event_name, bucket, key, notification.id))
    _original_send_event(account_id, event_name, _WithoutQueues(bucket), key)


def send_test_event(account_id: str, bucket: Any) -> None:
    arns = list(dict.fromkeys(n.arn for n in bucket.notification_configuration.queue))
    failed = [arn for arn in arns if not _send(account_id, bucket, arn, test_event(bucket))]
    if failed:
        raise UnableToValidateDestinations(failed)
    _original_send_test_event(account_id, _WithoutQueues(bucket))


def set_notification_configuration(self: FakeBucket, notification_config: dict[str, Any] | None) -> None:
    previous = self.notification_configuration
    try:
        _original_set_notification_configuration(self, notification_config)
    except UnableToValidateDestinations:
        self.notification_configuration = previous
        raise


def delete_object(
    self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None, bypass=False
):
    """moto's delete_object, plus the ``ObjectRemoved:DeleteMarkerCreated`` event S3 sends."""
    result = _original_delete_object(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
    deleted, meta = result
    if deleted and version_id is None and meta.get("delete-marker") == "true":
        bucket = self.get_bucket(bucket_name)
        marker = bucket.keys.get(key_name)
        if marker is not None:
            notifications.send_event(self.account_id, DELETE_MARKER_CREATED, bucket, marker)
    return result


RULE_NAME = re.compile(r"<Name>\s*(prefix|suffix)\s*</Name>", re.IGNORECASE)
EMPTY_VALUE = re.compile(r"<Value\s*/>|<Value>\s*</Value>")
EMPTY = "__local_aws_empty_filter_value__"


def notification_config_from_body(self: S3Response) -> dict[str, Any]:
    """moto's parser, with filter rule names taken in any case and kept as S3 answers them."""
    body = self.body.decode() if isinstance(self.body, bytes) else self.body
    body = RULE_NAME.sub(lambda m: f"<Name>{m.group(1).lower()}</Name>", body)
    self.body = EMPTY_VALUE.sub(f"<Value>{EMPTY}</Value>", body).encode()
    config = _original_notification_config_from_body(self)
    for kind in ("Topic", "Queue", "CloudFunction"):
        for entry in config.get(f"{kind}Configuration") or []:
            for rule in ((entry.get("Filter") or {}).get("S3Key") or {}).get("FilterRule") or []:
                rule["Name"] = rule["Name"].capitalize()
                rule["Value"] = "" if rule["Value"] == EMPTY else rule["Value"]
    return config


def key_matches(self: Notification, key_name: str) -> bool:
    if "S3Key" not in self.filters:
        return True
    rules = {f["Name"].lower(): f["Value"] for f in self.filters["S3Key"]["FilterRule"]}
    return key_name.startswith(rules.get("prefix", "")) and key_name.endswith(rules.get("suffix", ""))


_original_notification_config_from_body = S3Response._notification_config_from_body
_original_send_event = notifications.send_event
_original_send_test_event = notifications.send_test_event
_original_set_notification_configuration = FakeBucket.set_notification_configuration
_original_delete_object = S3Backend.delete_object


def apply() -> None:
    notifications.send_event = send_event
    notifications.send_test_event = send_test_event
    FakeBucket.set_notification_configuration = set_notification_configuration
    S3Backend.delete_object = delete_object
    S3Response._notification_config_from_body = notification_config_from_body
    Notification._key_matches = key_matches
