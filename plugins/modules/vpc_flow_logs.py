#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: vpc_flow_logs
short_description: Converge a VPC's flow log to a CloudWatch Logs log group
version_added: 0.1.0
description:
  - Ensures the VPC O(resource_id) has exactly one flow log delivering to O(log_group_name), with the
    given traffic type, delivery role, aggregation interval, record format and tags.
  - Reads with one paginated C(DescribeFlowLogs) (filters C(resource-id) and C(log-group-name)). A missing flow
    log is created with C(CreateFlowLogs) (tags in C(TagSpecifications), an idempotency C(ClientToken)).
    C(CreateFlowLogs) fixes the traffic type, delivery role, aggregation interval and format for good, so a
    flow log that differs in one of them is replaced (C(DeleteFlowLogs), then C(CreateFlowLogs)); only
    tags change in place (C(CreateTags), C(DeleteTags)). A flow log that matches is not written.
  - C(CreateFlowLogs) reports per resource; an unsuccessful item fails the module with AWS's message.
  - Written because neither amazon.aws nor community.aws has a flow-log module.
  - Supports check mode (nothing is written; RV(changed) is predicted) and diff mode.
author:
  - pathwai platform engineering
options:
  resource_id:
    description: The VPC whose traffic is logged.
    type: str
    required: true
  log_group_name:
    description: The CloudWatch Logs log group the records go to (it should exist, encrypted and with retention).
    type: str
    required: true
  deliver_logs_permission_arn:
    description:
      - The IAM role VPC Flow Logs assumes to write to the log group (trusting C(vpc-flow-logs.amazonaws.com)).
      - Required with O(state=present).
    type: str
  traffic_type:
    description: Which traffic is logged.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  max_aggregation_interval:
    description: Seconds over which a flow is aggregated into a record.
    type: int
    choices: [60, 600]
    default: 600
  log_format:
    description: The record format (C(${field} ...)). Omit for AWS's default format.
    type: str
  tags:
    description: Tags of the flow log. Omit to leave the tags of an existing flow log alone.
    type: dict
  purge_tags:
    description: Remove tags not in O(tags) (C(aws:) tags are never removed).
    type: bool
    default: true
  state:
    description: Whether the flow log should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log ALL traffic of the VPC to an encrypted log group
  pathwai.airflow_ecs.vpc_flow_logs:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /vpc/airflow-prod-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/airflow-prod-flow-logs
    traffic_type: ALL
    tags: {Name: airflow-prod-flow-logs}
"""

RETURN = r"""
flow_log:
  description:
    - The flow log after the run (before it, for O(state=absent)); empty when there is none. In check mode,
      what it would be.
    - C(flow_log_id), C(resource_id), C(traffic_type), C(log_group_name), C(deliver_logs_permission_arn),
      C(max_aggregation_interval), C(log_format), C(deliver_logs_status), C(tags).
  returned: always
  type: dict
  sample:
    flow_log_id: fl-0123456789abcdef0
    resource_id: vpc-0123456789abcdef0
    traffic_type: ALL
    log_group_name: /vpc/airflow-prod-flow-logs
    max_aggregation_interval: 600
    deliver_logs_status: SUCCESS
action:
  description: C(create), C(replace), C(tag), C(delete), or empty when nothing changed.
  returned: always
  type: str
replaced_fields:
  description: The fixed fields that differed, for C(replace).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.vpc_flow_logs import (
    client_token,
    create_request,
    desired_view,
    normalise,
    replaced_fields,
)


def read(client, params: dict) -> list[dict]:
    filters = [
        {"Name": "resource-id", "Values": [params["resource_id"]]},
        {"Name": "log-group-name", "Values": [params["log_group_name"]]},
    ]
    return paginate(client, "describe_flow_logs", Filters=filters).get("FlowLogs", [])


def create(module, client, params: dict) -> dict:
    request = create_request(params)
    request["ClientToken"] = client_token(params["resource_id"], params["log_group_name"])
    answer = client.create_flow_logs(**request, aws_retry=True)
    failed = answer.get("Unsuccessful") or []
    if failed:
        error = failed[0].get("Error", {})
        module.fail_json(msg=f"CreateFlowLogs refused {params['resource_id']}: {error.get('Message', error)}")
    created = client.describe_flow_logs(FlowLogIds=answer["FlowLogIds"], aws_retry=True)["FlowLogs"]
    return normalise(created[0]) if created else {}


def converge(module, client) -> dict:
    params = module.params
    found = read(client, params)
    current = normalise(found[0]) if found else None
    extra = [normalise(f)["flow_log_id"] for f in found[1:]]  # duplicates to the same group: one is kept
    action, replaced, to_set, to_remove = "", [], {}, []
    if params["state"] == "absent":
        after = {}
        action = "delete" if found else ""
    else:
        if not params["deliver_logs_permission_arn"]:
            module.fail_json(msg="deliver_logs_permission_arn is required with state=present")
        after = desired_view(params, current)
        if current is None:
            action = "create"
        else:
            replaced = replaced_fields(current, after)
            to_set, to_remove = tag_changes(current["tags"], params["tags"], params["purge_tags"])
            action = "replace" if replaced else ("tag" if to_set or to_remove or extra else "")
    if action and not module.check_mode:
        flow_id = current["flow_log_id"] if current else None
        gone = ([flow_id] if action in ("delete", "replace") else []) + extra
        if action == "delete":
            gone = [normalise(f)["flow_log_id"] for f in found]
        if gone:
            client.delete_flow_logs(FlowLogIds=sorted(set(gone)), aws_retry=True)
        if action in ("create", "replace"):
            after = create(module, client, params)
        elif action == "tag":
            if to_remove:
                client.delete_tags(Resources=[flow_id], Tags=[{"Key": k} for k in to_remove], aws_retry=True)
            if to_set:
                client.create_tags(
                    Resources=[flow_id],
                    Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())],
                    aws_retry=True,
                )
            after = {
                **current,
                "tags": {**{k: v for k, v in current["tags"].items() if k not in to_remove}, **to_set},
            }
    elif not action and current is not None and params["state"] == "present":
        after = current
    return dict(
        changed=bool(action),
        action=action,
        replaced_fields=replaced,
        flow_log=current if action == "delete" else after,
        diff=diff_result(current or {}, after or {}),
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            resource_id=dict(type="str", required=True),
            log_group_name=dict(type="str", required=True),
            deliver_logs_permission_arn=dict(type="str"),
            traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
            max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
            log_format=dict(type="str"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    client = retrying_client(module, "ec2")
    run_module(
        module, lambda: converge(module, client), f"manage the flow log of {module.params['resource_id']}"
    )


if __name__ == "__main__":
    main()
