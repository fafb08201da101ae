#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: foundation_info
short_description: Find what phase 1 built for an environment (VPC, subnets, security groups, KMS keys)
version_added: 0.1.0
description:
  - The one lookup every later role starts with. Finds the VPC tagged C(Name=<name_prefix>-vpc) and
    C(airflow:env=<env>), its subnets by their C(airflow:tier) tag, the security groups named
    C(<name_prefix>-<short name>), the enabled KMS keys of the environment by their alias
    C(alias/<name_prefix>-<purpose>) (the aliases the kms role gives them), the route tables of the tiers
    asked for, and the account id.
  - Fails, before the calling role touches anything, with a message that names what is missing and the playbook
    that builds it, when the VPC is not exactly one or a required tier, group or key purpose is absent.
  - Written because assembling this from M(amazon.aws.ec2_vpc_net_info), M(amazon.aws.ec2_vpc_subnet_info),
    M(amazon.aws.ec2_security_group_info), M(amazon.aws.kms_key_info) and M(amazon.aws.aws_caller_info) took five
    module runs and the same Jinja indexing in every role.
  - Calls C(DescribeVpcs), C(DescribeSubnets), C(DescribeSecurityGroups) (paginated), C(DescribeRouteTables) (only
    with O(route_table_tiers)), C(ListAliases) (paginated, once) and C(DescribeKey) once per alias under
    C(alias/<name_prefix>-) (for the key's state and ARN; only with O(key_purposes)), and C(GetCallerIdentity);
    read-only, so it runs the same in check mode. The number of calls does not grow with the other keys of the
    account.
  - An alias is the key's identity, so keep O(name_prefix) distinct from the prefix of another environment
    followed by a dash (C(airflow-prod) would also see C(alias/airflow-prod-eu-rds) as purpose C(eu-rds)).
author:
  - pathwai platform engineering
options:
  env:
    description: The environment (value of the C(airflow:env) tag).
    type: str
    required: true
  name_prefix:
    description: The resource-name prefix (C(<project>-<env>)).
    type: str
    required: true
  tiers:
    description: Subnet tiers (C(airflow:tier)) that must each have at least two subnets.
    type: list
    elements: str
    default: []
  groups:
    description: Short names of the security groups that must exist (C(<name_prefix>-<short name>)).
    type: list
    elements: str
    default: []
  key_purposes:
    description: KMS key purposes that must have an enabled key. Without any, no key is read.
    type: list
    elements: str
    default: []
  route_table_tiers:
    description: Tiers (C(airflow:tier)) whose route tables are returned; each must have at least one.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the foundation
  pathwai.airflow_ecs.foundation_info:
    env: prod
    name_prefix: airflow-prod
    tiers: [private, data]
    groups: [rds, redis, efs]
    key_purposes: [rds, elasticache, efs, s3, secrets, logs]
  register: foundation

- name: Use it
  ansible.builtin.debug:
    msg: "{{ foundation.subnet_ids.data }} {{ foundation.group_ids.rds }} {{ foundation.key_arns.rds }}"
"""

RETURN = r"""
account_id: {description: The account id., returned: always, type: str, sample: "123456789012"}
vpc_id: {description: The VPC., returned: always, type: str}
subnet_ids:
  description: Tier to its subnet ids (sorted), for every tier found.
  returned: always
  type: dict
  sample: {"private": ["subnet-1", "subnet-2"], "data": ["subnet-3", "subnet-4"]}
group_ids:
  description: Short name to security-group id, for the groups asked for.
  returned: always
  type: dict
  sample: {"rds": "sg-0123"}
key_arns:
  description: >-
    Purpose to key ARN, for every enabled key under an alias C(alias/<name_prefix>-<purpose>) (empty
    without O(key_purposes)).
  returned: always
  type: dict
  sample: {"rds": "arn:aws:kms:us-east-1:123456789012:key/0123"}
route_table_ids:
  description: Tier to its route-table ids (sorted), for the tiers of O(route_table_tiers).
  returned: always
  type: dict
  sample: {"private": ["rtb-1"], "data": ["rtb-2"]}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.lookups import aliased_key_arns
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_dict


def by_tier(items: list, id_key: str, tiers=None) -> dict:
    """Tier (the ``airflow:tier`` tag) -> sorted ids of ``items`` (of the ``tiers`` given, or all)."""
    out: dict = {}
    for item in items:
        tier = tags_dict(item.get("Tags")).get("airflow:tier")
        if tier and (tiers is None or tier in tiers):
            out.setdefault(tier, []).append(item[id_key])
    return {tier: sorted(ids) for tier, ids in sorted(out.items())}


def missing(params: dict, result: dict) -> list[str]:
    subnet_ids, group_ids, keys = result["subnet_ids"], result["group_ids"], result["key_arns"]
    out = [f"subnet tier {t} (needs 2 subnets)" for t in params["tiers"] if len(subnet_ids.get(t, [])) < 2]
    out += [
        f"route table of tier {t}" for t in params["route_table_tiers"] if t not in result["route_table_ids"]
    ]
    out += [f"security group {params['name_prefix']}-{g}" for g in params["groups"] if g not in group_ids]
    out += [f"KMS key for {p}" for p in params["key_purposes"] if p not in keys]
    return out


def read(module) -> dict:
    params = module.params
    ec2 = retrying_client(module, "ec2")
    filters = [
        {"Name": "tag:Name", "Values": [layer_names(params["name_prefix"])["vpc"]]},
        {"Name": "tag:airflow:env", "Values": [params["env"]]},
    ]
    vpcs = paginate(ec2, "describe_vpcs", Filters=filters)["Vpcs"]
    if len(vpcs) != 1:
        module.fail_json(
            msg=f"Found {len(vpcs)} VPCs tagged Name={layer_names(params['name_prefix'])['vpc']}, airflow:env={params['env']}; "
            "expected one. Run playbooks/phase1_foundation.yml first."
        )
    vpc_id = vpcs[0]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnet_ids = by_tier(paginate(ec2, "describe_subnets", Filters=in_vpc)["Subnets"], "SubnetId")
    tables = (
        paginate(ec2, "describe_route_tables", Filters=in_vpc)["RouteTables"]
        if params["route_table_tiers"]
        else []
    )
    names = [f"{params['name_prefix']}-{g}" for g in params["groups"]]
    groups = (
        paginate(ec2, "describe_security_groups", Filters=[*in_vpc, {"Name": "group-name", "Values": names}])[
            "SecurityGroups"
        ]
        if names
        else []
    )
    group_ids = {g["GroupName"][len(params["name_prefix"]) + 1 :]: g["GroupId"] for g in groups}
    kms = retrying_client(module, "kms")
    keys = aliased_key_arns(kms, f"alias/{params['name_prefix']}-") if params["key_purposes"] else {}
    account_id = retrying_client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    result = dict(
        account_id=account_id,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        group_ids=group_ids,
        key_arns=keys,
        route_table_ids=by_tier(tables, "RouteTableId", params["route_table_tiers"]),
    )
    gaps = missing(params, result)
    if gaps:
        module.fail_json(
            msg=f"Phase 1 is incomplete for {params['env']}: missing {', '.join(gaps)}. "
            "Run playbooks/phase1_foundation.yml first.",
            **result,
        )
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            env=dict(type="str", required=True),
            name_prefix=dict(type="str", required=True),
            tiers=dict(type="list", elements="str", default=[]),
            groups=dict(type="list", elements="str", default=[]),
            key_purposes=dict(type="list", elements="str", default=[]),
            route_table_tiers=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    run_module(
        module, lambda: dict(changed=False, **read(module)), f"read the foundation of {module.params['env']}"
    )


if __name__ == "__main__":
    main()
