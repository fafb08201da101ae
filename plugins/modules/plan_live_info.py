#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: plan_live_info
short_description: Read one Airflow environment of the live account as the collection's plan resources
version_added: 0.1.0
description:
  - Reads what the collection's roles built for one environment and returns it in the shape of the plan the
    collection renders from the inventory, so that the same renderers (a CloudFormation template for cfn-lint,
    a C(terraform show -json) document for Checkov and OPA) and the same policy linter judge a deployed stack.
  - Each resource is C({type, id, properties, sources}) with its CloudFormation type, the logical id the plan
    gives it (derived from the names and tags the roles set, for example the security group
    C(<name_prefix>-dag-sync) is C(SgDagSync), the key aliased C(alias/<name_prefix>-data) is C(KmsData), a
    subnet tagged C(airflow:tier=private) in zone C(a) is C(SubnetPrivateA)) and CloudFormation properties with
    the values AWS reports. Every real id or ARN that belongs to another returned resource is replaced by a
    reference (C(Ref) or C(Fn::GetAtt) to its logical id), so references between resources (a service to its
    security groups, a bucket to its key) are edges as in the plan; ARNs inside policy documents stay literal.
  - "Read: the VPCs tagged C(airflow:env=<env>) with their subnets, route tables and routes (the main route
    table when it holds a route of its own), virtual private, internet and NAT gateways, security groups and
    their rules (the default group's too), VPC endpoints, flow logs; the keys aliased
    C(alias/<name_prefix>-*) with their aliases; the RDS instance C(<name_prefix>-db) with its subnet and
    parameter groups; the ElastiCache replication group C(<name_prefix>-redis) with its subnet and parameter
    groups; the EFS file system C(<name_prefix>-dags) with its mount targets and access points; the buckets in
    O(buckets); the secrets under O(secret_prefix) (metadata only); the log groups C(/ecs/<name_prefix>-*); the
    ECS cluster, its services and their scalable targets and scaling policies; the IAM roles and task-definition
    families named C(<name_prefix>-*) and tagged C(airflow:env=<env>); the ALB, its target group, listeners and
    rules; the alert topic with its policy and subscriptions, the alarms named C(<name_prefix>-*) and the
    dashboard."
  - Also returns every policy document found (IAM trust and inline policies, key policies, bucket policies,
    the file-system policy, VPC endpoint policies, the topic policy) for an IAM policy linter.
  - Never reads a secret value, an AUTH token or the OIDC client secret; a resource that does not exist is
    simply absent from the result.
  - Read-only (C(Describe*), C(List*), C(Get*) calls, paginated and retried); runs the same in check mode.
author:
  - pathwai platform engineering
options:
  env:
    description: The environment (value of the C(airflow:env) tag).
    type: str
    required: true
  name_prefix:
    description: The resource-name prefix the roles use (C(<project>-<env>)).
    type: str
    required: true
  secret_prefix:
    description: The secrets under C(<secret_prefix>/) are read (C(airflow/<env>)); omit to read none.
    type: str
  buckets:
    description: Names of the S3 buckets to read (the DAGs and logs buckets).
    type: list
    elements: str
    default: []
  cluster_name:
    description: The ECS cluster; defaults to O(name_prefix).
    type: str
  alb_name:
    description: The load balancer's name; defaults to C(<name_prefix>-alb).
    type: str
  target_group_name:
    description: The api-server target group's name; defaults to C(<name_prefix>-api).
    type: str
  execution_api_port:
    description:
      - The port of the Task Execution API listener (the other listener is the HTTPS one on 443).
      - When omitted, the only listener on another port than 443 is taken as the Task Execution API's.
    type: int
  alert_topic_name:
    description: The alert topic's name; defaults to C(<name_prefix>-alerts).
    type: str
  dashboard_name:
    description: The dashboard's name; defaults to O(name_prefix).
    type: str
  layers:
    description: The layers to read (in this order whatever the order given).
    type: list
    elements: str
    choices: [network, kms, data, alb, compute, monitoring]
    default: [network, kms, data, alb, compute, monitoring]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the deployed dev environment as plan resources
  pathwai.airflow_ecs.plan_live_info:
    env: dev
    name_prefix: airflow-dev
    secret_prefix: airflow/dev
    buckets: [example-airflow-dags-dev, example-airflow-logs-dev]
  register: live

- name: Show what was found, by type
  ansible.builtin.debug:
    var: live.summary

- name: Only the network and the keys (phase 1)
  pathwai.airflow_ecs.plan_live_info:
    env: dev
    name_prefix: airflow-dev
    layers: [network, kms]
  register: live_foundation
"""

RETURN = r"""
resources:
  description: The environment's resources, each with its CloudFormation type, the plan's logical id and its properties.
  returned: always
  type: list
  elements: dict
  sample:
    - type: AWS::EC2::SecurityGroup
      id: SgDagSync
      properties: {GroupName: airflow-dev-dag-sync, GroupDescription: DAG sync service, VpcId: {Ref: Vpc}}
      sources: {}
policies:
  description: Every policy document found; C(kind) is C(identity), C(resource) or C(trust).
  returned: always
  type: list
  elements: dict
  sample:
    - name: KmsData.KeyPolicy
      kind: resource
      document: {Version: "2012-10-17", Statement: []}
physical_ids:
  description: Each real id or ARN found, to the logical id (C(<id>)) or ARN attribute (C(<id>.Arn)) it was linked to.
  returned: always
  type: dict
  sample: {"sg-0123456789abcdef0": "SgDagSync", "arn:aws:iam::123456789012:role/airflow-dev-execution": "RoleExecution.Arn"}
summary:
  description: Number of resources by CloudFormation type.
  returned: always
  type: dict
  sample: {"AWS::EC2::Subnet": 6, "AWS::KMS::Key": 7}
"""

from collections import Counter

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import retrying_client, run_module
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live import LAYERS, live_plan


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            env=dict(type="str", required=True),
            name_prefix=dict(type="str", required=True),
            secret_prefix=dict(type="str"),
            buckets=dict(type="list", elements="str", default=[]),
            cluster_name=dict(type="str"),
            alb_name=dict(type="str"),
            target_group_name=dict(type="str"),
            execution_api_port=dict(type="int"),
            alert_topic_name=dict(type="str"),
            dashboard_name=dict(type="str"),
            layers=dict(type="list", elements="str", choices=list(LAYERS), default=list(LAYERS)),
        ),
        supports_check_mode=True,
    )
    params = module.params
    scope = {k: params[k] for k in params if k in SCOPE}

    def work():
        found = live_plan(lambda service: retrying_client(module, service), scope, params["layers"])
        summary = dict(sorted(Counter(r["type"] for r in found["resources"]).items()))
        return {"changed": False, **found, "summary": summary}

    run_module(module, work, "read the live account")


SCOPE = (
    "env",
    "name_prefix",
    "secret_prefix",
    "buckets",
    "cluster_name",
    "alb_name",
    "target_group_name",
    "execution_api_port",
    "alert_topic_name",
    "dashboard_name",
)


if __name__ == "__main__":
    main()
