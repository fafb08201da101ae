#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: efs_file_system
short_description: Manage an encrypted EFS file system, its mount targets, policies and tags
version_added: 0.1.0
description:
  - Creates, updates or deletes one Amazon EFS file system, identified by its O(name) (the creation
    token, also written to the C(Name) tag).
  - Written because M(community.aws.efs) has no elastic throughput, backup policy or file-system policy,
    and reads tags with the deprecated C(DescribeTags) API.
  - On an existing file system, throughput changes use C(UpdateFileSystem), lifecycle rules
    C(PutLifecycleConfiguration), automatic backups C(PutBackupPolicy), the resource policy
    C(PutFileSystemPolicy), mount-target security groups C(ModifyMountTargetSecurityGroups), tags
    C(TagResource)/C(UntagResource). Settings that AWS fixes at creation (encryption, KMS key, performance
    mode, One Zone placement) fail with a message when they differ; the file system is never replaced.
  - O(state=absent) deletes the mount targets, waits until they are gone, then deletes the file system.
  - Supports check mode and diff mode.
  - Calls used are C(DescribeFileSystems), C(DescribeLifecycleConfiguration), C(DescribeBackupPolicy),
    C(DescribeFileSystemPolicy), C(DescribeMountTargets), C(DescribeMountTargetSecurityGroups),
    C(ListTagsForResource), C(CreateFileSystem), C(UpdateFileSystem), C(PutLifecycleConfiguration),
    C(PutBackupPolicy), C(PutFileSystemPolicy), C(CreateMountTarget), C(DeleteMountTarget),
    C(ModifyMountTargetSecurityGroups), C(TagResource), C(UntagResource), C(DeleteFileSystem), and
    C(kms:DescribeKey) only to resolve a O(kms_key_id) given as an alias. A new file system is waited for
    from C(creating) to C(available); throttled calls are retried.
author:
  - pathwai platform engineering
options:
  name:
    description:
      - The file system's name, used as its creation token and its C(Name) tag (a C(Name) in O(tags) is overridden).
    type: str
    required: true
  state:
    description: Whether the file system should exist.
    type: str
    choices: [present, absent]
    default: present
  encrypted:
    description:
      - Encryption at rest. Must be V(true); an unencrypted file system is refused, and an existing
        unencrypted one fails the task (encryption can only be chosen at creation).
    type: bool
    default: true
  kms_key_id:
    description:
      - The customer-managed KMS key (key id, key ARN, alias name or alias ARN). Omit for the AWS managed
        key C(aws/elasticfilesystem). Create-only.
    type: str
  performance_mode:
    description: The performance mode. Create-only.
    type: str
    choices: [generalPurpose, maxIO]
    default: generalPurpose
  availability_zone_name:
    description: Create a One Zone file system in this Availability Zone. Omit for Regional (Multi-AZ). Create-only.
    type: str
  throughput_mode:
    description:
      - The throughput mode. Omit to keep the current mode (AWS creates C(bursting) when omitted).
      - C(elastic) is not available with O(performance_mode=maxIO).
    type: str
    choices: [bursting, provisioned, elastic]
  provisioned_throughput_in_mibps:
    description: Provisioned throughput in MiB/s; required when O(throughput_mode=provisioned), ignored otherwise.
    type: float
  lifecycle:
    description:
      - The whole lifecycle configuration. Omit to leave it alone; a key set to V(null) (or omitted) means
        no such transition, so V({}) removes every rule.
    type: dict
    suboptions:
      transition_to_ia:
        description:
          - Move files not accessed for this long to Infrequent Access, or V(null) for no such rule.
          - One of C(AFTER_1_DAY), C(AFTER_7_DAYS), C(AFTER_14_DAYS), C(AFTER_30_DAYS), C(AFTER_60_DAYS),
            C(AFTER_90_DAYS), C(AFTER_180_DAYS), C(AFTER_270_DAYS), C(AFTER_365_DAYS) (checked by the module,
            so that V(null) is accepted).
        type: str
      transition_to_primary_storage_class:
        description: C(AFTER_1_ACCESS) moves a file back to Standard storage on its first access; V(null) for no rule.
        type: str
      transition_to_archive:
        description:
          - Move files not accessed for this long to Archive (elastic throughput only), or V(null) for no rule.
            Same values as O(lifecycle.transition_to_ia).
        type: str
  backup:
    description: Automatic backups with AWS Backup (C(PutBackupPolicy) ENABLED or DISABLED). Omit to leave alone.
    type: bool
  policy:
    description:
      - The file-system (resource) policy as a dict, for example one that denies C(aws:SecureTransport=false)
        and grants C(elasticfilesystem:ClientMount)/C(ClientWrite)/C(ClientRootAccess) to given roles.
      - Omit to leave the current policy alone. Compared as IAM reads it (a one-element list equals its element).
    type: dict
  mount_targets:
    description:
      - The complete set of mount targets, one per subnet (and at most one per Availability Zone). Missing
        ones are created, others deleted, security groups corrected. Omit to leave mount targets alone.
    type: list
    elements: dict
    suboptions:
      subnet_id:
        description: The subnet of the mount target.
        type: str
        required: true
      security_groups:
        description: Security groups of the mount target (at most 5; empty means the VPC's default group).
        type: list
        elements: str
        default: []
  wait:
    description:
      - Wait until new mount targets are C(available) and a deleted file system is gone. A new file system is
        always waited for before mount targets, lifecycle, backup or policy are set on it.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait, for each wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: DAG file system, elastic throughput, CMK, TLS-only policy, mount targets in two AZs
  pathwai.airflow_ecs.efs_file_system:
    name: airflow-prod-dags
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555
    throughput_mode: elastic
    lifecycle:
      transition_to_ia: AFTER_30_DAYS
      transition_to_primary_storage_class: AFTER_1_ACCESS
    backup: true
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: DenyInsecureTransport
          Effect: Deny
          Principal: {AWS: "*"}
          Action: "*"
          Condition: {Bool: {"aws:SecureTransport": "false"}}
        - Sid: AirflowTasks
          Effect: Allow
          Principal: {AWS: [arn:aws:iam::123456789012:role/airflow-prod-task]}
          Action: [elasticfilesystem:ClientMount, elasticfilesystem:ClientWrite, elasticfilesystem:ClientRootAccess]
    mount_targets:
      - {subnet_id: subnet-aaaa, security_groups: [sg-efs]}
      - {subnet_id: subnet-bbbb, security_groups: [sg-efs]}
    tags:
      airflow:env: prod
      airflow:component: efs

- name: Delete it (mount targets first)
  pathwai.airflow_ecs.efs_file_system:
    name: airflow-prod-dags
    state: absent
"""

RETURN = r"""
file_system_id: {description: The file system id (null in check mode before creation)., returned: when present, type: str, sample: fs-0123456789abcdef0}
arn: {description: The file system ARN., returned: when present, type: str}
dns_name: {description: "C(<id>.efs.<region>.amazonaws.com).", returned: when present, type: str}
name: {description: The creation token and Name tag., returned: always, type: str}
life_cycle_state: {description: The file system state., returned: when present, type: str, sample: available}
encrypted: {description: Encryption at rest., returned: when present, type: bool}
kms_key_id: {description: The KMS key ARN., returned: when present, type: str}
performance_mode: {description: The performance mode., returned: when present, type: str}
availability_zone_name: {description: The One Zone AZ (null when Regional)., returned: when present, type: str}
throughput_mode: {description: The throughput mode., returned: when present, type: str, sample: elastic}
provisioned_throughput_in_mibps: {description: Provisioned throughput (provisioned mode only)., returned: when present, type: float}
lifecycle:
  description: The lifecycle rules (null for an absent rule).
  returned: when present
  type: dict
  sample: {transition_to_ia: AFTER_30_DAYS, transition_to_primary_storage_class: AFTER_1_ACCESS, transition_to_archive: null}
backup: {description: Whether automatic backups are on., returned: when present, type: bool}
policy: {description: The file-system policy (null for the default policy)., returned: when present, type: dict}
mount_targets:
  description: The mount targets, sorted by subnet.
  returned: when present
  type: list
  elements: dict
  contains:
    mount_target_id: {description: The mount target id., type: str}
    subnet_id: {description: The subnet., type: str}
    availability_zone_name: {description: The AZ., type: str}
    ip_address: {description: The mount target's address., type: str}
    life_cycle_state: {description: Its state., type: str}
    security_groups: {description: Its security groups., type: list, elements: str}
tags: {description: Tags., returned: when present, type: dict}
changes:
  description: The changes made to an existing file system (or planned, in check mode), one key per API call.
  returned: when an existing file system changed
  type: dict
  sample: {update_file_system: {ThroughputMode: elastic}, backup: ENABLED}
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs import (
    create_file_system_request,
    create_only_conflicts,
    desired_file_system,
    normalise_file_system,
    plan_file_system,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs_api import (
    find_file_system,
    read_state,
    wait_file_system_available,
    wait_file_system_deleted,
    wait_mount_targets_available,
    wait_mount_targets_gone,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_list

AGE_RULES = [
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
]
LIFECYCLE_RULES = {
    "transition_to_ia": AGE_RULES,
    "transition_to_primary_storage_class": ["AFTER_1_ACCESS"],
    "transition_to_archive": AGE_RULES,
}


def resolve_kms_alias(module, key_id: str | None) -> str | None:
    """An alias (name or ARN) resolved to its key ARN; other forms are compared as given."""
    if not key_id or "alias/" not in key_id:
        return key_id
    kms = retrying_client(module, "kms")
    return kms.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]["Arn"]


def apply_plan(module, client, file_system_id: str, plan: dict) -> None:
    """Make the calls of ``plan`` (see ``efs.plan_file_system``), in a safe order."""
    timeout = module.params["wait_timeout"]
    if "update_file_system" in plan:
        client.update_file_system(FileSystemId=file_system_id, **plan["update_file_system"], aws_retry=True)
        wait_file_system_available(client, file_system_id, timeout)
    if "lifecycle" in plan:
        client.put_lifecycle_configuration(
            FileSystemId=file_system_id, LifecyclePolicies=plan["lifecycle"], aws_retry=True
        )
    if "backup" in plan:
        client.put_backup_policy(
            FileSystemId=file_system_id, BackupPolicy={"Status": plan["backup"]}, aws_retry=True
        )
    if "policy" in plan:
        client.put_file_system_policy(
            FileSystemId=file_system_id, Policy=json.dumps(plan["policy"], sort_keys=True), aws_retry=True
        )
    tags = plan.get("tags", {})
    if tags.get("remove"):
        client.untag_resource(ResourceId=file_system_id, TagKeys=tags["remove"], aws_retry=True)
    if tags.get("set"):
        client.tag_resource(ResourceId=file_system_id, Tags=tags_list(tags["set"]), aws_retry=True)
    mounts = plan.get("mount_targets", {})
    for mount_target_id in mounts.get("delete", []):
        client.delete_mount_target(MountTargetId=mount_target_id, aws_retry=True)
    if mounts.get("delete") and mounts.get("create"):
        # A new mount target may take the AZ of a deleted one: it must be gone first.
        wait_mount_targets_gone(client, file_system_id, mounts["delete"], timeout)
    for target in mounts.get("create", []):
        request = {"FileSystemId": file_system_id, "SubnetId": target["subnet_id"]}
        if target["security_groups"]:
            request["SecurityGroups"] = target["security_groups"]
        client.create_mount_target(**request, aws_retry=True)
    for mount_target_id, groups in sorted(mounts.get("security_groups", {}).items()):
        client.modify_mount_target_security_groups(
            MountTargetId=mount_target_id, SecurityGroups=groups, aws_retry=True
        )
    if mounts.get("create") and module.params["wait"]:
        wait_mount_targets_available(client, file_system_id, timeout)


def ensure_present(module, client, region: str, fs: dict | None) -> dict:
    params = module.params
    if fs is None:
        planned = desired_file_system(params, None, region)
        if module.check_mode:
            return dict(changed=True, **planned, diff=diff_result({}, planned))
        try:
            created = client.create_file_system(**create_file_system_request(params), aws_retry=True)
        except is_boto3_error_code("FileSystemAlreadyExists"):
            created = find_file_system(client, params["name"])  # a retried create that had succeeded
        fs_id = created["FileSystemId"]
        created = wait_file_system_available(client, fs_id, params["wait_timeout"])
        fresh = normalise_file_system(
            created,
            region,
            lifecycle=[],
            backup_status="ENABLED" if params.get("backup") else None,
            tags=created.get("Tags"),
        )
        plan = plan_file_system(fresh, desired_file_system(params, fresh, region))
        plan.pop("tags", None)  # set by CreateFileSystem
        apply_plan(module, client, fs_id, plan)
        after = read_state(client, wait_file_system_available(client, fs_id, params["wait_timeout"]), region)
        return dict(changed=True, **after, diff=diff_result({}, after))

    before = read_state(client, fs, region)
    problems = create_only_conflicts(before, params, resolve_kms_alias(module, params.get("kms_key_id")))
    if problems:
        module.fail_json(msg="Cannot change create-only settings: " + "; ".join(problems), **before)
    desired = desired_file_system(params, before, region)
    plan = plan_file_system(before, desired)
    if not plan:
        return dict(changed=False, **before)
    if module.check_mode:
        return dict(changed=True, **desired, changes=plan, diff=diff_result(before, desired))
    apply_plan(module, client, before["file_system_id"], plan)
    latest = find_file_system(client, params["name"])
    after = read_state(client, latest, region)
    return dict(changed=True, **after, changes=plan, diff=diff_result(before, after))


def ensure_absent(module, client, region: str, fs: dict | None) -> dict:
    if fs is None:
        return dict(changed=False, name=module.params["name"])
    before = read_state(client, fs, region)
    if module.check_mode:
        return dict(changed=True, **before, diff=diff_result(before, {}))
    fs_id = before["file_system_id"]
    timeout = module.params["wait_timeout"]
    ids = [m["mount_target_id"] for m in before["mount_targets"]]
    for mount_target_id in ids:
        client.delete_mount_target(MountTargetId=mount_target_id, aws_retry=True)
    if ids:
        wait_mount_targets_gone(client, fs_id, ids, timeout)
    client.delete_file_system(FileSystemId=fs_id, aws_retry=True)
    if module.params["wait"]:
        wait_file_system_deleted(client, fs_id, timeout)
    return dict(changed=True, **before, diff=diff_result(before, {}))


def validate(module) -> None:
    params = module.params
    if params["state"] != "present":
        return
    if not params["encrypted"]:
        module.fail_json(
            msg="encrypted must be true: every EFS file system of this platform is encrypted at rest"
        )
    if params.get("throughput_mode") == "provisioned" and not params.get("provisioned_throughput_in_mibps"):
        module.fail_json(msg="throughput_mode=provisioned needs provisioned_throughput_in_mibps")
    if params.get("throughput_mode") == "elastic" and params["performance_mode"] == "maxIO":
        module.fail_json(msg="elastic throughput is not available with performance_mode=maxIO")
    for key, allowed in LIFECYCLE_RULES.items():
        value = (params.get("lifecycle") or {}).get(key)
        if value is not None and value not in allowed:
            module.fail_json(
                msg=f"lifecycle.{key} must be null or one of {', '.join(allowed)}, not {value!r}"
            )
    subnets = [t["subnet_id"] for t in params.get("mount_targets") or []]
    if len(subnets) != len(set(subnets)):
        module.fail_json(msg="mount_targets lists a subnet more than once")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        encrypted=dict(type="bool", default=True),
        kms_key_id=dict(type="str"),
        performance_mode=dict(type="str", choices=["generalPurpose", "maxIO"], default="generalPurpose"),
        availability_zone_name=dict(type="str"),
        throughput_mode=dict(type="str", choices=["bursting", "provisioned", "elastic"]),
        provisioned_throughput_in_mibps=dict(type="float"),
        lifecycle=dict(
            type="dict",
            options=dict(
                transition_to_ia=dict(type="str"),
                transition_to_primary_storage_class=dict(type="str"),
                transition_to_archive=dict(type="str"),
            ),
        ),
        backup=dict(type="bool"),
        policy=dict(type="dict"),
        mount_targets=dict(
            type="list",
            elements="dict",
            options=dict(
                subnet_id=dict(type="str", required=True),
                security_groups=dict(type="list", elements="str", default=[]),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    client = retrying_client(module, "efs")
    region = module.region

    def work():
        fs = find_file_system(client, module.params["name"])
        if module.params["state"] == "present":
            result = ensure_present(module, client, region, fs)
        else:
            result = ensure_absent(module, client, region, fs)
        return result

    run_module(module, work, f"manage the EFS file system {module.params['name']}")


if __name__ == "__main__":
    main()
