#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: vpc_endpoint
short_description: Manage a VPC endpoint (interface or gateway) and keep it converged
version_added: 0.1.0
description:
  - Creates, updates or deletes one VPC endpoint, identified by its VPC and service name.
  - Written because M(amazon.aws.ec2_vpc_endpoint) has no O(private_dns_enabled) option,
    never updates the subnets or security groups of an existing endpoint (drift stays), and
    needs the endpoint id to delete. This module brings subnets, security groups, route tables,
    private DNS, policy and tags back to the desired state with one C(ModifyVpcEndpoint) call.
  - Supports check mode and diff mode.
  - Calls used are C(DescribeVpcEndpoints) (paginated), C(CreateVpcEndpoint), C(ModifyVpcEndpoint),
    C(DeleteVpcEndpoints), C(CreateTags), C(DeleteTags).
  - To converge many endpoints of one VPC in one run, use M(pathwai.airflow_ecs.vpc_endpoints).
author:
  - pathwai platform engineering
options:
  state:
    description: Whether the endpoint should exist.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description: The VPC of the endpoint.
    type: str
    required: true
  service_name:
    description: The full service name, for example C(com.amazonaws.us-east-1.ecr.api).
    type: str
    required: true
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
  wait:
    description: Wait until a new or modified endpoint is C(available).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 320
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Interface endpoint for Secrets Manager, private DNS on, both private subnets
  pathwai.airflow_ecs.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.secretsmanager
    endpoint_type: Interface
    subnet_ids: [subnet-aaaa, subnet-bbbb]
    security_group_ids: [sg-endpoints]
    private_dns_enabled: true
    tags:
      Name: airflow-dev-vpce-secretsmanager

- name: S3 gateway endpoint on the private and data route tables
  pathwai.airflow_ecs.vpc_endpoint:
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.s3
    endpoint_type: Gateway
    route_table_ids: [rtb-private-a, rtb-private-b, rtb-data]

- name: Remove an endpoint by VPC and service
  pathwai.airflow_ecs.vpc_endpoint:
    state: absent
    vpc_id: vpc-0123456789abcdef0
    service_name: com.amazonaws.us-east-1.ssm
"""

RETURN = r"""
vpc_endpoint:
  description: The endpoint after the run (before it, when deleted; empty when absent).
  returned: always
  type: dict
  contains:
    vpc_endpoint_id: {description: The endpoint id., type: str, sample: vpce-0a1b2c3d}
    vpc_id: {description: The VPC., type: str}
    service_name: {description: The service name., type: str}
    endpoint_type: {description: Interface or Gateway., type: str}
    state: {description: The endpoint state., type: str, sample: available}
    subnet_ids: {description: Subnets (interface)., type: list, elements: str}
    security_group_ids: {description: Security groups (interface)., type: list, elements: str}
    route_table_ids: {description: Route tables (gateway)., type: list, elements: str}
    private_dns_enabled: {description: Private DNS (interface)., type: bool}
    policy: {description: The endpoint policy., type: dict}
    tags: {description: Tags., type: dict}
changes:
  description: The C(ModifyVpcEndpoint) request made (or that would be made in check mode).
  returned: when an existing endpoint changed
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    WaitError,
    diff_result,
    exit_with,
    retrying_client,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.vpc_endpoint import (
    client_token,
    create_request,
    desired_view,
    modify_request,
    normalise,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.vpc_endpoint_api import (
    apply_tags,
    find_endpoint,
    read_endpoints,
    wait_available,
)


def read_endpoint(client, endpoint_id: str) -> dict | None:
    return read_endpoints(client, [endpoint_id]).get(endpoint_id)


def wait_for(module, client, endpoint_id: str) -> dict | None:
    try:
        return wait_available(client, [endpoint_id], module.params["wait_timeout"])[endpoint_id]
    except WaitError as e:
        module.fail_json(msg=str(e), vpc_endpoint=normalise(read_endpoint(client, endpoint_id)))


def ensure_present(module, client, current: dict | None) -> dict:
    params = module.params
    before = normalise(current)
    after = desired_view(params, before)
    if before is None:
        if module.check_mode:
            return dict(changed=True, vpc_endpoint=after, diff=diff_result({}, after))
        request = create_request(params)
        request["ClientToken"] = client_token(params["vpc_id"], params["service_name"])
        created = client.create_vpc_endpoint(**request, aws_retry=True)["VpcEndpoint"]
        if params["wait"]:
            created = wait_for(module, client, created["VpcEndpointId"]) or created
        result = normalise(created)
        return dict(changed=True, vpc_endpoint=result, diff=diff_result({}, result))

    request = modify_request(before, after)
    to_set, to_remove = tag_changes(before.get("tags", {}), after.get("tags", {}))
    if not request and not to_set and not to_remove:
        return dict(changed=False, vpc_endpoint=before)
    if module.check_mode:
        return dict(changed=True, vpc_endpoint=after, changes=request, diff=diff_result(before, after))
    endpoint_id = before["vpc_endpoint_id"]
    if request:
        client.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **request, aws_retry=True)
    apply_tags(client, endpoint_id, to_set, to_remove)
    latest = wait_for(module, client, endpoint_id) if params["wait"] else read_endpoint(client, endpoint_id)
    result = normalise(latest)
    return dict(changed=True, vpc_endpoint=result, changes=request, diff=diff_result(before, result))


def ensure_absent(module, client, current: dict | None) -> dict:
    before = normalise(current)
    if before is None:
        return dict(changed=False, vpc_endpoint={})
    if not module.check_mode:
        client.delete_vpc_endpoints(VpcEndpointIds=[before["vpc_endpoint_id"]], aws_retry=True)
    return dict(changed=True, vpc_endpoint=before, diff=diff_result(before, {}))


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str", required=True),
        service_name=dict(type="str", required=True),
        endpoint_type=dict(type="str", choices=["Interface", "Gateway"], default="Interface"),
        subnet_ids=dict(type="list", elements="str", default=[]),
        security_group_ids=dict(type="list", elements="str", default=[]),
        route_table_ids=dict(type="list", elements="str", default=[]),
        private_dns_enabled=dict(type="bool", default=True),
        policy=dict(type="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=320),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "ec2")
    try:
        current = find_endpoint(client, module.params["vpc_id"], module.params["service_name"])
        if module.params["state"] == "present":
            result = ensure_present(module, client, current)
        else:
            result = ensure_absent(module, client, current)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Failed to manage the VPC endpoint")
    exit_with(module, result)


if __name__ == "__main__":
    main()
