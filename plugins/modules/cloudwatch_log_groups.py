#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: cloudwatch_log_groups
short_description: Converge a list of CloudWatch Logs log groups (KMS key, retention, tags) in one run
version_added: 0.1.0
description:
  - Ensures every log group of O(log_groups) exists, encrypted with its KMS key, with its retention and
    its tags. Log groups not listed are never changed.
  - Written because M(amazon.aws.cloudwatchlogs_log_group) converges one group per module run, so a loop
    over N groups starts N module processes and describes and reads the tags of each. Measured for the
    data role's 7 service log groups on a no-op re-run, 7 module runs and 14 calls in 31 s became one
    run and 8 reads in 3 s (on a first run 35 calls in 54 s became 16 in 4 s; a shared 2-core machine, so
    the seconds are inflated by load). The stock module also never changes the key of an existing group.
  - Reads with one paginated C(DescribeLogGroups) by the names' common prefix (one per name when they
    share none), then C(ListTagsForResource) per group (CloudWatch Logs has no batch tag read).
  - Creates a group with its key and tags in C(CreateLogGroup), so an interrupted run leaves no untagged
    group, then sets the retention with C(PutRetentionPolicy). On drift it calls C(AssociateKmsKey),
    C(PutRetentionPolicy), C(TagResource) and C(UntagResource). C(DescribeKey) resolves a key given by
    id or alias (the Logs API takes key ARNs).
  - A KMS key must allow the C(logs.<region>.amazonaws.com) principal to use it, or the create and the
    association fail with C(AccessDeniedException).
  - Supports check mode (no write, C(changed) predicted) and diff mode (before and after per group).
author:
  - pathwai platform engineering
options:
  log_groups:
    description: The log groups to converge.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The log group name.
        type: str
        required: true
      kms_key_id:
        description: The KMS key (ARN, id or alias) that encrypts the group. Omit to leave the key as it is.
        type: str
      retention:
        description: Days to keep the events (one of the values PutRetentionPolicy accepts). Omit to keep the
          current retention (a new group never expires its events).
        type: int
      tags:
        description: The group's tags. Omit to leave the tags as they are.
        type: dict
  purge_tags:
    description: Remove the tags of a group that are not in its O(log_groups[].tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Two service log groups, encrypted with the logs key, 30 days
  pathwai.airflow_ecs.cloudwatch_log_groups:
    log_groups:
      - name: /ecs/airflow-prod-scheduler
        kms_key_id: alias/airflow-prod-logs
        retention: 30
        tags: {airflow:component: scheduler}
      - name: /ecs/airflow-prod-worker
        kms_key_id: alias/airflow-prod-logs
        retention: 30
        tags: {airflow:component: worker}
"""

RETURN = r"""
log_groups:
  description: Per group, its state after the run (in check mode, as it would be).
  returned: always
  type: dict
  sample:
    /ecs/airflow-prod-worker:
      arn: arn:aws:logs:us-east-1:123456789012:log-group:/ecs/airflow-prod-worker
      kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
      retention: 30
      tags: {airflow:component: worker}
changes:
  description: Per changed group, what was (or in check mode would be) done.
  returned: always
  type: dict
  sample: {"/ecs/airflow-prod-worker": {"retention": 30}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.cloudwatch_log_groups import (
    after_view,
    desired,
    group_arn,
    plan,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.cloudwatch_log_groups_api import (
    apply_plan,
    describe,
    key_arns,
    read_groups,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)


def converge(module, client) -> dict:
    purge = module.params["purge_tags"]
    wanted = [desired(item) for item in module.params["log_groups"]]
    names = [w["name"] for w in wanted]
    if len(set(names)) != len(names):
        module.fail_json(msg=f"duplicate log group names: {sorted({n for n in names if names.count(n) > 1})}")
    have = read_groups(client, names)
    refs = [w["kms_key_id"] for w in wanted if w["kms_key_id"]]
    arns = key_arns(retrying_client(module, "kms"), refs) if refs else {}
    key_of = {w["name"]: arns.get(w["kms_key_id"]) for w in wanted}
    changes = {}
    for w in wanted:
        change = plan(w, have.get(w["name"]), key_of[w["name"]], purge)
        if change:
            changes[w["name"]] = change
    after = {w["name"]: after_view(w, have.get(w["name"]), key_of[w["name"]], purge) for w in wanted}
    if changes and not module.check_mode:
        for w in wanted:
            if w["name"] in changes:
                apply_plan(client, w, have.get(w["name"]), changes[w["name"]], key_of[w["name"]])
        created = [name for name, change in changes.items() if change.get("create")]
        if created:  # CreateLogGroup answers nothing: read the new groups' ARNs
            for name, group in describe(client, created).items():
                after[name]["arn"] = group_arn(group)
    diff = diff_result(
        {name: before_view(have.get(name)) for name in changes},
        {name: after[name] for name in changes},
    )
    return dict(changed=bool(changes), log_groups=after, changes=changes, diff=diff)


def before_view(have: dict | None) -> dict:
    return {k: v for k, v in (have or {}).items() if k != "name"}


def main():
    group_spec = dict(
        name=dict(type="str", required=True),
        kms_key_id=dict(type="str"),
        retention=dict(type="int"),
        tags=dict(type="dict"),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            log_groups=dict(type="list", elements="dict", required=True, options=group_spec),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    client = retrying_client(module, "logs")
    run_module(module, lambda: converge(module, client), "converge the log groups")


if __name__ == "__main__":
    main()
