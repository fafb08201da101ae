"""S3: PutBucketLogging accepts a target bucket whose policy lets the logging service write, read the
way IAM reads a policy.

AWS's documented way to grant server access log delivery (and the only one when the target bucket
has ACLs disabled, ``BucketOwnerEnforced``) is a target-bucket policy statement allowing
``s3:PutObject`` to the ``logging.s3.amazonaws.com`` service principal, usually limited by
``aws:SourceArn`` (the source bucket) and ``aws:SourceAccount``. moto 5.2.5 reads the policy with
``stmt["Principal"].get("Service")``, so any other statement whose ``Principal`` is ``"*"`` (the
standard ``DenyWithoutTLS`` statement) crashes the request with HTTP 500, and it compares
``Resource`` as one exact string.

Here a statement grants delivery when its Effect is Allow, its ``Principal.Service`` (string or
list) names the logging service, its ``Action`` (string or list, wildcards) covers ``s3:PutObject``,
its ``Resource`` (string or list, wildcards) covers a log object under the target prefix, and its
conditions hold for the delivery's context (``aws:SourceArn`` = the source bucket's ARN,
``aws:SourceAccount`` = its account; operators as in ``s3_bucket_policy_conditions``). The ACL
grant to the LogDelivery group, moto's other accepted way, is kept; the region check is moto's.
"""

from __future__ import annotations

import json

from moto.s3.exceptions import CrossLocationLoggingProhibited, InvalidTargetBucketForLogging
from moto.s3.models import LOGGING_SERVICE_PRINCIPAL, FakeBucket

from .s3_bucket_policy_conditions import _listed, _matches, condition_holds


def grants_delivery(statement: dict, target, prefix: str, context: dict[str, str]) -> bool:
    principal = statement.get("Principal")
    services = _listed(principal.get("Service", [])) if isinstance(principal, dict) else []
    if statement.get("Effect") != "Allow" or LOGGING_SERVICE_PRINCIPAL not in services:
        return False
    if not _matches(statement.get("Action", []), "s3:PutObject", ignore_case=True):
        return False
    log_object = f"arn:{target.partition}:s3:::{target.name}/{prefix}log-object"
    if not _matches(statement.get("Resource", []), log_object):
        return False
    return all(
        condition_holds(operator, key, wanted, context)
        for operator, pairs in (statement.get("Condition") or {}).items()
        for key, wanted in pairs.items()
    )


def policy_grants_delivery(source, target, prefix: str) -> bool:
    if not target.policy:
        return False
    policy = json.loads(target.policy.decode() if isinstance(target.policy, bytes) else target.policy)
    context = {
        "aws:sourcearn": f"arn:{source.partition}:s3:::{source.name}",
        "aws:sourceaccount": str(source.account_id),
    }
    return any(grants_delivery(s, target, prefix, context) for s in _listed(policy.get("Statement", [])))


def set_logging(self, logging_config, bucket_backend) -> None:
    if not logging_config:
        self.logging = {}
        return
    target = bucket_backend.buckets.get(logging_config["TargetBucket"])
    if not target:
        raise InvalidTargetBucketForLogging("The target bucket for logging does not exist.")
    prefix = logging_config.get("TargetPrefix") or ""
    if not (
        policy_grants_delivery(self, target, prefix)
        or self._log_permissions_enabled_acl(target_bucket=target)
    ):
        raise InvalidTargetBucketForLogging(
            "You must either provide the necessary permissions to the logging service using a bucket "
            "policy or give the log-delivery group WRITE and READ_ACP permissions to the target bucket"
        )
    if target.region_name != self.region_name:
        raise CrossLocationLoggingProhibited()
    self.logging = logging_config


def apply() -> None:
    FakeBucket.set_logging = set_logging
