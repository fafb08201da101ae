#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: efs_file_system_info
short_description: Find an EFS file system by name, with its mount targets and access points
version_added: 0.1.0
description:
  - Returns the file system whose creation token is O(name) (the name M(pathwai.airflow_ecs.efs_file_system)
    gives it), its mount targets and its access points, in the same shape that module returns.
  - Written because M(community.aws.efs_info) calls the legacy C(DescribeTags) API and lists no access points.
  - Calls C(DescribeFileSystems) (paginated), C(DescribeMountTargets), C(DescribeMountTargetSecurityGroups),
    C(DescribeAccessPoints) (paginated) and C(ListTagsForResource).
author:
  - pathwai platform engineering
options:
  name:
    description: The file system's creation token.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the DAGs file system and its access points
  pathwai.airflow_ecs.efs_file_system_info:
    name: airflow-prod-dags
  register: dags_fs
"""

RETURN = r"""
exists: {description: Whether the file system exists., returned: always, type: bool}
file_system:
  description: The file system as M(pathwai.airflow_ecs.efs_file_system) returns it (null when absent).
  returned: always
  type: dict
access_points:
  description: Its access points as M(pathwai.airflow_ecs.efs_access_point) returns them, sorted by name.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs import normalise_access_point
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs_api import find_file_system, read_state


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(name=dict(type="str", required=True)), supports_check_mode=True
    )
    client = retrying_client(module, "efs")

    def work():
        fs = find_file_system(client, module.params["name"])
        if fs is None:
            return dict(changed=False, exists=False, file_system=None, access_points=[])
        state = read_state(client, fs, module.region)
        points = paginate(client, "describe_access_points", FileSystemId=fs["FileSystemId"])
        access_points = sorted(
            (normalise_access_point(ap) for ap in points.get("AccessPoints", [])),
            key=lambda ap: ap["name"] or "",
        )
        return dict(changed=False, exists=True, file_system=state, access_points=access_points)

    run_module(module, work, f"read the EFS file system {module.params['name']}")


if __name__ == "__main__":
    main()
