#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: vpc_network_info
short_description: Find a VPC by its tags, with its subnets and route tables by tier and its security groups
version_added: 0.2.0
description:
  - Finds the VPCs that carry every tag of O(vpc_tags). When there is exactly one, also returns its subnets and
    route tables grouped by their O(tier_tag) tag, and the ids of the security groups named in O(groups).
  - Does not fail when the VPC is missing or not unique; it returns RV(vpc_ids) so the caller can stop with its
    own message.
  - Written because the endpoints role needed four module runs (M(amazon.aws.ec2_vpc_net_info),
    M(amazon.aws.ec2_vpc_subnet_info), M(amazon.aws.ec2_vpc_route_table_info),
    M(amazon.aws.ec2_security_group_info)) for this, about 0.7 s each. This module makes the same four
    paginated calls (C(DescribeVpcs), C(DescribeSubnets), C(DescribeRouteTables), C(DescribeSecurityGroups))
    in one run. Unlike M(pathwai.airflow_ecs.foundation_info) it reads no KMS key, so it costs no call per key.
  - Read-only; runs the same in check mode.
author:
  - pathwai platform engineering
options:
  vpc_tags:
    description: Tags the VPC must carry (all of them).
    type: dict
    required: true
  tier_tag:
    description: The tag whose value groups the subnets and route tables.
    type: str
    default: airflow:tier
  groups:
    description: Names of security groups of the VPC to find (no C(DescribeSecurityGroups) call when empty).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the VPC, its subnets and route tables by tier and the endpoint security group
  pathwai.airflow_ecs.vpc_network_info:
    vpc_tags: {Name: airflow-dev-vpc, "airflow:env": dev}
    groups: [airflow-dev-vpc-endpoints]
  register: network

- name: Use it
  ansible.builtin.debug:
    msg: "{{ network.vpc_id }} {{ network.subnet_ids.private }} {{ network.route_table_ids.data }}"
"""

RETURN = r"""
vpc_ids: {description: Every VPC carrying the tags (sorted)., returned: always, type: list, elements: str}
vpc_id: {description: The VPC when exactly one carries the tags, else empty., returned: always, type: str}
subnet_ids:
  description: Tier to its subnet ids (sorted); subnets without the tier tag are left out.
  returned: always
  type: dict
  sample: {"private": ["subnet-1", "subnet-2"], "public": ["subnet-3", "subnet-4"]}
route_table_ids:
  description: Tier to its route table ids (sorted); route tables without the tier tag are left out.
  returned: always
  type: dict
  sample: {"private": ["rtb-1", "rtb-2"], "data": ["rtb-3"]}
group_ids:
  description: Security group name to id, for the names of O(groups) that exist in the VPC.
  returned: always
  type: dict
  sample: {"airflow-dev-vpc-endpoints": "sg-0123"}
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate, retrying_client
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_dict


def by_tier(items: list, id_key: str, tier_tag: str) -> dict:
    out: dict = {}
    for item in items:
        tier = tags_dict(item.get("Tags")).get(tier_tag)
        if tier:
            out.setdefault(tier, []).append(item[id_key])
    return {tier: sorted(ids) for tier, ids in sorted(out.items())}


def read(module) -> dict:
    params = module.params
    ec2 = retrying_client(module, "ec2")
    filters = [{"Name": f"tag:{k}", "Values": [str(v)]} for k, v in sorted(params["vpc_tags"].items())]
    vpc_ids = sorted(v["VpcId"] for v in paginate(ec2, "describe_vpcs", Filters=filters)["Vpcs"])
    result = dict(vpc_ids=vpc_ids, vpc_id="", subnet_ids={}, route_table_ids={}, group_ids={})
    if len(vpc_ids) != 1:
        return result
    in_vpc = [{"Name": "vpc-id", "Values": vpc_ids}]
    result["vpc_id"] = vpc_ids[0]
    subnets = paginate(ec2, "describe_subnets", Filters=in_vpc)["Subnets"]
    result["subnet_ids"] = by_tier(subnets, "SubnetId", params["tier_tag"])
    tables = paginate(ec2, "describe_route_tables", Filters=in_vpc)["RouteTables"]
    result["route_table_ids"] = by_tier(tables, "RouteTableId", params["tier_tag"])
    if params["groups"]:
        groups = paginate(
            ec2,
            "describe_security_groups",
            Filters=[*in_vpc, {"Name": "group-name", "Values": params["groups"]}],
        )["SecurityGroups"]
        result["group_ids"] = {g["GroupName"]: g["GroupId"] for g in groups}
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_tags=dict(type="dict", required=True),
            tier_tag=dict(type="str", default="airflow:tier"),
            groups=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        result = read(module)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(
            e, msg="Failed to read the VPC and its subnets, route tables and security groups"
        )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
