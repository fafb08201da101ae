#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: ec2_prefix_list_info
short_description: Look up AWS-managed prefix lists (for example the S3 gateway endpoint's)
version_added: 0.1.0
description:
  - Returns the AWS-managed prefix lists whose names are given, such as C(com.amazonaws.us-east-1.s3).
  - Security groups need the S3 prefix list id for an egress rule to the S3 gateway endpoint,
    which has no security group of its own. No module in amazon.aws or community.aws looks it up.
  - Read-only; safe in check mode. Uses C(DescribePrefixLists) with a paginator.
author:
  - pathwai platform engineering
options:
  names:
    description: Prefix-list names. Every name must exist, or the module fails naming the missing ones.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the S3 prefix list of this region
  pathwai.airflow_ecs.ec2_prefix_list_info:
    names: ["com.amazonaws.us-east-1.s3"]
  register: prefix_lists

- name: Use its id in a security-group egress rule
  ansible.builtin.debug:
    msg: "{{ prefix_lists.prefix_list_ids['com.amazonaws.us-east-1.s3'] }}"
"""

RETURN = r"""
prefix_list_ids:
  description: Prefix-list id by name.
  returned: always
  type: dict
  sample: {"com.amazonaws.us-east-1.s3": "pl-63a5400a"}
prefix_lists:
  description: The prefix lists as AWS describes them (snake_case keys).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import retrying_client, run_module
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.lookups import prefix_lists


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(names=dict(type="list", elements="str", required=True)),
        supports_check_mode=True,
    )
    names = module.params["names"]
    client = retrying_client(module, "ec2")

    def work():
        found = prefix_lists(client, names)
        ids = {p["PrefixListName"]: p["PrefixListId"] for p in found}
        missing = sorted(set(names) - set(ids))
        if missing:
            module.fail_json(msg=f"No AWS-managed prefix list named {', '.join(missing)} in this region")
        return dict(
            changed=False,
            prefix_list_ids=ids,
            prefix_lists=[camel_dict_to_snake_dict(p) for p in found],
        )

    run_module(module, work, "describe prefix lists")


if __name__ == "__main__":
    main()
