#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: s3_bucket_logging
short_description: Converge S3 server access logging of a list of buckets in one run
version_added: 0.1.0
description:
  - Ensures each bucket of O(buckets) delivers its server access logs to O(buckets[].target_bucket)
    under O(buckets[].target_prefix), or logs nowhere when O(buckets[].target_bucket) is empty.
  - Written because C(community.aws.s3_logging) grants the C(LogDelivery) group FULL_CONTROL in the
    target bucket's ACL, which a bucket with C(BucketOwnerEnforced) object ownership (ACLs
    disabled) refuses; AWS's documented alternative, used here, is a target-bucket policy allowing
    C(s3:PutObject) to the C(logging.s3.amazonaws.com) service principal, which this module expects
    to be in place already (C(PutBucketLogging) fails with C(InvalidTargetBucketForLogging)
    otherwise). It also converges every bucket in one run instead of one process per bucket.
  - S3 delivers server access logs only to a target bucket whose default encryption is SSE-S3
    (C(AES256)), in the same account and Region.
  - Reads with C(GetBucketLogging) per bucket and writes with C(PutBucketLogging) only what differs.
  - Supports check mode and diff mode.
author:
  - pathwai platform engineering
options:
  buckets:
    description: The buckets whose logging to converge.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The source bucket.
        type: str
        required: true
      target_bucket:
        description: The bucket that receives the logs; empty turns logging off.
        type: str
        default: ""
      target_prefix:
        description: The key prefix of the log objects (for example C(dags/)).
        type: str
        default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log requests to the DAGs and task-logs buckets
  pathwai.airflow_ecs.s3_bucket_logging:
    buckets:
      - {name: pathwai-airflow3-dags-prod, target_bucket: pathwai-airflow3-s3-access-logs-prod, target_prefix: dags/}
      - {name: pathwai-airflow3-logs-prod, target_bucket: pathwai-airflow3-s3-access-logs-prod, target_prefix: logs/}

- name: Stop logging one bucket
  pathwai.airflow_ecs.s3_bucket_logging:
    buckets:
      - {name: pathwai-airflow3-logs-prod, target_bucket: ""}
"""

RETURN = r"""
buckets:
  description: Bucket name -> its logging after the run (C(target_bucket), C(target_prefix); empty when off).
  returned: always
  type: dict
  sample: {pathwai-airflow3-dags-prod: {target_bucket: pathwai-airflow3-s3-access-logs-prod, target_prefix: dags/}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)


def read_logging(client, name: str) -> dict:
    """A bucket's logging as ``{target_bucket, target_prefix}`` (both empty when it logs nowhere)."""
    found = client.get_bucket_logging(Bucket=name, aws_retry=True).get("LoggingEnabled") or {}
    return {"target_bucket": found.get("TargetBucket", ""), "target_prefix": found.get("TargetPrefix", "")}


def wanted_logging(item: dict) -> dict:
    if not item["target_bucket"]:
        return {"target_bucket": "", "target_prefix": ""}
    return {"target_bucket": item["target_bucket"], "target_prefix": item["target_prefix"] or ""}


def logging_status(wanted: dict) -> dict:
    """The PutBucketLogging ``BucketLoggingStatus`` for ``wanted`` (an empty status turns it off)."""
    if not wanted["target_bucket"]:
        return {}
    return {
        "LoggingEnabled": {"TargetBucket": wanted["target_bucket"], "TargetPrefix": wanted["target_prefix"]}
    }


def converge(module, client) -> dict:
    before, after = {}, {}
    for item in module.params["buckets"]:
        name, wanted = item["name"], wanted_logging(item)
        before[name] = read_logging(client, name)
        after[name] = wanted
        if before[name] != wanted and not module.check_mode:
            client.put_bucket_logging(Bucket=name, BucketLoggingStatus=logging_status(wanted), aws_retry=True)
    changed = before != after
    result = dict(changed=changed, buckets=after)
    if changed:
        result["diff"] = diff_result(before, after)
    return result


def main():
    argument_spec = dict(
        buckets=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                target_bucket=dict(type="str", default=""),
                target_prefix=dict(type="str", default=""),
            ),
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "s3")
    run_module(module, lambda: converge(module, client), "converge S3 server access logging")


if __name__ == "__main__":
    main()
