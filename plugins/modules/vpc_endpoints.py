#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: vpc_endpoints
short_description: Converge every VPC endpoint of a VPC (interface and gateway) in one run
version_added: 0.1.0
description:
  - Creates, updates or deletes a list of VPC endpoints of one VPC, each identified by its service name
    (subnets, security groups, route tables, private DNS, policy and tags brought back with one
    C(ModifyVpcEndpoint) and tag calls per drifted endpoint; the deleted ones in one C(DeleteVpcEndpoints)).
  - Reads all endpoints of the VPC with one paginated C(DescribeVpcEndpoints) (C(vpc-id) filter). Creates the
    missing endpoints with their tags in C(TagSpecifications) and an idempotency C(ClientToken), all of them
    first, then waits for the new and modified endpoints together, one C(DescribeVpcEndpoints) per poll.
    Endpoints that match are not written.
  - Written because M(amazon.aws.ec2_vpc_endpoint) has no private-DNS option, never updates the subnets or
    security groups of an existing endpoint (drift stays), needs the endpoint id to delete, and manages one
    endpoint per module run. The endpoints role's 12 endpoints took 12 module runs and 12
    C(DescribeVpcEndpoints) calls (about 9 s) on a run that changed nothing, and a first run waited for each
    interface endpoint in turn; with this module they take one run and one C(DescribeVpcEndpoints) call.
  - Endpoints of the VPC that are not listed are left alone.
  - Supports check mode (nothing is written; RV(changed) is predicted) and diff mode (the endpoints that
    change, keyed by service name).
author:
  - pathwai platform engineering
options:
  vpc_id:
    description: The VPC of every endpoint.
    type: str
    required: true
  endpoints:
    description: The endpoints, at most one per service name.
    type: list
    elements: dict
    required: true
    suboptions:
      service_name:
        description: The full service name, for example C(com.amazonaws.us-east-1.ecr.api).
        type: str
        required: true
      state:
        description: Whether the endpoint should exist.
        type: str
        choices: [present, absent]
        default: present
      endpoint_type:
        description: The endpoint type.
        type: str
        choices: [Interface, Gateway]
        default: Interface
      subnet_ids:
        description: Subnets of an interface endpoint (one per AZ). Ignored for gateway endpoints.
        type: list
        elements: str
        default: []
      security_group_ids:
        description: Security groups of an interface endpoint. Ignored for gateway endpoints.
        type: list
        elements: str
        default: []
      route_table_ids:
        description: Route tables of a gateway endpoint. Ignored for interface endpoints.
        type: list
        elements: str
        default: []
      private_dns_enabled:
        description: Whether the service's default DNS name resolves to the interface endpoint.
        type: bool
        default: true
      policy:
        description: The endpoint policy as a dict. Omit to leave the current policy in place.
        type: dict
      tags:
        description: Tags of the endpoint. Omit to leave the tags of an existing endpoint alone.
        type: dict
  purge_tags:
    description: Remove tags not in O(endpoints[].tags) (C(aws:) tags are never removed).
    type: bool
    default: true
  wait:
    description: Wait until the new and modified endpoints are C(available).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait, for all endpoints together.
    type: int
    default: 320
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Interface endpoints for ECR and Secrets Manager and the S3 gateway endpoint, in one run
  pathwai.airflow_ecs.vpc_endpoints:
    vpc_id: vpc-0123456789abcdef0
    endpoints:
      - service_name: com.amazonaws.us-east-1.ecr.api
        subnet_ids: [subnet-aaaa, subnet-bbbb]
        security_group_ids: [sg-endpoints]
        tags: {Name: airflow-dev-vpce-ecr.api}
      - service_name: com.amazonaws.us-east-1.secretsmanager
        subnet_ids: [subnet-aaaa, subnet-bbbb]
        security_group_ids: [sg-endpoints]
        tags: {Name: airflow-dev-vpce-secretsmanager}
      - service_name: com.amazonaws.us-east-1.s3
        endpoint_type: Gateway
        route_table_ids: [rtb-private-a, rtb-private-b, rtb-data]
        tags: {Name: airflow-dev-vpce-s3}

- name: Remove the SSM endpoint
  pathwai.airflow_ecs.vpc_endpoints:
    vpc_id: vpc-0123456789abcdef0
    endpoints:
      - {service_name: com.amazonaws.us-east-1.ssm, state: absent}
"""

RETURN = r"""
vpc_endpoints:
  description:
    - The endpoints after the run, in the order of O(endpoints) (an absent endpoint as it was before its
      deletion, or empty). In check mode, what they would be.
    - Each has C(vpc_endpoint_id), C(vpc_id), C(service_name), C(endpoint_type), C(state), C(subnet_ids),
      C(security_group_ids), C(route_table_ids), C(private_dns_enabled), C(policy) and C(tags).
  returned: always
  type: list
  elements: dict
  sample:
    - vpc_endpoint_id: vpce-0a1b2c3d
      service_name: com.amazonaws.us-east-1.ecr.api
      endpoint_type: Interface
      state: available
      subnet_ids: [subnet-aaaa, subnet-bbbb]
      security_group_ids: [sg-endpoints]
      route_table_ids: []
      private_dns_enabled: true
      tags: {Name: airflow-dev-vpce-ecr.api}
created: {description: Service names of the endpoints created., returned: always, type: list, elements: str}
modified:
  description: Service name to the C(ModifyVpcEndpoint) request made (empty for a tag-only change).
  returned: always
  type: dict
deleted: {description: Service names of the endpoints deleted., returned: always, type: list, elements: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.vpc_endpoints import (
    client_token,
    create_request,
    desired_view,
    modify_request,
    normalise,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.vpc_endpoints_api import (
    apply_tags,
    list_endpoints,
    read_endpoints,
    wait_available,
)

ENDPOINT_SPEC = dict(
    service_name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    endpoint_type=dict(type="str", choices=["Interface", "Gateway"], default="Interface"),
    subnet_ids=dict(type="list", elements="str", default=[]),
    security_group_ids=dict(type="list", elements="str", default=[]),
    route_table_ids=dict(type="list", elements="str", default=[]),
    private_dns_enabled=dict(type="bool", default=True),
    policy=dict(type="dict"),
    tags=dict(type="dict"),
)


def plan(module, current: dict) -> list[dict]:
    """One step per listed endpoint: {params, before, after, action, request, to_set, to_remove}."""
    steps = []
    for entry in module.params["endpoints"]:
        params = {**entry, "vpc_id": module.params["vpc_id"], "purge_tags": module.params["purge_tags"]}
        before = normalise(current.get(entry["service_name"]))
        step = dict(
            params=params, before=before, after=before, action=None, request={}, to_set={}, to_remove=[]
        )
        if entry["state"] == "absent":
            if before:
                step.update(action="delete", after={})
        elif before is None:
            step.update(action="create", after=desired_view(params, None))
        else:
            after = desired_view(params, before)
            to_set, to_remove = tag_changes(before.get("tags", {}), after.get("tags", {}))
            request = modify_request(before, after)
            if request or to_set or to_remove:
                step.update(action="modify", after=after, request=request, to_set=to_set, to_remove=to_remove)
        steps.append(step)
    return steps


def apply(module, client, steps: list[dict]) -> list[str]:
    """Make the writes; return the ids to wait for (the created and modified endpoints)."""
    touched = []
    for step in steps:
        if step["action"] == "create":
            request = create_request(step["params"])
            request["ClientToken"] = client_token(step["params"]["vpc_id"], step["params"]["service_name"])
            created = client.create_vpc_endpoint(**request, aws_retry=True)["VpcEndpoint"]
            step["after"] = normalise(created)
            touched.append(created["VpcEndpointId"])
        elif step["action"] == "modify":
            endpoint_id = step["before"]["vpc_endpoint_id"]
            if step["request"]:
                client.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **step["request"], aws_retry=True)
            apply_tags(client, endpoint_id, step["to_set"], step["to_remove"])
            touched.append(endpoint_id)
    gone = [s["before"]["vpc_endpoint_id"] for s in steps if s["action"] == "delete"]
    if gone:
        client.delete_vpc_endpoints(VpcEndpointIds=gone, aws_retry=True)
    return touched


def converge(module, client) -> dict:
    params = module.params
    names = [e["service_name"] for e in params["endpoints"]]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        module.fail_json(msg=f"Each service may be listed once; listed more than once: {', '.join(dupes)}")
    current = {}
    for endpoint in list_endpoints(client, params["vpc_id"]):
        current.setdefault(endpoint["ServiceName"], endpoint)
    steps = plan(module, current)
    if not module.check_mode:
        touched = apply(module, client, steps)
        if touched:
            latest = (
                wait_available(client, touched, params["wait_timeout"])
                if params["wait"]
                else read_endpoints(client, touched)
            )
            for step in steps:
                endpoint_id = (step["after"] or {}).get("vpc_endpoint_id")
                if step["action"] in ("create", "modify") and endpoint_id in latest:
                    step["after"] = normalise(latest[endpoint_id])
    changed = [s for s in steps if s["action"]]
    name = lambda s: s["params"]["service_name"]  # noqa: E731
    return dict(
        changed=bool(changed),
        vpc_endpoints=[s["after"] if s["action"] != "delete" else s["before"] for s in steps],
        created=[name(s) for s in steps if s["action"] == "create"],
        modified={name(s): s["request"] for s in steps if s["action"] == "modify"},
        deleted=[name(s) for s in steps if s["action"] == "delete"],
        diff=diff_result(
            {name(s): s["before"] for s in changed if s["before"]},
            {name(s): s["after"] for s in changed if s["after"]},
        ),
    )


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        endpoints=dict(type="list", elements="dict", required=True, options=ENDPOINT_SPEC),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=320),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "ec2")
    what = f"manage the VPC endpoints of {module.params['vpc_id']}"
    run_module(module, lambda: converge(module, client), what)


if __name__ == "__main__":
    main()
