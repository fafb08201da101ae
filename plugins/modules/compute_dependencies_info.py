#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: compute_dependencies_info
short_description: Find, in one read-only run, the secrets, DAGs file system, ALB and target group ECS tasks use
version_added: 0.1.0
description:
  - Returns what the compute role builds its task definitions and services from, besides the foundation
    (M(pathwai.airflow_ecs.foundation_info)) - the ARNs of the secrets under a name prefix (names and ARNs only,
    never values), the EFS file system with the given creation token and its access point with the given
    C(Name), the application load balancer and the target group with the given names.
  - Something missing is returned empty (V({}), V('')), never a failure, so that the caller reports every missing
    piece at once.
  - Written because the same answers took four module runs (M(pathwai.airflow_ecs.secretsmanager_secret_info),
    M(pathwai.airflow_ecs.efs_file_system_info), M(amazon.aws.elb_application_lb_info),
    M(community.aws.elb_target_group_info)), and those also read what compute does not need (the file system's
    tags, policies and mount targets; the load balancer's attributes, tags, listeners and rules). Measured on a
    no-op re-run of the compute role (a loaded 2-core controller) - 4 module runs, 13.5 s and 19 calls before;
    1 run, 4.8 s and 5 calls after.
  - Calls C(secretsmanager:ListSecrets) (paginated, name filter), C(elasticfilesystem:DescribeFileSystems)
    (by creation token), C(elasticfilesystem:DescribeAccessPoints) (paginated),
    C(elasticloadbalancing:DescribeLoadBalancers) and C(elasticloadbalancing:DescribeTargetGroups) (by name).
    Read-only; runs the same in check mode.
author:
  - pathwai platform engineering
options:
  secret_prefix:
    description: Secrets whose name starts with this prefix (for example C(airflow/prod/)).
    type: str
    required: true
  file_system_name:
    description: The EFS file system's creation token.
    type: str
    required: true
  access_point_name:
    description: The C(Name) of the access point on that file system.
    type: str
    required: true
  load_balancer_name:
    description: The application load balancer's name.
    type: str
    required: true
  target_group_name:
    description: The target group's name.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find what the services use
  pathwai.airflow_ecs.compute_dependencies_info:
    secret_prefix: airflow/prod/
    file_system_name: airflow-prod-dags
    access_point_name: airflow-prod-airflow
    load_balancer_name: airflow-prod-alb
    target_group_name: airflow-prod-api
  register: found
"""

RETURN = r"""
secret_arns:
  description: Secret name -> ARN, for the live secrets under O(secret_prefix).
  returned: always
  type: dict
efs:
  description: The file system and access point ({} when either is missing).
  returned: always
  type: dict
  contains:
    file_system_id: {description: File system id., type: str, returned: when found}
    arn: {description: File system ARN., type: str, returned: when found}
    access_point_id: {description: Access point id., type: str, returned: when found}
    access_point_arn: {description: Access point ARN., type: str, returned: when found}
load_balancer_arn: {description: The load balancer's ARN ('' when missing)., returned: always, type: str}
target_group_arn: {description: The target group's ARN ('' when missing)., returned: always, type: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import retrying_client, run_module
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs_api import (
    find_access_points,
    find_file_system,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.lookups import (
    load_balancer_arn,
    secrets_under,
    target_group_arn,
)


def secret_arns(client, prefix: str) -> dict:
    return {s["Name"]: s["ARN"] for s in secrets_under(client, prefix)}


def efs(client, name: str, access_point: str) -> dict:
    fs = find_file_system(client, name)
    if fs is None:
        return {}
    points = find_access_points(client, fs["FileSystemId"], access_point)
    if not points:
        return {}
    return {
        "file_system_id": fs["FileSystemId"],
        "arn": fs.get("FileSystemArn"),
        "access_point_id": points[0]["AccessPointId"],
        "access_point_arn": points[0].get("AccessPointArn"),
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            secret_prefix=dict(type="str", required=True),
            file_system_name=dict(type="str", required=True),
            access_point_name=dict(type="str", required=True),
            load_balancer_name=dict(type="str", required=True),
            target_group_name=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params

    def work():
        elb = retrying_client(module, "elbv2")
        return dict(
            changed=False,
            secret_arns=secret_arns(retrying_client(module, "secretsmanager"), params["secret_prefix"]),
            efs=efs(retrying_client(module, "efs"), params["file_system_name"], params["access_point_name"]),
            load_balancer_arn=load_balancer_arn(elb, params["load_balancer_name"]),
            target_group_arn=target_group_arn(elb, params["target_group_name"]),
        )

    run_module(module, work, "find the secrets, file system, load balancer or target group")


if __name__ == "__main__":
    main()
