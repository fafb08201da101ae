#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: Register an ECS task definition revision only when the definition really changed
version_added: 0.1.0
description:
  - Keeps the latest ACTIVE revision of an ECS task definition family equal to the given definition.
    A new revision is registered only when the definition differs from that revision; tags alone are
    changed on the revision in place.
  - Why not C(community.aws.ecs_taskdefinition) - it registers a new revision on every run when AWS has filled
    in a default the task did not spell out (for example C(rootDirectory) C(/) of an EFS volume, a health
    check's C(interval)), so every service redeploys on every run; and it ignores changes of the task-level
    C(cpu) and C(memory), so a resize never happens.
  - Both sides are compared in one canonical form (C(plugins/module_utils/ecs_taskdef.py)) - read-only fields
    dropped; the defaults AWS fills in (container C(cpu) 0, C(essential) true, port mappings' C(hostPort) and
    C(protocol), health-check C(interval)/C(timeout)/C(retries), EFS C(rootDirectory)/C(transitEncryption)/C(iam))
    filled in on both sides; empty lists and false booleans removed; C(environment) and C(secrets) sorted by
    name; C(cpu)/C(memory) compared as AWS stores them (C("1 vCPU") is C("1024")).
  - Tags whose key starts with C(pathwai:) are markers that other modules of this collection write on a
    revision (M(pathwai.airflow_ecs.ecs_task_run) writes C(pathwai:run-succeeded)); they are never purged by
    O(purge_tags), and a new revision does not inherit them.
  - O(state=absent) deregisters every ACTIVE revision of the family.
  - Supports check mode and diff mode. In check mode a needed new revision is reported with
    RV(task_definition_arn) and RV(revision) null (AWS assigns them).
  - Calls used - C(DescribeTaskDefinition) (with tags), C(RegisterTaskDefinition), C(TagResource),
    C(UntagResource), C(ListTaskDefinitions) (paginated), C(DeregisterTaskDefinition). The emulator serves
    them all; C(local_aws/extensions/ecs_task_definitions.py) makes moto fill in the defaults real AWS
    fills in (and answer a family by its latest ACTIVE revision), and the unit tests also feed the module,
    through botocore's Stubber, a DescribeTaskDefinition response shaped like real AWS's.
author:
  - pathwai platform engineering
options:
  family:
    description: The task definition family.
    type: str
    required: true
  state:
    description: C(present) registers a revision when needed; C(absent) deregisters every ACTIVE revision.
    type: str
    choices: [present, absent]
    default: present
  cpu:
    description:
      - Task-level CPU, in CPU units (C("1024")) or vCPUs (C("1 vCPU")). Required by Fargate.
    type: str
  memory:
    description:
      - Task-level memory, in MiB (C("2048")) or GB (C("2 GB")). Required by Fargate.
    type: str
  network_mode:
    description: The Docker networking mode of the task's containers.
    type: str
    choices: [awsvpc, bridge, host, none]
    default: awsvpc
  requires_compatibilities:
    description: The launch types the definition is validated against.
    type: list
    elements: str
    default: [FARGATE]
  execution_role_arn:
    description: The role ECS uses to pull images, read C(secrets) and write awslogs.
    type: str
  task_role_arn:
    description: The role the containers' AWS calls use.
    type: str
  runtime_platform:
    description: Operating system and CPU architecture (Fargate).
    type: dict
    suboptions:
      cpu_architecture:
        description: The CPU architecture.
        type: str
        choices: [X86_64, ARM64]
      operating_system_family:
        description: The operating system family.
        type: str
        default: LINUX
  ephemeral_storage_gib:
    description: Fargate ephemeral storage in GiB (21-200). Omit for the default 20 GiB.
    type: int
  container_definitions:
    description:
      - The containers, each a dict in the ECS API shape exactly as boto3's C(register_task_definition) takes
        it (camelCase - C(name), C(image), C(essential), C(command), C(environment) C([{name, value}]),
        C(secrets) C([{name, valueFrom}]), C(portMappings), C(mountPoints), C(healthCheck),
        C(logConfiguration), C(stopTimeout), C(user), C(readonlyRootFilesystem), C(linuxParameters), ...).
      - Passed through as given, except that C(environment) values that are numbers become strings (a boolean
        value fails - quote it).
      - Required with O(state=present).
    type: list
    elements: dict
  volumes:
    description:
      - 'Task volumes in the API shape, for example C({name: dags, efsVolumeConfiguration: {fileSystemId: fs-1,
        transitEncryption: ENABLED, authorizationConfig: {accessPointId: fsap-1, iam: ENABLED}}}).'
    type: list
    elements: dict
  tags:
    description:
      - Tags of the latest revision (and of a new revision). Omit to leave the tags as they are (a new revision
        then gets the tags of the previous one).
      - Keys starting with C(pathwai:) are markers of this collection and are never removed.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) (except C(pathwai:) markers). Only with O(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The db migrate task definition
  pathwai.airflow_ecs.ecs_task_definition:
    family: airflow-prod-db-migrate
    cpu: "1024"
    memory: "2048"
    execution_role_arn: "{{ execution_role_arn }}"
    runtime_platform: {cpu_architecture: ARM64}
    container_definitions:
      - name: db-migrate
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow:3.1.8
        command: [airflow, db, migrate]
        environment:
          - {name: AIRFLOW__CORE__EXECUTOR, value: CeleryExecutor}
        secrets:
          - {name: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, valueFrom: "{{ sql_alchemy_conn_secret_arn }}"}
        logConfiguration:
          logDriver: awslogs
          options: {awslogs-group: /airflow/prod/db-migrate, awslogs-region: eu-west-1, awslogs-stream-prefix: db-migrate}
    tags:
      airflow:env: prod
  register: migrate_taskdef

- name: Remove every revision of a family
  pathwai.airflow_ecs.ecs_task_definition:
    family: airflow-prod-old
    state: absent
"""

RETURN = r"""
task_definition_arn:
  description: The ARN of the latest ACTIVE revision (null in check mode when a new revision would be registered).
  returned: when state is present
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:task-definition/airflow-prod-db-migrate:7
family: {description: The family., returned: always, type: str}
revision: {description: The revision number (null in check mode before registration)., returned: when state is present, type: int}
task_definition:
  description:
    - The definition in the canonical form the comparison uses (API shape, defaults filled, empties removed).
      Contains no secret values (C(secrets) are ARNs).
  returned: when state is present
  type: dict
tags: {description: The revision's tags., returned: when state is present, type: dict}
differences:
  description: What differed from the latest revision (top-level keys, C(containerDefinitions[<name>])).
  returned: when a new revision is (or would be) registered over an existing one
  type: list
  elements: str
deregistered:
  description: The ARNs of the revisions deregistered (or that would be).
  returned: when state is absent
  type: list
  elements: str
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    exit_with,
    retrying_client,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_api import (
    active_revisions,
    deregister,
    describe_definition,
    register,
    retag,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_taskdef import (
    DefinitionError,
    definition_differences,
    desired_definition,
    desired_tags,
    new_revision_tags,
    normalise_definition,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes


def _view(definition: dict | None, tags: dict) -> dict:
    return {**(normalise_definition(definition) or {}), "tags": tags} if definition else {}


def _result(definition: dict | None, tags: dict, family: str, **extra) -> dict:
    return dict(
        task_definition_arn=(definition or {}).get("taskDefinitionArn"),
        family=family,
        revision=(definition or {}).get("revision"),
        task_definition=normalise_definition(definition),
        tags=tags,
        **extra,
    )


def ensure_present(module, client) -> dict:
    params = module.params
    try:
        desired = desired_definition(params)
        normalise_definition(desired)
    except DefinitionError as e:
        module.fail_json(msg=f"Task definition {params['family']}: {e}")
    current, current_tags = describe_definition(client, params["family"])
    before = _view(current, current_tags)

    differ = definition_differences(current, desired) if current else []
    if current is None or differ:
        tags = new_revision_tags(current_tags, params["tags"])
        extra = {"differences": differ} if current else {}
        if module.check_mode:
            planned = {**desired, "taskDefinitionArn": None, "revision": None}
            return dict(
                changed=True,
                **_result(planned, tags, params["family"], **extra),
                diff=diff_result(before, _view(desired, tags)),
            )
        registered, registered_tags = register(client, desired, tags)
        return dict(
            changed=True,
            **_result(registered, registered_tags, params["family"], **extra),
            diff=diff_result(before, _view(registered, registered_tags)),
        )

    want = desired_tags(current_tags, params["tags"], params["purge_tags"])
    to_set, to_remove = tag_changes(current_tags, want)
    if not to_set and not to_remove:
        return dict(changed=False, **_result(current, current_tags, params["family"]))
    if not module.check_mode:
        retag(client, current["taskDefinitionArn"], to_set, to_remove)
    return dict(
        changed=True,
        **_result(current, want, params["family"]),
        diff=diff_result(before, _view(current, want)),
    )


def ensure_absent(module, client) -> dict:
    family = module.params["family"]
    arns = active_revisions(client, family)
    if arns and not module.check_mode:
        for arn in arns:
            deregister(client, arn)
    before = {"family": family, "active_revisions": arns}
    return dict(
        changed=bool(arns),
        family=family,
        deregistered=arns,
        diff=diff_result(before, {"family": family, "active_revisions": []}) if arns else None,
    )


def main():
    argument_spec = dict(
        family=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        network_mode=dict(type="str", choices=["awsvpc", "bridge", "host", "none"], default="awsvpc"),
        requires_compatibilities=dict(type="list", elements="str", default=["FARGATE"]),
        execution_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        runtime_platform=dict(
            type="dict",
            options=dict(
                cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"]),
                operating_system_family=dict(type="str", default="LINUX"),
            ),
        ),
        ephemeral_storage_gib=dict(type="int"),
        container_definitions=dict(type="list", elements="dict"),
        volumes=dict(type="list", elements="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["container_definitions"])],
    )
    client = retrying_client(module, "ecs")
    try:
        if module.params["state"] == "present":
            result = ensure_present(module, client)
        else:
            result = ensure_absent(module, client)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage the ECS task definition {module.params['family']}")
    if result.get("diff") is None:
        result.pop("diff", None)
    exit_with(module, result)


if __name__ == "__main__":
    main()
