#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: monitoring_targets_info
short_description: Find what the monitoring role alarms on and notifies through, in one run
version_added: 0.1.0
description:
  - Finds, by the names and tags the other roles give them, the KMS key of the alert topic, the worker's step
    scaling policies, the ALB and its api-server target group, the metadata database, the Redis nodes of the
    broker's replication group and the DAGs file system.
  - Never fails because something is missing; it returns empty values (and RV(missing) naming them) so the
    caller can stop with its own message.
  - Written because the monitoring role needed seven module runs for this (M(amazon.aws.kms_key_info),
    M(pathwai.airflow_ecs.application_autoscaling_policy_info), M(amazon.aws.elb_application_lb_info),
    M(community.aws.elb_target_group_info), M(amazon.aws.rds_instance_info), M(community.aws.elasticache_info),
    M(pathwai.airflow_ecs.efs_file_system_info)), about 0.7 s each, and the stock KMS and ElastiCache lookups
    read every key and every cache cluster of the account with their tags. This module makes one call per
    resource - C(ListAliases) and C(DescribeKey) for the key (found by its alias, as the kms role names it,
    enabled), C(DescribeScalingPolicies), C(DescribeLoadBalancers), C(DescribeTargetGroups),
    C(DescribeDBInstances), C(DescribeReplicationGroups) and C(DescribeFileSystems).
  - Read-only; runs the same in check mode.
author:
  - pathwai platform engineering
options:
  key_alias:
    description: The alias of the alert topic's KMS key (C(alias/...)).
    type: str
    required: true
  scaling_resource_id:
    description: The Application Auto Scaling resource of the step policies (C(service/<cluster>/<service>)).
    type: str
    required: true
  scaling_namespace:
    description: The Application Auto Scaling service namespace.
    type: str
    default: ecs
  policy_names:
    description: The step scaling policies to find.
    type: list
    elements: str
    required: true
  alb_name: {description: The load balancer name., type: str, required: true}
  target_group_name: {description: The target group name., type: str, required: true}
  db_instance_id: {description: The RDS instance identifier., type: str, required: true}
  replication_group_id: {description: The ElastiCache replication group id., type: str, required: true}
  efs_name: {description: The EFS file system's creation token., type: str, required: true}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find what the alarms watch
  pathwai.airflow_ecs.monitoring_targets_info:
    key_alias: alias/airflow-prod-sns
    scaling_resource_id: service/airflow-prod/airflow-prod-worker
    policy_names: [airflow-prod-worker-scale-out, airflow-prod-worker-scale-in]
    alb_name: airflow-prod-alb
    target_group_name: airflow-prod-api
    db_instance_id: airflow-prod-db
    replication_group_id: airflow-prod-redis
    efs_name: airflow-prod-dags
  register: targets
"""

RETURN = r"""
key_arn: {description: The enabled key's ARN, or empty., returned: always, type: str}
policy_arns:
  description: Policy name to ARN, for the policies of O(policy_names) found on O(scaling_resource_id).
  returned: always
  type: dict
alb_arn: {description: The load balancer ARN, or empty., returned: always, type: str}
target_group_arn: {description: The target group ARN, or empty., returned: always, type: str}
db_instance_id: {description: The DB instance identifier, or empty., returned: always, type: str}
db_allocated_storage_gib: {description: Its allocated storage in GiB (0 when missing)., returned: always, type: int}
redis_nodes: {description: The cache cluster ids of the replication group (sorted)., returned: always, type: list}
efs_id: {description: The file system id, or empty., returned: always, type: str}
efs_throughput_mode:
  description: Its throughput mode (C(bursting) when missing).
  returned: always
  type: str
missing: {description: What was not found, as words., returned: always, type: list, elements: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs_api import find_file_system
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.lookups import (
    alias_key_arn,
    load_balancer_arn,
    target_group_arn,
)


def find_policies(aas, params: dict) -> dict:
    listed = paginate(
        aas,
        "describe_scaling_policies",
        ServiceNamespace=params["scaling_namespace"],
        ResourceId=params["scaling_resource_id"],
        PolicyNames=params["policy_names"],
    ).get("ScalingPolicies", [])
    wanted = set(params["policy_names"])
    return {
        p["PolicyName"]: p["PolicyARN"]
        for p in listed
        if p["PolicyName"] in wanted and p.get("ResourceId") == params["scaling_resource_id"]
    }


def find_db(rds, identifier: str) -> dict:
    try:
        found = paginate(rds, "describe_db_instances", DBInstanceIdentifier=identifier).get("DBInstances", [])
    except is_boto3_error_code("DBInstanceNotFound"):
        return {}
    return found[0] if found else {}


def find_redis_nodes(cache, group_id: str) -> list:
    try:
        groups = paginate(cache, "describe_replication_groups", ReplicationGroupId=group_id).get(
            "ReplicationGroups", []
        )
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return []
    return sorted({node for g in groups for node in g.get("MemberClusters") or []})


def read(module) -> dict:
    params = module.params
    key_arn = alias_key_arn(retrying_client(module, "kms"), params["key_alias"])
    policies = find_policies(retrying_client(module, "application-autoscaling"), params)
    elb = retrying_client(module, "elbv2")
    alb_arn = load_balancer_arn(elb, params["alb_name"])
    tg_arn = target_group_arn(elb, params["target_group_name"])
    db = find_db(retrying_client(module, "rds"), params["db_instance_id"])
    nodes = find_redis_nodes(retrying_client(module, "elasticache"), params["replication_group_id"])
    fs = find_file_system(retrying_client(module, "efs"), params["efs_name"]) or {}
    result = dict(
        key_arn=key_arn,
        policy_arns=policies,
        alb_arn=alb_arn,
        target_group_arn=tg_arn,
        db_instance_id=db.get("DBInstanceIdentifier", ""),
        db_allocated_storage_gib=int(db.get("AllocatedStorage") or 0),
        redis_nodes=nodes,
        efs_id=fs.get("FileSystemId", ""),
        efs_throughput_mode=fs.get("ThroughputMode") or "bursting",
    )
    missing = [] if key_arn else [f"KMS key {params['key_alias']}"]
    missing += [f"scaling policy {n}" for n in params["policy_names"] if n not in policies]
    missing += [] if alb_arn else [f"ALB {params['alb_name']}"]
    missing += [] if tg_arn else [f"target group {params['target_group_name']}"]
    missing += [] if db else [f"DB instance {params['db_instance_id']}"]
    missing += [] if nodes else [f"Redis nodes of {params['replication_group_id']}"]
    missing += [] if fs else [f"EFS {params['efs_name']}"]
    result["missing"] = missing
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            key_alias=dict(type="str", required=True),
            scaling_resource_id=dict(type="str", required=True),
            scaling_namespace=dict(type="str", default="ecs"),
            policy_names=dict(type="list", elements="str", required=True),
            alb_name=dict(type="str", required=True),
            target_group_name=dict(type="str", required=True),
            db_instance_id=dict(type="str", required=True),
            replication_group_id=dict(type="str", required=True),
            efs_name=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda: dict(changed=False, **read(module)), "find what the monitoring role watches")


if __name__ == "__main__":
    main()
