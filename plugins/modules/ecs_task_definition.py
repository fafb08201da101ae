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
  - Both sides are compared in one canonical form (C(plugins/module_utils/ecs_task_definition.py)) - read-only fields
    dropped; the defaults AWS fills in (container C(cpu) 0, C(essential) true, port mappings' C(hostPort) and
    C(protocol), health-check C(interval)/C(timeout)/C(retries), EFS C(rootDirectory)/C(transitEncryption)/C(iam))
    filled in on both sides; empty lists and false booleans removed; C(environment) and C(secrets) sorted by
    name; C(cpu)/C(memory) compared as AWS stores them (C("1 vCPU") is C("1024")).
  - Tags whose key starts with C(pathwai:) are markers that other modules of this collection write on a
    revision (M(pathwai.airflow_ecs.ecs_task_run) writes C(pathwai:run-succeeded)); they are never purged by
    O(purge_tags), and a new revision does not inherit them.
  - O(state=absent) deregisters every ACTIVE revision of the family.
  - Supports check mode and diff mode. In check mode a needed new revision is reported with
    RV(task_definition_arn) and RV(revision) null (AWS assigns them). The list form returns one diff per
    changed family.
  - Calls used - C(DescribeTaskDefinition) (with tags), C(RegisterTaskDefinition), C(TagResource),
    C(UntagResource), C(ListTaskDefinitions) (paginated), C(DeregisterTaskDefinition).
author:
  - pathwai platform engineering
options:
  family:
    description:
      - The task definition family (the single form). Exactly one of O(family) and O(definitions) is given.
    type: str
  definitions:
    description:
      - The list form - several families converged in one module run. Each item takes the per-definition
        options of the single form, with the same meaning and defaults - C(family) (required),
        C(container_definitions) (required), C(cpu), C(memory), C(network_mode), C(requires_compatibilities),
        C(execution_role_arn), C(task_role_arn), C(runtime_platform), C(ephemeral_storage_gib), C(volumes),
        C(tags), C(purge_tags).
      - Mutually exclusive with those options at the top level; only with O(state=present).
      - Every item is validated before any call. The latest ACTIVE revision of each family is read with one
        C(DescribeTaskDefinition) per family (ECS has no batch describe for task definitions; the calls run
        concurrently); a revision is registered only for the families whose definition changed.
      - Why the list form - a role that registers its definitions with the single form in a loop starts one
        module process per family. Measured on a no-op re-run of the compute role (7 families, a loaded 2-core
        controller) - 7 module runs and 15.1 s before, 1 run and 4.9 s after, the same 7 read calls and no write.
    type: list
    elements: dict
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

- name: Several families in one run (only the changed ones get a new revision)
  pathwai.airflow_ecs.ecs_task_definition:
    definitions:
      - family: airflow-prod-scheduler
        cpu: "1024"
        memory: "2048"
        execution_role_arn: "{{ execution_role_arn }}"
        container_definitions: "{{ scheduler_containers }}"
        tags: {airflow:env: prod, airflow:component: scheduler}
      - family: airflow-prod-worker
        cpu: "2048"
        memory: "4096"
        execution_role_arn: "{{ execution_role_arn }}"
        container_definitions: "{{ worker_containers }}"
        tags: {airflow:env: prod, airflow:component: worker}
  register: taskdefs
# taskdefs.by_family['airflow-prod-worker'].task_definition_arn

- name: Remove every revision of a family
  pathwai.airflow_ecs.ecs_task_definition:
    family: airflow-prod-old
    state: absent
"""

RETURN = r"""
task_definitions:
  description:
    - The list form - one result per item of O(definitions), in their order, each with C(changed) and the keys
      the single form returns (RV(task_definition_arn), RV(family), RV(revision), RV(task_definition), RV(tags),
      RV(differences)).
  returned: with O(definitions)
  type: list
  elements: dict
by_family:
  description: The list form - the same results keyed by family.
  returned: with O(definitions)
  type: dict
task_definition_arn:
  description: The ARN of the latest ACTIVE revision (null in check mode when a new revision would be registered).
  returned: when state is present (single form)
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:task-definition/airflow-prod-db-migrate:7
family: {description: The family., returned: single form, type: str}
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

import copy

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_definition import (
    DefinitionError,
    definition_differences,
    desired_definition,
    desired_tags,
    new_revision_tags,
    normalise_definition,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_definition_api import (
    active_revisions,
    deregister,
    describe_definition,
    describe_definitions,
    register,
    retag,
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


def plan_present(params: dict, current: dict | None, current_tags: dict, check_mode: bool, client) -> dict:
    """Converge one family given its latest ACTIVE revision (already read). Writes only outside
    check mode, and only a RegisterTaskDefinition when the definition differs (tags alone: retag)."""
    desired = desired_definition(params)
    before = _view(current, current_tags)
    differ = definition_differences(current, desired) if current else []
    if current is None or differ:
        tags = new_revision_tags(current_tags, params["tags"])
        extra = {"differences": differ} if current else {}
        if check_mode:
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
    if not check_mode:
        retag(client, current["taskDefinitionArn"], to_set, to_remove)
    return dict(
        changed=True,
        **_result(current, want, params["family"]),
        diff=diff_result(before, _view(current, want)),
    )


def _checked(params: dict) -> str | None:
    """Why ``params`` cannot be registered (None when it can), before any call."""
    try:
        normalise_definition(desired_definition(params))
    except DefinitionError as e:
        return f"Task definition {params['family']}: {e}"
    return None


def ensure_present(module, client) -> dict:
    params = module.params
    problem = _checked(params)
    if problem:
        module.fail_json(msg=problem)
    current, current_tags = describe_definition(client, params["family"])
    return plan_present(params, current, current_tags, module.check_mode, client)


def ensure_many(module, client) -> dict:
    """The list form: every definition checked first, their latest revisions read concurrently
    (one DescribeTaskDefinition per family, with tags), then only the changed ones written."""
    items = module.params["definitions"]
    families = [item["family"] for item in items]
    duplicates = sorted({f for f in families if families.count(f) > 1})
    if duplicates:
        module.fail_json(msg=f"definitions: each family may appear once; repeated: {', '.join(duplicates)}")
    problems = [p for p in (_checked(item) for item in items) if p]
    if problems:
        module.fail_json(msg="; ".join(problems))
    currents = describe_definitions(client, families)
    results = []
    for item in items:
        current, current_tags = currents[item["family"]]
        results.append(plan_present(item, current, current_tags, module.check_mode, client))
    diffs = []
    for result in results:
        diff = result.pop("diff", None)
        if diff:
            diffs.append({**diff, "before_header": result["family"], "after_header": result["family"]})
    out = dict(
        changed=any(r["changed"] for r in results),
        task_definitions=results,
        by_family={r["family"]: r for r in results},
    )
    if diffs:
        out["diff"] = diffs
    return out


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


# The per-definition options: top-level in the single form, each item's keys in O(definitions).
DEFINITION_OPTIONS = dict(
    family=dict(type="str", required=True),
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


def main():
    argument_spec = dict(
        copy.deepcopy(DEFINITION_OPTIONS),
        family=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        definitions=dict(
            type="list",
            elements="dict",
            options={
                **copy.deepcopy(DEFINITION_OPTIONS),
                "container_definitions": dict(type="list", elements="dict", required=True),
            },
        ),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("family", "definitions")],
        mutually_exclusive=[("definitions", key) for key in DEFINITION_OPTIONS],
        required_if=[("state", "present", ["container_definitions", "definitions"], True)],
    )
    if module.params["definitions"] is not None and module.params["state"] != "present":
        module.fail_json(msg="definitions (the list form) supports state=present only")
    client = retrying_client(module, "ecs")

    def work():
        if module.params["definitions"] is not None:
            result = ensure_many(module, client)
        elif module.params["state"] == "present":
            result = ensure_present(module, client)
        else:
            result = ensure_absent(module, client)
        if result.get("diff") is None:
            result.pop("diff", None)
        return result

    what = module.params["family"] or ", ".join(d["family"] for d in module.params["definitions"])
    run_module(module, work, f"manage the ECS task definition {what}")


if __name__ == "__main__":
    main()
