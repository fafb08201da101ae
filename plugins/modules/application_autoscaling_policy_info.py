#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: application_autoscaling_policy_info
short_description: Find Application Auto Scaling policies (ARNs for alarm actions)
version_added: 0.1.0
description:
  - Lists the scaling policies of one service namespace, optionally narrowed to a resource and
    to policy names. Read-only.
  - Written because neither amazon.aws nor community.aws has an info module for Application Auto
    Scaling policies (C(community.aws.application_autoscaling_policy) only creates and deletes),
    and the monitoring role must find the worker's step-policy ARNs to use them as alarm actions.
  - Calls C(DescribeScalingPolicies) (paginated) and filters the answer by policy name again itself.
author:
  - pathwai platform engineering
options:
  service_namespace:
    description: The service namespace, e.g. C(ecs).
    type: str
    required: true
  resource_id:
    description: The scalable resource, e.g. C(service/<cluster>/<service>). Omit for all.
    type: str
  policy_names:
    description: Only these policies. Omit for all.
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the worker's step policies
  pathwai.airflow_ecs.application_autoscaling_policy_info:
    service_namespace: ecs
    resource_id: service/airflow-prod/airflow-prod-worker
    policy_names: [airflow-prod-worker-scale-out, airflow-prod-worker-scale-in]
  register: policies
"""

RETURN = r"""
policies:
  description: The policies, sorted by name.
  returned: always
  type: list
  elements: dict
  sample:
    - policy_name: airflow-prod-worker-scale-out
      policy_arn: "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:...:policyName/airflow-prod-worker-scale-out"
      policy_type: StepScaling
      resource_id: service/airflow-prod/airflow-prod-worker
      scalable_dimension: ecs:service:DesiredCount
      service_namespace: ecs
arns:
  description: Policy name -> policy ARN.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
    retrying_client,
    run_module,
)

KEYS = {
    "PolicyName": "policy_name",
    "PolicyARN": "policy_arn",
    "PolicyType": "policy_type",
    "ResourceId": "resource_id",
    "ScalableDimension": "scalable_dimension",
    "ServiceNamespace": "service_namespace",
}


def main():
    argument_spec = dict(
        service_namespace=dict(type="str", required=True),
        resource_id=dict(type="str"),
        policy_names=dict(type="list", elements="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    request = {"ServiceNamespace": params["service_namespace"]}
    if params["resource_id"]:
        request["ResourceId"] = params["resource_id"]
    if params["policy_names"]:
        request["PolicyNames"] = params["policy_names"]
    client = retrying_client(module, "application-autoscaling")

    def work():
        listed = paginate(client, "describe_scaling_policies", **request).get("ScalingPolicies", [])
        wanted = set(params["policy_names"] or [])
        policies = sorted(
            (
                {ours: item.get(theirs) for theirs, ours in KEYS.items()}
                for item in listed
                if (not wanted or item["PolicyName"] in wanted)
                and (not params["resource_id"] or item.get("ResourceId") == params["resource_id"])
            ),
            key=lambda p: p["policy_name"],
        )
        return dict(
            changed=False, policies=policies, arns={p["policy_name"]: p["policy_arn"] for p in policies}
        )

    run_module(module, work, "list Application Auto Scaling policies")


if __name__ == "__main__":
    main()
