#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
short_description: Manage a CloudWatch dashboard
version_added: 0.1.0
description:
  - Creates, replaces or deletes one CloudWatch dashboard. The body is compared as JSON (key order
    and whitespace do not matter), so a re-run with the same body changes nothing.
  - Written because neither amazon.aws nor community.aws has a CloudWatch dashboard module.
  - Supports check mode and diff mode.
  - Calls C(GetDashboard), C(PutDashboard), C(DeleteDashboards).
author:
  - pathwai platform engineering
options:
  name:
    description: The dashboard's name.
    type: str
    required: true
  state:
    description: Whether the dashboard should exist.
    type: str
    choices: [present, absent]
    default: present
  body:
    description: The dashboard body (a dict with C(widgets)); required when O(state=present).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One widget
  pathwai.airflow_ecs.cloudwatch_dashboard:
    name: airflow-prod
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Celery queue depth
            region: us-east-1
            metrics: [[Airflow/Celery, QueueDepth, Environment, prod]]
"""

RETURN = r"""
name: {description: The dashboard name., returned: always, type: str}
dashboard_arn: {description: The dashboard ARN (null in check mode before creation)., returned: when present, type: str}
body: {description: The dashboard body., returned: when present, type: dict}
validation_messages:
  description: What CloudWatch said about the body (PutDashboard's DashboardValidationMessages).
  returned: when written
  type: list
  elements: dict
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)


def read(client, name: str) -> dict | None:
    try:
        found = client.get_dashboard(DashboardName=name, aws_retry=True)
    except is_boto3_error_code(["ResourceNotFound", "ResourceNotFoundException"]):
        return None
    return {
        "name": name,
        "dashboard_arn": found.get("DashboardArn"),
        "body": json.loads(found["DashboardBody"]),
    }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        body=dict(type="dict"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, supports_check_mode=True, required_if=[("state", "present", ["body"])]
    )
    name = module.params["name"]
    client = retrying_client(module, "cloudwatch")

    def work():
        before = read(client, name)
        if module.params["state"] == "absent":
            if before is None:
                return dict(changed=False, name=name)
            if not module.check_mode:
                client.delete_dashboards(DashboardNames=[name], aws_retry=True)
            return dict(changed=True, name=name, diff=diff_result(before, {}))
        body = json.loads(json.dumps(module.params["body"]))
        if before is not None and before["body"] == body:
            return dict(changed=False, **before)
        if module.check_mode:
            planned = {"name": name, "dashboard_arn": (before or {}).get("dashboard_arn"), "body": body}
            return dict(changed=True, **planned, diff=diff_result(before or {}, planned))
        written = client.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body), aws_retry=True)
        after = read(client, name)
        messages = written.get("DashboardValidationMessages", [])
        return dict(
            changed=True, **after, validation_messages=messages, diff=diff_result(before or {}, after)
        )

    run_module(module, work, f"converge CloudWatch dashboard {name}")


if __name__ == "__main__":
    main()
