#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: elasticache_replication_group
short_description: Manage an ElastiCache Redis/Valkey replication group (cluster mode disabled)
version_added: 0.1.0
description:
  - Creates, updates or deletes one ElastiCache replication group with cluster mode disabled (one node
    group of a primary and O(replicas_per_node_group) read replicas), with TLS, AUTH, at-rest encryption
    under a KMS key, automatic failover and Multi-AZ.
  - Written because no amazon.aws or community.aws module manages replication groups, and a single cache
    cluster can have neither replicas, failover, TLS nor AUTH.
  - Arguments are checked as AWS checks them, before any call is made - automatic failover needs at
    least one replica, Multi-AZ needs automatic failover, an AUTH token needs transit encryption (and
    16-128 printable characters without space, C("), C(/) or C(@)), a KMS key needs at-rest encryption.
  - On an existing group the modifiable settings (description, engine and engine version, node type,
    parameter group, security groups, automatic failover, Multi-AZ, snapshot retention and window,
    maintenance window) are compared in one pure function, and C(ModifyReplicationGroup) is called with
    C(ApplyImmediately=true) only with the settings that really differ. The replica count changes with
    C(IncreaseReplicaCount) / C(DecreaseReplicaCount); replicas are added before failover is turned on
    and removed after it is turned off. Between two such calls the module waits for the group to be
    C(available) again (AWS refuses a change while one is in progress), whatever O(wait) says.
  - Settings AWS cannot change in place - O(transit_encryption_enabled), O(at_rest_encryption_enabled),
    O(kms_key_id), O(cache_subnet_group_name), O(port) - make the module fail with a message naming them
    when they differ, rather than being ignored.
  - O(engine_version) C(7.1) is met by the C(7.1.x) AWS reports; C(6.x) by any C(6.*).
  - Supports check mode and diff mode. The AUTH token never appears in the result, the diff or a
    message; the result only says whether AUTH is enabled (RV(replication_group.auth_token_enabled)).
  - Calls used are C(DescribeReplicationGroups), C(DescribeCacheClusters) (for the settings that AWS
    reports per cache cluster), C(ListTagsForResource), C(CreateReplicationGroup),
    C(ModifyReplicationGroup), C(IncreaseReplicaCount), C(DecreaseReplicaCount),
    C(DeleteReplicationGroup), C(AddTagsToResource), C(RemoveTagsFromResource), and C(kms:DescribeKey)
    only to compare a O(kms_key_id) given as an alias. Throttled calls are retried.
author:
  - pathwai platform engineering
options:
  replication_group_id:
    description:
      - The group id - 1-40 lowercase letters, digits or hyphens, starting with a letter.
    type: str
    required: true
  description:
    description: The group's description. Required to create the group.
    type: str
  engine:
    description: The engine.
    type: str
    choices: [redis, valkey]
    default: redis
  engine_version:
    description:
      - The engine version, for example C(7.1). Omit for the AWS default on create and to leave it
        unchanged on update. A higher version upgrades the group in place.
    type: str
  node_type:
    description: The node type, for example C(cache.t4g.small). Required to create the group.
    type: str
  replicas_per_node_group:
    description:
      - Number of read replicas (0-5) besides the primary. Omit to leave an existing group's count alone
        (0 on create).
    type: int
  cache_parameter_group_name:
    description: The cache parameter group; omit for the family's default group on create.
    type: str
  cache_subnet_group_name:
    description: The cache subnet group (private subnets). Cannot be changed in place.
    type: str
  security_group_ids:
    description: VPC security groups of the nodes. Omit to leave them alone.
    type: list
    elements: str
  port:
    description: The port the nodes listen on. Cannot be changed in place.
    type: int
    default: 6379
  transit_encryption_enabled:
    description: TLS between clients and nodes. Cannot be changed in place by this module.
    type: bool
    default: true
  at_rest_encryption_enabled:
    description: Encryption of data on disk and of backups. Cannot be changed in place.
    type: bool
    default: true
  kms_key_id:
    description:
      - The KMS key (id, ARN or alias) for at-rest encryption; omit for the AWS managed key.
      - Cannot be changed in place.
    type: str
  auth_token:
    description:
      - The Redis AUTH token, used only when the group is created. Needs O(transit_encryption_enabled).
      - AWS never returns a token, so this module cannot tell whether the token of an existing group
        differs from this value, and it never rotates it (rotate with C(ModifyReplicationGroup),
        C(AuthTokenUpdateStrategy=ROTATE)). Giving a token for an existing group without AUTH fails.
    type: str
  automatic_failover_enabled:
    description:
      - Promote a replica when the primary fails. Needs at least one replica.
      - Omit to leave an existing group's setting alone (disabled on create).
    type: bool
  multi_az_enabled:
    description:
      - Place the replicas in other Availability Zones than the primary. Needs automatic failover.
      - Omit to leave an existing group's setting alone (disabled on create).
    type: bool
  snapshot_retention_limit:
    description: Days automatic snapshots are kept (0 turns them off). Omit to leave it alone.
    type: int
  snapshot_window:
    description: Daily UTC window for the automatic snapshot, for example C(03:00-04:00).
    type: str
  preferred_maintenance_window:
    description: Weekly UTC maintenance window, for example C(sun:05:00-sun:06:00).
    type: str
  state:
    description: Whether the group should exist.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until a new or modified group is C(available), or a deleted one is gone.
      - Polls with a delay that starts at 1 s and doubles up to 30 s.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 3600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Celery broker - primary and two replicas, TLS, AUTH, CMK, failover, Multi-AZ
  pathwai.airflow_ecs.elasticache_replication_group:
    replication_group_id: airflow-prod-redis
    description: Airflow Celery broker
    engine_version: "7.1"
    node_type: cache.r7g.large
    replicas_per_node_group: 2
    cache_parameter_group_name: airflow-prod-redis
    cache_subnet_group_name: airflow-prod-data
    security_group_ids: [sg-0123456789abcdef0]
    transit_encryption_enabled: true
    at_rest_encryption_enabled: true
    kms_key_id: alias/airflow-prod
    auth_token: "{{ redis_auth_token }}"
    automatic_failover_enabled: true
    multi_az_enabled: true
    snapshot_retention_limit: 7
    snapshot_window: "03:00-04:00"
    preferred_maintenance_window: "sun:05:00-sun:06:00"
    tags:
      airflow:env: prod
  no_log: true
  register: redis

- name: Broker URL (the token comes from Secrets Manager, never from the module)
  ansible.builtin.set_fact:
    redis_host: "{{ redis.replication_group.primary_endpoint.address }}"

- name: Delete the group
  pathwai.airflow_ecs.elasticache_replication_group:
    replication_group_id: airflow-dev-redis
    state: absent
"""

RETURN = r"""
replication_group:
  description: The group after the run (before it, when deleted; empty when absent). Never holds the token.
  returned: always
  type: dict
  contains:
    replication_group_id: {description: The group id., type: str, sample: airflow-prod-redis}
    description: {description: The description., type: str}
    status: {description: The group status., type: str, sample: available}
    arn: {description: The group ARN., type: str}
    engine: {description: The engine., type: str, sample: redis}
    engine_version: {description: The engine version AWS reports., type: str, sample: 7.1.0}
    node_type: {description: The node type., type: str}
    replicas_per_node_group: {description: Number of replicas., type: int, sample: 2}
    cache_parameter_group_name: {description: The parameter group., type: str}
    cache_subnet_group_name: {description: The subnet group., type: str}
    security_group_ids: {description: Security groups., type: list, elements: str}
    port: {description: The port., type: int, sample: 6379}
    transit_encryption_enabled: {description: TLS on., type: bool}
    at_rest_encryption_enabled: {description: At-rest encryption on., type: bool}
    kms_key_id: {description: The KMS key ARN., type: str}
    auth_token_enabled: {description: Whether AUTH is on (the token itself is never returned)., type: bool}
    automatic_failover_enabled: {description: Automatic failover on., type: bool}
    multi_az_enabled: {description: Multi-AZ on., type: bool}
    snapshot_retention_limit: {description: Snapshot retention in days., type: int}
    snapshot_window: {description: Snapshot window., type: str}
    preferred_maintenance_window: {description: Maintenance window., type: str}
    primary_endpoint:
      description: Where clients write.
      type: dict
      contains:
        address: {description: Host name., type: str, sample: master.airflow-prod-redis.abc123.use1.cache.amazonaws.com}
        port: {description: Port., type: int, sample: 6379}
    reader_endpoint:
      description: Where clients read (spread over the replicas).
      type: dict
      contains:
        address: {description: Host name., type: str}
        port: {description: Port., type: int}
    member_clusters: {description: The cache clusters (nodes), primary first., type: list, elements: str}
    tags: {description: Tags., type: dict}
changes:
  description: The calls made (or that would be made in check mode) on an existing group, in order.
  returned: when an existing group changed
  type: list
  elements: dict
  sample: [{ModifyReplicationGroup: {CacheNodeType: cache.r7g.xlarge}}]
"""


from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    WaitError,
    diff_result,
    poll,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.elasticache import (
    create_request,
    desired_view,
    diff_view,
    immutable_differences,
    kms_key_matches,
    normalise_group,
    plan,
    validate,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.elasticache_api import wait_for_group
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_dict

CALL_NAMES = {
    "increase_replica_count": "IncreaseReplicaCount",
    "modify_replication_group": "ModifyReplicationGroup",
    "decrease_replica_count": "DecreaseReplicaCount",
}


def describe_group(client, group_id: str) -> dict | None:
    try:
        return client.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)[
            "ReplicationGroups"
        ][0]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None


def read_group(client, group_id: str, group: dict | None = None) -> dict | None:
    """The normalised group: the group itself, its primary cache cluster, its tags."""
    group = group or describe_group(client, group_id)
    if group is None:
        return None
    cluster = None
    members = group.get("NodeGroups", [{}])[0].get("NodeGroupMembers") or []
    primary = next((m["CacheClusterId"] for m in members if m.get("CurrentRole") == "primary"), None)
    primary = primary or (group.get("MemberClusters") or [None])[0]
    if primary:
        try:
            cluster = client.describe_cache_clusters(CacheClusterId=primary, aws_retry=True)["CacheClusters"][
                0
            ]
        except is_boto3_error_code("CacheClusterNotFound"):
            cluster = None
    tags = {}
    if group.get("ARN") and group.get("Status") != "deleting":
        tags = tags_dict(
            client.list_tags_for_resource(ResourceName=group["ARN"], aws_retry=True).get("TagList")
        )
    return normalise_group(group, cluster, tags)


def wait_available(module, client, group_id: str) -> dict:
    try:
        return wait_for_group(client, group_id, module.params["wait_timeout"])
    except WaitError as e:
        module.fail_json(msg=str(e), status=(e.last or {}).get("Status"))


def wait_deleted(module, client, group_id: str) -> None:
    poll(
        lambda: describe_group(client, group_id),
        lambda group: group is None,
        module.params["wait_timeout"],
        f"replication group {group_id} to be deleted",
        max_delay=30.0,
    )


def resolve_kms_key(module, current: dict | None) -> None:
    """Compare an alias by the key it names (needs kms:DescribeKey); ids and ARNs compare as they are."""
    wanted = module.params["kms_key_id"]
    if not current or not wanted or "alias/" not in wanted or kms_key_matches(current["kms_key_id"], wanted):
        return
    kms = retrying_client(module, "kms")
    module.params["kms_key_id"] = kms.describe_key(KeyId=wanted, aws_retry=True)["KeyMetadata"]["Arn"]


def apply_tags(client, arn: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())], aws_retry=True
        )


def ensure_present(module, client, current: dict | None) -> dict:
    params = module.params
    group_id = params["replication_group_id"]
    if current is None:
        after = desired_view(params, None)
        if module.check_mode:
            return dict(changed=True, replication_group=after, diff=diff_result({}, diff_view(after)))
        group = client.create_replication_group(**create_request(params), aws_retry=True)["ReplicationGroup"]
        if params["wait"]:
            group = wait_available(module, client, group_id)
        result = read_group(client, group_id, group)
        return dict(changed=True, replication_group=result, diff=diff_result({}, diff_view(result)))

    if current["status"] == "deleting":
        module.fail_json(msg=f"Replication group {group_id} is being deleted; run again once it is gone")
    desired = desired_view(params, current)
    blocked = immutable_differences(current, desired)
    if blocked:
        module.fail_json(
            msg=f"Replication group {group_id}: AWS cannot change in place "
            + "; ".join(blocked)
            + ". Create a new group (or change it by hand) instead.",
            replication_group=current,
        )
    steps = plan(current, desired)
    to_set, to_remove = tag_changes(current["tags"], params["tags"], params["purge_tags"])
    changes = [{CALL_NAMES[call]: arg} for call, arg in steps]
    if not steps and not to_set and not to_remove:
        return dict(changed=False, replication_group=current)
    if module.check_mode:
        after = {**current, **desired}
        return dict(
            changed=True,
            replication_group=after,
            changes=changes,
            diff=diff_result(diff_view(current), diff_view(after)),
        )
    for index, (call, arg) in enumerate(steps):
        if index or current["status"] != "available":
            wait_available(module, client, group_id)  # AWS refuses a change while one is in progress
        if call == "modify_replication_group":
            client.modify_replication_group(
                ReplicationGroupId=group_id, ApplyImmediately=True, **arg, aws_retry=True
            )
        else:
            getattr(client, call)(
                ReplicationGroupId=group_id, NewReplicaCount=arg, ApplyImmediately=True, aws_retry=True
            )
    apply_tags(client, current["arn"], to_set, to_remove)
    group = wait_available(module, client, group_id) if params["wait"] and steps else None
    result = read_group(client, group_id, group)
    return dict(
        changed=True,
        replication_group=result,
        changes=changes,
        diff=diff_result(diff_view(current), diff_view(result)),
    )


def ensure_absent(module, client, current: dict | None) -> dict:
    group_id = module.params["replication_group_id"]
    if current is None:
        return dict(changed=False, replication_group={})
    if current["status"] == "deleting":
        if module.params["wait"] and not module.check_mode:
            wait_deleted(module, client, group_id)
        return dict(changed=False, replication_group=current)
    if not module.check_mode:
        if current["status"] != "available":
            wait_available(module, client, group_id)
        client.delete_replication_group(ReplicationGroupId=group_id, aws_retry=True)
        if module.params["wait"]:
            wait_deleted(module, client, group_id)
    return dict(changed=True, replication_group=current, diff=diff_result(diff_view(current), {}))


def main():
    argument_spec = dict(
        replication_group_id=dict(type="str", required=True),
        description=dict(type="str"),
        engine=dict(type="str", choices=["redis", "valkey"], default="redis"),
        engine_version=dict(type="str"),
        node_type=dict(type="str"),
        replicas_per_node_group=dict(type="int"),
        cache_parameter_group_name=dict(type="str"),
        cache_subnet_group_name=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        port=dict(type="int", default=6379),
        transit_encryption_enabled=dict(type="bool", default=True),
        at_rest_encryption_enabled=dict(type="bool", default=True),
        kms_key_id=dict(type="str"),
        auth_token=dict(type="str", no_log=True),
        automatic_failover_enabled=dict(type="bool"),
        multi_az_enabled=dict(type="bool"),
        snapshot_retention_limit=dict(type="int"),
        snapshot_window=dict(type="str"),
        preferred_maintenance_window=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "elasticache")
    group_id = module.params["replication_group_id"]

    def work():
        errors = validate({**module.params, "state": "absent"}, None)  # the id, before any call
        current = None if errors else read_group(client, group_id)
        errors = errors or validate(module.params, current)
        if errors:
            module.fail_json(msg=f"Invalid arguments for replication group {group_id}: " + "; ".join(errors))
        if module.params["state"] == "present":
            resolve_kms_key(module, current)
            result = ensure_present(module, client, current)
        else:
            result = ensure_absent(module, client, current)
        return result

    run_module(module, work, f"manage replication group {group_id}")


if __name__ == "__main__":
    main()
