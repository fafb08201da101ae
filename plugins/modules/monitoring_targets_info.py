#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: monitoring_targets_info
short_description: Find what the monitoring role alarms on and notifies through, in one run
version_added: 0.1.0
description:
  - Finds, by the names and tags the other roles give them, the KMS key of the alert topic, every worker
    pool's step scaling policies, the ALB and its api-server target group, the metadata database, the Redis nodes of the
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
  scaling_cluster:
    description:
      - The ECS cluster whose worker pools to find. A pool is a service of this cluster named
        C(<service_prefix><pool>) with the step policies C(<service>-scale-out) and C(<service>-scale-in)
        (the compute role names them so), read with one paginated C(DescribeScalingPolicies).
    type: str
    required: true
  service_prefix:
    description: The services' name prefix (C(<project>-<env>-)); the pool is the rest of the name.
    type: str
    required: true
  scaling_namespace:
    description: The Application Auto Scaling service namespace.
    type: str
    default: ecs
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
    scaling_cluster: airflow-prod
    service_prefix: airflow-prod-
    alb_name: airflow-prod-alb
    target_group_name: airflow-prod-api
    db_instance_id: airflow-prod-db
    replication_group_id: airflow-prod-redis
    efs_name: airflow-prod-dags
  register: targets
"""

RETURN = r"""
key_arn: {description: The enabled key's ARN, or empty., returned: always, type: str}
pools:
  description:
    - Worker pool -> its service name and the ARNs of its two step policies (C(scale_out_arn), C(scale_in_arn)),
      for every service of O(scaling_cluster) that has both.
  returned: always
  type: dict
  sample: {worker: {service: airflow-prod-worker, scale_out_arn: "arn:aws:autoscaling:...", scale_in_arn: "arn:..."}}
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
    """Policy name -> ARN for the step policies on services of the cluster."""
    listed = paginate(aas, "describe_scaling_policies", ServiceNamespace=params["scaling_namespace"]).get(
        "ScalingPolicies", []
    )
    scope = f"service/{params['scaling_cluster']}/"
    return {p["PolicyName"]: p for p in listed if str(p.get("ResourceId", "")).startswith(scope)}


def pools(policies: dict, prefix: str) -> dict:
    """Worker pool -> service and step policy ARNs, for services with both step policies."""
    found = {}
    for policy in policies.values():
        service = policy["ResourceId"].rsplit("/", 1)[-1]
        out, scale_in = policies.get(f"{service}-scale-out"), policies.get(f"{service}-scale-in")
        if service.startswith(prefix) and out and scale_in:
            found[service[len(prefix) :]] = {
                "service": service,
                "scale_out_arn": out["PolicyARN"],
                "scale_in_arn": scale_in["PolicyARN"],
            }
    return dict(sorted(found.items()))


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
        pools=pools(policies, params["service_prefix"]),
        alb_arn=alb_arn,
        target_group_arn=tg_arn,
        db_instance_id=db.get("DBInstanceIdentifier", ""),
        db_allocated_storage_gib=int(db.get("AllocatedStorage") or 0),
        redis_nodes=nodes,
        efs_id=fs.get("FileSystemId", ""),
        efs_throughput_mode=fs.get("ThroughputMode") or "bursting",
    )
    missing = [] if key_arn else [f"KMS key {params['key_alias']}"]
    missing += (
        [] if result["pools"] else [f"worker pool step policies in cluster {params['scaling_cluster']}"]
    )
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
            scaling_cluster=dict(type="str", required=True),
            service_prefix=dict(type="str", required=True),
            scaling_namespace=dict(type="str", default="ecs"),
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
