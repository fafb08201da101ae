#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: subnets
short_description: Converge several subnets of one VPC (CIDR, zone, public IPs, tags) in one run
version_added: 0.1.0
description:
  - Creates the listed subnets of a VPC that are missing, identified by their IPv4 CIDR block (unique
    within a VPC), and brings their public-IP-on-launch setting and tags to the desired state.
  - Written because M(amazon.aws.ec2_vpc_subnet) handles one subnet per run and reads the subnet
    again after each step (about five calls per subnet on a run that changes nothing). For the 6
    subnets of this collection's network role, a re-run that changes nothing went from 6 module
    runs and 30 calls (24 C(DescribeSubnets)) to one run and one call, about 4 s less on a
    2-core controller.
  - One paginated C(DescribeSubnets) filtered by VPC reads every subnet with its tags. Missing subnets
    are created with their tags in C(CreateSubnet) (an interrupted run leaves them findable by tag);
    C(ModifySubnetAttribute) sets C(MapPublicIpOnLaunch); C(CreateTags) and C(DeleteTags) fix tags.
  - A subnet's zone cannot change on AWS, so an existing subnet with the CIDR in another zone fails the
    run, naming both, before any write. Subnets of the VPC that are not listed are left alone;
    nothing is deleted (use M(amazon.aws.ec2_vpc_subnet) with C(state=absent) for that).
  - Supports check mode (no writes; changes predicted) and diff mode (each subnet's zone, public-IP
    setting and tags before and after, keyed by CIDR).
author:
  - pathwai platform engineering
options:
  vpc_id:
    description: The VPC of the subnets.
    type: str
    required: true
  subnets:
    description: The subnets.
    type: list
    elements: dict
    required: true
    suboptions:
      cidr:
        description: The IPv4 CIDR block; it identifies the subnet within the VPC.
        type: str
        required: true
      az:
        description: The availability zone (for example C(us-east-1a)).
        type: str
        required: true
      map_public:
        description: Whether instances launched in the subnet get a public IPv4 address.
        type: bool
        default: false
      tags:
        description: The subnet's tags. Omit to leave an existing subnet's tags alone.
        type: dict
  purge_tags:
    description: Remove tags not listed (tags starting with C(aws:) are never removed).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Two private subnets, one per zone, no public IPs
  pathwai.airflow_ecs.subnets:
    vpc_id: vpc-0123456789abcdef0
    subnets:
      - {cidr: 10.0.1.0/24, az: us-east-1a, tags: {Name: app-private-a, tier: private}}
      - {cidr: 10.0.2.0/24, az: us-east-1b, tags: {Name: app-private-b, tier: private}}
  register: app_subnets

- name: The subnet ids, in the order listed
  ansible.builtin.debug:
    msg: "{{ app_subnets.subnets | map(attribute='id') | list }}"
"""

RETURN = r"""
subnets:
  description: Every listed subnet after the run, in the order listed.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: The subnet id (null in check mode for a subnet to create)., type: str}
    cidr: {description: The IPv4 CIDR block., type: str}
    az: {description: The availability zone., type: str}
    map_public: {description: Whether instances get a public IPv4 address., type: bool}
    tags: {description: The tags., type: dict}
changes:
  description: Per changed subnet (by CIDR), what was (or in check mode would be) created or changed.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import (
    tag_changes,
    tags_dict,
    tags_list,
)


def view(az: str, map_public: bool, tags: dict) -> dict:
    return {"az": az, "map_public": map_public, "tags": tags}


def plan(module, have: dict) -> list:
    """Per listed subnet: (spec, current subnet or None, tags to set, tags to remove, map change)."""
    plans = []
    for spec in module.params["subnets"]:
        subnet = have.get(spec["cidr"])
        if subnet is not None and subnet["AvailabilityZone"] != spec["az"]:
            module.fail_json(
                msg=f"subnet {subnet['SubnetId']} ({spec['cidr']}) is in {subnet['AvailabilityZone']}, "
                f"not {spec['az']}: a subnet's zone cannot change; delete it or pick another CIDR"
            )
        current = tags_dict(subnet.get("Tags")) if subnet else {}
        to_set, to_remove = tag_changes(current, spec["tags"], module.params["purge_tags"])
        map_change = subnet is not None and subnet.get("MapPublicIpOnLaunch", False) != spec["map_public"]
        plans.append((spec, subnet, to_set, to_remove, map_change))
    return plans


def create(client, vpc_id: str, spec: dict) -> str:
    request = {"VpcId": vpc_id, "CidrBlock": spec["cidr"], "AvailabilityZone": spec["az"]}
    if spec["tags"]:
        request["TagSpecifications"] = [{"ResourceType": "subnet", "Tags": tags_list(spec["tags"])}]
    subnet_id = client.create_subnet(**request, aws_retry=True)["Subnet"]["SubnetId"]
    if spec["map_public"]:  # new subnets do not map public IPs
        set_map_public(client, subnet_id, True)
    return subnet_id


def set_map_public(client, subnet_id: str, value: bool) -> None:
    client.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value}, aws_retry=True)


def converge(module, client) -> dict:
    vpc_id = module.params["vpc_id"]
    cidrs = [s["cidr"] for s in module.params["subnets"]]
    if len(set(cidrs)) != len(cidrs):
        module.fail_json(msg="subnets lists a CIDR more than once")
    existing = paginate(client, "describe_subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    have = {s["CidrBlock"]: s for s in existing.get("Subnets", [])}
    changes, before, after, result = {}, {}, {}, []
    for spec, subnet, to_set, to_remove, map_change in plan(module, have):
        cidr = spec["cidr"]
        if subnet is None:
            subnet_id = None if module.check_mode else create(client, vpc_id, spec)
            changes[cidr] = {"create": True}
            tags = dict(spec["tags"] or {})
        else:
            subnet_id = subnet["SubnetId"]
            tags = tags_dict(subnet.get("Tags"))
            before[cidr] = view(subnet["AvailabilityZone"], subnet.get("MapPublicIpOnLaunch", False), tags)
            subnet_changes = {}
            if map_change:
                subnet_changes["map_public"] = spec["map_public"]
                if not module.check_mode:
                    set_map_public(client, subnet_id, spec["map_public"])
            if to_set or to_remove:
                subnet_changes["tags"] = {"set": to_set, "remove": to_remove}
                if not module.check_mode:
                    if to_remove:
                        client.delete_tags(
                            Resources=[subnet_id], Tags=[{"Key": k} for k in to_remove], aws_retry=True
                        )
                    if to_set:
                        client.create_tags(Resources=[subnet_id], Tags=tags_list(to_set), aws_retry=True)
                tags = {k: v for k, v in {**tags, **to_set}.items() if k not in to_remove}
            if subnet_changes:
                changes[cidr] = subnet_changes
        after[cidr] = view(spec["az"], spec["map_public"], tags)
        result.append({"id": subnet_id, "cidr": cidr, **after[cidr]})
    return dict(changed=bool(changes), changes=changes, subnets=result, diff=diff_result(before, after))


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        subnets=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                cidr=dict(type="str", required=True),
                az=dict(type="str", required=True),
                map_public=dict(type="bool", default=False),
                tags=dict(type="dict"),
            ),
        ),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    # A subnet just created may not be visible to the next call at once: retry its NotFound.
    client = retrying_client(module, "ec2", ["InvalidSubnetID.NotFound"])
    run_module(module, lambda: converge(module, client), f"converge the subnets of {module.params['vpc_id']}")


if __name__ == "__main__":
    main()
