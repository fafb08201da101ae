#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: efs_access_point
short_description: Manage an EFS access point (root directory, POSIX identity, tags)
version_added: 0.1.0
description:
  - Creates, replaces or deletes one EFS access point, identified by its file system and its O(name)
    (the C(Name) tag).
  - AWS access points are immutable apart from their tags. When O(path), O(posix_user) or O(creation_info)
    differ from the existing access point, the task fails and explains, unless O(recreate=true), in which case a new
    access point is created and, once available, the old one deleted (its id changes; task definitions
    that name it must follow). Check mode reports the plan.
  - Supports check mode and diff mode.
  - Calls used are C(DescribeAccessPoints) (paginated), C(CreateAccessPoint), C(DeleteAccessPoint),
    C(TagResource), C(UntagResource).
author:
  - pathwai platform engineering
options:
  file_system_id:
    description: The file system of the access point.
    type: str
    required: true
  name:
    description: The access point's name (its C(Name) tag); unique per file system for this module.
    type: str
    required: true
  state:
    description: Whether the access point should exist.
    type: str
    choices: [present, absent]
    default: present
  path:
    description: The directory exposed as the root of the access point, for example C(/airflow).
    type: str
    default: /
  posix_user:
    description: The POSIX identity every request through the access point uses. Omit for none.
    type: dict
    suboptions:
      uid: {description: User id., type: int, required: true}
      gid: {description: Group id., type: int, required: true}
      secondary_gids: {description: Secondary group ids., type: list, elements: int, default: []}
  creation_info:
    description: Owner and permissions EFS gives O(path) when it does not exist yet. Omit for none.
    type: dict
    suboptions:
      owner_uid: {description: Owner user id., type: int, required: true}
      owner_gid: {description: Owner group id., type: int, required: true}
      permissions: {description: 'Octal mode as a string, for example C("0755").', type: str, required: true}
  recreate:
    description: Replace the access point when an immutable setting differs (otherwise the task fails).
    type: bool
    default: false
  wait:
    description: Wait until a new access point is C(available).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Access point for Airflow (uid/gid 50000), /airflow created 0755 on first use
  pathwai.airflow_ecs.efs_access_point:
    file_system_id: "{{ efs.file_system_id }}"
    name: airflow-prod-dags
    path: /airflow
    posix_user: {uid: 50000, gid: 0}
    creation_info: {owner_uid: 50000, owner_gid: 0, permissions: "0755"}
    tags:
      airflow:env: prod

- name: Change the POSIX user (replaces the access point)
  pathwai.airflow_ecs.efs_access_point:
    file_system_id: "{{ efs.file_system_id }}"
    name: airflow-prod-dags
    path: /airflow
    posix_user: {uid: 50001, gid: 0}
    creation_info: {owner_uid: 50000, owner_gid: 0, permissions: "0755"}
    recreate: true
"""

RETURN = r"""
access_point_id: {description: The access point id (null in check mode before creation)., returned: when present, type: str, sample: fsap-0123456789abcdef0}
arn: {description: The access point ARN., returned: when present, type: str}
file_system_id: {description: The file system., returned: always, type: str}
name: {description: The Name tag., returned: always, type: str}
life_cycle_state: {description: The access point state., returned: when present, type: str}
path: {description: The root directory., returned: when present, type: str}
posix_user:
  description: The POSIX identity (null when none).
  returned: when present
  type: dict
  sample: {uid: 50000, gid: 0, secondary_gids: []}
creation_info:
  description: Owner and permissions of the root directory on creation (null when none).
  returned: when present
  type: dict
  sample: {owner_uid: 50000, owner_gid: 0, permissions: "0755"}
tags: {description: Tags., returned: when present, type: dict}
replaced:
  description: The settings that differed, when the access point was (or in check mode would be) replaced.
  returned: when replaced
  type: list
  elements: str
replaced_access_point_id: {description: The id of the access point that was replaced., returned: when replaced, type: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs import (
    access_point_differences,
    create_access_point_request,
    desired_access_point,
    normalise_access_point,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.efs_api import (
    find_access_points,
    read_access_point,
    wait_access_point_available,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_list


def create(module, client) -> dict:
    created = client.create_access_point(**create_access_point_request(module.params), aws_retry=True)
    if module.params["wait"]:
        created = wait_access_point_available(client, created["AccessPointId"], module.params["wait_timeout"])
    return normalise_access_point(created)


def delete(client, access_point_id: str) -> None:
    try:
        client.delete_access_point(AccessPointId=access_point_id, aws_retry=True)
    except is_boto3_error_code("AccessPointNotFound"):
        pass


def ensure_present(module, client, current: dict | None) -> dict:
    params = module.params
    before = normalise_access_point(current)
    desired = desired_access_point(params, before)
    if before is None:
        if module.check_mode:
            return dict(changed=True, **desired, diff=diff_result({}, desired))
        after = create(module, client)
        return dict(changed=True, **after, diff=diff_result({}, after))

    differ = access_point_differences(before, desired)
    if differ and not params["recreate"]:
        module.fail_json(
            msg=(
                f"EFS access point {before['access_point_id']} ({params['name']}) differs in "
                f"{', '.join(differ)}, which AWS cannot change on an existing access point. Set recreate: true "
                "to replace it (new id: task definitions that name it must be updated), or change the "
                "desired settings back."
            ),
            differences=differ,
            diff=diff_result(before, desired),
            **before,
        )
    if differ:
        replaced = dict(replaced=differ, replaced_access_point_id=before["access_point_id"])
        if module.check_mode:
            planned = {**desired, "access_point_id": None, "arn": None}
            return dict(changed=True, **planned, **replaced, diff=diff_result(before, planned))
        after = create(module, client)
        delete(client, before["access_point_id"])
        return dict(changed=True, **after, **replaced, diff=diff_result(before, after))

    to_set, to_remove = tag_changes(before["tags"], desired["tags"])
    if not to_set and not to_remove:
        return dict(changed=False, **before)
    if module.check_mode:
        return dict(changed=True, **desired, diff=diff_result(before, desired))
    ap_id = before["access_point_id"]
    if to_remove:
        client.untag_resource(ResourceId=ap_id, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(ResourceId=ap_id, Tags=tags_list(to_set), aws_retry=True)
    after = normalise_access_point(read_access_point(client, ap_id))
    return dict(changed=True, **after, diff=diff_result(before, after))


def ensure_absent(module, client, found: list) -> dict:
    if not found:
        return dict(changed=False, file_system_id=module.params["file_system_id"], name=module.params["name"])
    before = normalise_access_point(found[0])
    if not module.check_mode:
        for ap in found:
            delete(client, ap["AccessPointId"])
    return dict(changed=True, **before, diff=diff_result(before, {}))


def main():
    argument_spec = dict(
        file_system_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        path=dict(type="str", default="/"),
        posix_user=dict(
            type="dict",
            options=dict(
                uid=dict(type="int", required=True),
                gid=dict(type="int", required=True),
                secondary_gids=dict(type="list", elements="int", default=[]),
            ),
        ),
        creation_info=dict(
            type="dict",
            options=dict(
                owner_uid=dict(type="int", required=True),
                owner_gid=dict(type="int", required=True),
                permissions=dict(type="str", required=True),
            ),
        ),
        recreate=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    info = module.params.get("creation_info")
    if info and not (3 <= len(info["permissions"]) <= 4 and set(info["permissions"]) <= set("01234567")):
        module.fail_json(
            msg=f"creation_info.permissions must be an octal mode such as '0755', not {info['permissions']!r}"
        )
    client = retrying_client(module, "efs")

    def work():
        found = find_access_points(client, module.params["file_system_id"], module.params["name"])
        if module.params["state"] == "present":
            if len(found) > 1:
                module.fail_json(
                    msg=f"{len(found)} access points of {module.params['file_system_id']} are named "
                    f"{module.params['name']!r}: delete the extra ones",
                    access_point_ids=[ap["AccessPointId"] for ap in found],
                )
            result = ensure_present(module, client, found[0] if found else None)
        else:
            result = ensure_absent(module, client, found)
        return result

    run_module(module, work, f"manage the EFS access point {module.params['name']}")


if __name__ == "__main__":
    main()
