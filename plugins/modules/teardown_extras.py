#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: teardown_extras
short_description: Remove KMS aliases and unaliased keys, scalable targets, dashboards; stop running ECS tasks
version_added: 0.1.0
description:
  - The deletions C(playbooks/destroy.yml) needs that no stock module does.
    M(amazon.aws.kms_key) with O(amazon.aws.kms_key#module:state=absent) schedules the key's deletion
    but leaves its aliases (they keep pointing at a key pending deletion and block re-creating the
    environment under the same names); M(community.aws.application_autoscaling_policy) deletes
    policies but never deregisters the scalable target; and neither collection manages CloudWatch
    dashboards.
  - Each listed item is removed when it exists and ignored when it does not, so the task is safe to
    re-run on a half-destroyed environment.
  - O(unaliased_keys) schedules the deletion of customer-managed keys that carry the tag
    C(<alias_tag>=<alias>) for one of the given aliases but that no alias points at, which is what a run
    stopped between C(CreateKey) and C(CreateAlias) leaves (M(pathwai.airflow_ecs.kms_keys) tags
    every key with its intended alias in the C(CreateKey) call). Keys already pending deletion are
    left alone.
  - O(cluster_tasks) stops every task still running in that ECS cluster (AWS refuses to delete a
    cluster with running tasks, for example a one-off task started by a run that was stopped while
    it ran); nothing happens when the cluster does not exist.
  - Supports check mode (reports what would be removed) and diff mode.
  - Calls used are C(ListTasks), C(StopTask), C(ListAliases), C(DeleteAlias), C(ListKeys), C(ListResourceTags), C(DescribeKey),
    C(ScheduleKeyDeletion), C(DescribeScalableTargets),
    C(DeregisterScalableTarget), C(ListDashboards), C(DeleteDashboards) (reads paginated).
author:
  - pathwai platform engineering
options:
  cluster_tasks:
    description: The ECS cluster whose running tasks are stopped (see the description).
    type: str
  kms_aliases:
    description: KMS alias names to delete (C(alias/) is added when missing). The keys are untouched.
    type: list
    elements: str
    default: []
  unaliased_keys:
    description:
      - Alias names (C(alias/) is added when missing) whose unaliased, tagged keys are scheduled for
        deletion (see the description).
    type: list
    elements: str
    default: []
  alias_tag:
    description: The tag key that names a key's intended alias (as M(pathwai.airflow_ecs.kms_keys) sets it).
    type: str
    default: "airflow:alias"
  pending_window:
    description: Days before KMS deletes a key scheduled by O(unaliased_keys) (7-30).
    type: int
    default: 30
  scalable_targets:
    description: Application Auto Scaling targets to deregister (AWS deletes their scaling policies too).
    type: list
    elements: dict
    default: []
    suboptions:
      service_namespace:
        description: The namespace, for example C(ecs).
        type: str
        required: true
      resource_id:
        description: The resource, for example C(service/airflow-dev/airflow-dev-worker).
        type: str
        required: true
      scalable_dimension:
        description: The dimension, for example C(ecs:service:DesiredCount).
        type: str
        required: true
  dashboards:
    description: CloudWatch dashboard names to delete.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Remove what the stock modules leave behind
  pathwai.airflow_ecs.teardown_extras:
    kms_aliases: [alias/airflow-dev-rds, alias/airflow-dev-logs]
    scalable_targets:
      - service_namespace: ecs
        resource_id: service/airflow-dev/airflow-dev-worker
        scalable_dimension: ecs:service:DesiredCount
    dashboards: [airflow-dev]

- name: Schedule the deletion of keys an interrupted run created but never aliased
  pathwai.airflow_ecs.teardown_extras:
    unaliased_keys: [alias/airflow-dev-rds, alias/airflow-dev-logs]
    pending_window: 7
"""

RETURN = r"""
removed:
  description: What was removed (in check mode, what would be), by kind.
  returned: always
  type: dict
  contains:
    cluster_tasks: {description: ARNs of the tasks stopped., type: list, elements: str, returned: always}
    kms_aliases: {description: Alias names., type: list, elements: str, returned: always}
    unaliased_keys: {description: IDs of the keys scheduled for deletion., type: list, elements: str, returned: always}
    scalable_targets: {description: Targets as given., type: list, elements: dict, returned: always}
    dashboards: {description: Dashboard names., type: list, elements: str, returned: always}
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.kms_keys_api import find_orphans
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.teardown_extras import (
    present_aliases,
    present_dashboards,
    present_targets,
)


def remove_aliases(module, wanted: list[str]) -> list[str]:
    if not wanted:
        return []
    client = retrying_client(module, "kms")
    found = present_aliases(wanted, paginate(client, "list_aliases").get("Aliases", []))
    if not module.check_mode:
        for name in found:
            client.delete_alias(AliasName=name, aws_retry=True)
    return found


def stop_tasks(module, cluster: str | None) -> list[str]:
    if not cluster:
        return []
    client = retrying_client(module, "ecs")
    try:
        tasks = paginate(client, "list_tasks", cluster=cluster, desiredStatus="RUNNING").get("taskArns", [])
    except is_boto3_error_code("ClusterNotFoundException"):
        return []
    if not module.check_mode:
        for task in tasks:
            client.stop_task(cluster=cluster, task=task, reason="Environment destroyed", aws_retry=True)
    return tasks


def remove_unaliased_keys(module, wanted: list[str]) -> list[str]:
    if not wanted:
        return []
    client = retrying_client(module, "kms")
    missing = {name if name.startswith("alias/") else f"alias/{name}" for name in wanted}
    aliased = {a.get("TargetKeyId") for a in paginate(client, "list_aliases").get("Aliases", [])}
    found = find_orphans(client, missing, aliased, module.params["alias_tag"])
    metas = [meta for pairs in found.values() for meta, _tags in pairs]
    keys = sorted(meta["KeyId"] for meta in metas if meta.get("KeyState") != "PendingDeletion")
    if not module.check_mode:
        for key in keys:
            client.schedule_key_deletion(
                KeyId=key, PendingWindowInDays=module.params["pending_window"], aws_retry=True
            )
    return keys


def remove_targets(module, wanted: list[dict]) -> list[dict]:
    if not wanted:
        return []
    client = retrying_client(module, "application-autoscaling")
    registered = []
    for namespace in sorted({target["service_namespace"] for target in wanted}):
        ids = [target["resource_id"] for target in wanted if target["service_namespace"] == namespace]
        page = paginate(client, "describe_scalable_targets", ServiceNamespace=namespace, ResourceIds=ids)
        registered += page.get("ScalableTargets", [])
    found = present_targets(wanted, registered)
    if not module.check_mode:
        for target in found:
            client.deregister_scalable_target(
                ServiceNamespace=target["service_namespace"],
                ResourceId=target["resource_id"],
                ScalableDimension=target["scalable_dimension"],
                aws_retry=True,
            )
    return found


def remove_dashboards(module, wanted: list[str]) -> list[str]:
    if not wanted:
        return []
    client = retrying_client(module, "cloudwatch")
    found = present_dashboards(wanted, paginate(client, "list_dashboards").get("DashboardEntries", []))
    if found and not module.check_mode:
        client.delete_dashboards(DashboardNames=found, aws_retry=True)
    return found


def main():
    target = dict(
        service_namespace=dict(type="str", required=True),
        resource_id=dict(type="str", required=True),
        scalable_dimension=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_tasks=dict(type="str"),
            kms_aliases=dict(type="list", elements="str", default=[], no_log=False),
            unaliased_keys=dict(type="list", elements="str", default=[], no_log=False),
            alias_tag=dict(type="str", default="airflow:alias", no_log=False),
            pending_window=dict(type="int", default=30),
            scalable_targets=dict(type="list", elements="dict", options=target, default=[]),
            dashboards=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )

    def work():
        removed = {
            "cluster_tasks": stop_tasks(module, module.params["cluster_tasks"]),
            "kms_aliases": remove_aliases(module, module.params["kms_aliases"]),
            "unaliased_keys": remove_unaliased_keys(module, module.params["unaliased_keys"]),
            "scalable_targets": remove_targets(module, module.params["scalable_targets"]),
            "dashboards": remove_dashboards(module, module.params["dashboards"]),
        }
        changed = any(removed.values())
        result = dict(changed=changed, removed=removed)
        if changed:
            result["diff"] = diff_result(removed, {kind: [] for kind in removed})
        return result

    run_module(module, work, "remove the KMS aliases, scalable targets or dashboards")


if __name__ == "__main__":
    main()
