#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: elasticache_parameter_group
short_description: Manage an ElastiCache cache parameter group (any family, redis7 and valkey included)
version_added: 0.1.0
description:
  - Creates, updates or deletes one ElastiCache cache parameter group and sets its parameters.
  - Written because M(community.aws.elasticache_parameter_group) stops at the C(redis6.x) families,
    so a C(redis7) group (needed for Redis 7.1 with C(maxmemory-policy=noeviction)) cannot be managed.
  - Idempotent. The wanted O(parameters) are compared with C(DescribeCacheParameters) (all pages);
    C(ModifyCacheParameterGroup) is called only for parameters whose effective value differs, in
    batches of 20 (the AWS limit per request). A parameter already at the wanted value is not a change,
    whether it was set by a user or is the family default.
  - Names, modifiability and allowed values are checked against the group's parameters (for a new
    group, C(DescribeEngineDefaultParameters) of the family) before anything is written, so a typo fails
    without leaving a half-made group.
  - The family and the description of an existing group cannot be changed in place by AWS. A different
    O(family) fails; a different O(description) is reported as a warning and left as it is.
  - Supports check mode and diff mode.
  - Calls used are C(DescribeCacheParameterGroups), C(DescribeCacheParameters) (paginated),
    C(DescribeEngineDefaultParameters) (paginated), C(CreateCacheParameterGroup),
    C(ModifyCacheParameterGroup), C(ResetCacheParameterGroup), C(DeleteCacheParameterGroup),
    C(ListTagsForResource), C(AddTagsToResource), C(RemoveTagsFromResource).
author:
  - pathwai platform engineering
options:
  name:
    description: The parameter group name. AWS stores it in lower case.
    type: str
    required: true
    aliases: [cache_parameter_group_name]
  family:
    description:
      - The parameter group family, for example C(redis7), C(redis6.x), C(valkey8), C(memcached1.6).
      - Required to create the group. An existing group of another family makes the module fail.
    type: str
  description:
    description:
      - The group's description. Required to create the group (AWS cannot change it later).
    type: str
  parameters:
    description:
      - Parameter names and values, for example C(maxmemory-policy) set to C(noeviction).
      - Values are sent as strings; YAML booleans become C(yes)/C(no) as Redis expects.
      - Omit to leave the parameters alone.
    type: dict
  purge_parameters:
    description:
      - Reset to their defaults the user-set parameters not listed in O(parameters).
      - Has no effect when O(parameters) is omitted.
    type: bool
    default: false
  state:
    description: Whether the group should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Broker parameter group for Redis 7 (queued tasks must never be evicted)
  pathwai.airflow_ecs.elasticache_parameter_group:
    name: airflow-prod-redis
    family: redis7
    description: Airflow Celery broker
    parameters:
      maxmemory-policy: noeviction
      timeout: 300
    tags:
      airflow:env: prod

- name: Keep only the listed parameters set (reset any other user-set one)
  pathwai.airflow_ecs.elasticache_parameter_group:
    name: airflow-prod-redis
    family: redis7
    description: Airflow Celery broker
    parameters:
      maxmemory-policy: noeviction
    purge_parameters: true

- name: Remove the group
  pathwai.airflow_ecs.elasticache_parameter_group:
    name: airflow-prod-redis
    state: absent
"""

RETURN = r"""
cache_parameter_group:
  description: The group after the run (before it, when deleted; empty when absent).
  returned: always
  type: dict
  contains:
    name: {description: The group name., type: str, sample: airflow-prod-redis}
    family: {description: The family., type: str, sample: redis7}
    description: {description: The description., type: str}
    arn: {description: The group ARN., type: str}
    parameters:
      description: The parameters set by a user (Source C(user)) and their effective values.
      type: dict
      sample: {maxmemory-policy: noeviction}
    tags: {description: Tags., type: dict}
changes:
  description: What was (or, in check mode, would be) changed.
  returned: when an existing group changed
  type: dict
  contains:
    modified: {description: Parameters set, name to new value., type: dict}
    reset: {description: Parameters reset to their defaults., type: list, elements: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.elasticache import (
    chunks,
    normalise_parameter_group,
    parameter_changes,
    parameter_value,
    wanted_tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_dict


def find_group(client, name: str) -> dict | None:
    try:
        return client.describe_cache_parameter_groups(CacheParameterGroupName=name, aws_retry=True)[
            "CacheParameterGroups"
        ][0]
    except is_boto3_error_code("CacheParameterGroupNotFound"):
        return None


def read_parameters(client, name: str) -> list[dict]:
    return paginate(client, "describe_cache_parameters", CacheParameterGroupName=name).get("Parameters", [])


def read_tags(client, arn: str | None) -> dict:
    if not arn:
        return {}
    return tags_dict(client.list_tags_for_resource(ResourceName=arn, aws_retry=True).get("TagList"))


def apply_tags(client, arn: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())], aws_retry=True
        )


def write_parameters(client, name: str, modify: dict, reset: list) -> None:
    for batch in chunks(sorted(modify.items())):
        client.modify_cache_parameter_group(
            CacheParameterGroupName=name,
            ParameterNameValues=[{"ParameterName": k, "ParameterValue": v} for k, v in batch],
            aws_retry=True,
        )
    for batch in chunks(reset):
        client.reset_cache_parameter_group(
            CacheParameterGroupName=name,
            ResetAllParameters=False,
            ParameterNameValues=[{"ParameterName": k} for k in batch],
            aws_retry=True,
        )


def fail_on_errors(module, errors: list[str], group: str) -> None:
    if errors:
        module.fail_json(msg=f"Invalid parameters for cache parameter group {group}: " + "; ".join(errors))


def create(module, client) -> dict:
    params = module.params
    name = params["name"].lower()
    for option in ("family", "description"):
        if not params[option]:
            module.fail_json(msg=f"{option} is required to create cache parameter group {name}")
    defaults = paginate(
        client, "describe_engine_default_parameters", CacheParameterGroupFamily=params["family"]
    ).get("EngineDefaults", {})
    modify, _, errors = parameter_changes(defaults.get("Parameters", []), params["parameters"], False)
    fail_on_errors(module, errors, name)
    after = {
        "name": name,
        "family": params["family"],
        "description": params["description"],
        "parameters": dict(modify),
        "tags": wanted_tags({}, params["tags"], True),
    }
    if module.check_mode:
        return dict(changed=True, cache_parameter_group=after, diff=diff_result({}, after))
    request = dict(
        CacheParameterGroupName=name,
        CacheParameterGroupFamily=params["family"],
        Description=params["description"],
    )
    if params["tags"]:
        request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in sorted(params["tags"].items())]
    group = client.create_cache_parameter_group(**request, aws_retry=True)["CacheParameterGroup"]
    write_parameters(client, name, modify, [])
    result = normalise_parameter_group(
        group, read_parameters(client, name), read_tags(client, group.get("ARN"))
    )
    return dict(changed=True, cache_parameter_group=result, diff=diff_result({}, result))


def update(module, client, group: dict) -> dict:
    params = module.params
    name = group["CacheParameterGroupName"]
    if params["family"] and params["family"] != group["CacheParameterGroupFamily"]:
        module.fail_json(
            msg=f"Cache parameter group {name} is of family {group['CacheParameterGroupFamily']}, not "
            f"{params['family']}; AWS cannot change the family of a group (delete and recreate it, or use a new name)"
        )
    if params["description"] is not None and params["description"] != group.get("Description", ""):
        module.warn(
            f"The description of cache parameter group {name} cannot be changed in place; left as it is"
        )
    parameters = read_parameters(client, name)
    before = normalise_parameter_group(group, parameters, read_tags(client, group.get("ARN")))
    modify, reset, errors = parameter_changes(parameters, params["parameters"], params["purge_parameters"])
    fail_on_errors(module, errors, name)
    to_set, to_remove = tag_changes(before["tags"], params["tags"], params["purge_tags"])
    if not modify and not reset and not to_set and not to_remove:
        return dict(changed=False, cache_parameter_group=before)
    changes = {"modified": modify, "reset": reset}
    if module.check_mode:
        effective = {k: v for k, v in before["parameters"].items() if k not in reset}
        after = dict(
            before,
            parameters={**effective, **modify},
            tags=wanted_tags(before["tags"], params["tags"], params["purge_tags"]),
        )
        return dict(
            changed=True, cache_parameter_group=after, changes=changes, diff=diff_result(before, after)
        )
    write_parameters(client, name, modify, reset)
    apply_tags(client, group["ARN"], to_set, to_remove)
    after = normalise_parameter_group(
        group, read_parameters(client, name), read_tags(client, group.get("ARN"))
    )
    return dict(changed=True, cache_parameter_group=after, changes=changes, diff=diff_result(before, after))


def delete(module, client, group: dict | None) -> dict:
    if group is None:
        return dict(changed=False, cache_parameter_group={})
    name = group["CacheParameterGroupName"]
    before = normalise_parameter_group(
        group, read_parameters(client, name), read_tags(client, group.get("ARN"))
    )
    if not module.check_mode:
        try:
            client.delete_cache_parameter_group(CacheParameterGroupName=name, aws_retry=True)
        except is_boto3_error_code("CacheParameterGroupNotFound"):
            pass  # deleted meanwhile
    return dict(changed=True, cache_parameter_group=before, diff=diff_result(before, {}))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["cache_parameter_group_name"]),
        family=dict(type="str"),
        description=dict(type="str"),
        parameters=dict(type="dict"),
        purge_parameters=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["parameters"] is not None:
        module.params["parameters"] = {k: parameter_value(v) for k, v in module.params["parameters"].items()}
    client = retrying_client(module, "elasticache")

    def work():
        group = find_group(client, module.params["name"].lower())
        if module.params["state"] == "absent":
            result = delete(module, client, group)
        elif group is None:
            result = create(module, client)
        else:
            result = update(module, client, group)
        return result

    run_module(module, work, f"manage cache parameter group {module.params['name']}")


if __name__ == "__main__":
    main()
