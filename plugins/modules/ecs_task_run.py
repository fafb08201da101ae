#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: ecs_task_run
short_description: Run a one-off ECS task to completion, check its exit codes, once per task definition revision
version_added: 0.1.0
description:
  - Starts one task of a task definition (for example C(airflow db migrate) before the services are updated),
    waits until it has STOPPED and fails unless every essential container exited with code 0. The failure
    message names each failed container, its exit code and reason, the task's stop reason, and where its logs
    are (awslogs group and stream C(<prefix>/<container>/<task id>)).
  - A successful run is recorded on the task definition revision as the tag
    C(pathwai:run-succeeded=<task ARN>). With O(once_per_revision) (the default) a later run of the same
    revision does nothing
    (C(changed=false), C(skipped=true)). A new revision (which M(pathwai.airflow_ecs.ecs_task_definition)
    registers without that tag) runs again.
  - Why not C(community.aws.ecs_task) - it waits only for RUNNING, never looks at exit codes (a failed
    migration reports success), and starts a new task on every play, so a re-run is never C(changed=0).
  - RunTask is sent with a client token (a retry after a lost answer does not start a second task),
    C(enableExecuteCommand=false) and C(propagateTags=TASK_DEFINITION).
  - On timeout the task is left running (stopping a migration half-way is worse than letting it finish); the
    failure returns its ARN.
  - Supports check mode (reports that the task would run; nothing is started or tagged).
  - Calls used - C(DescribeTaskDefinition) (with tags), C(RunTask), C(DescribeTasks), C(TagResource).
    RunTask C(failures) (for example no Fargate capacity) fail the task with AWS's reasons.
author:
  - pathwai platform engineering
options:
  cluster:
    description: The cluster name or ARN.
    type: str
    required: true
  task_definition:
    description: The task definition revision to run (ARN or C(family:revision); a bare family means its latest ACTIVE revision).
    type: str
    required: true
  launch_type:
    description: The launch type. Defaults to C(FARGATE) when O(capacity_provider_strategy) is not given.
    type: str
    choices: [FARGATE, EC2, EXTERNAL]
  capacity_provider_strategy:
    description: Capacity providers to run the task on (instead of O(launch_type)).
    type: list
    elements: dict
    suboptions:
      capacity_provider: {description: The capacity provider (for example C(FARGATE_SPOT))., type: str, required: true}
      weight: {description: Relative weight., type: int, default: 1}
      base: {description: Minimum number of tasks on this provider., type: int, default: 0}
  subnets:
    description: Subnets of the task's network interface (awsvpc).
    type: list
    elements: str
  security_groups:
    description: Security groups of the task's network interface (the VPC's default group when omitted).
    type: list
    elements: str
  assign_public_ip:
    description: Give the task's network interface a public IP.
    type: bool
    default: false
  started_by:
    description: The C(startedBy) of the task (up to 128 characters).
    type: str
    default: pathwai.airflow_ecs
  wait_timeout:
    description: Seconds to wait for the task to stop.
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two C(DescribeTasks) while waiting (each jittered by +/- 20 %).
    type: float
    default: 6
  once_per_revision:
    description:
      - Do nothing when the revision carries the C(pathwai:run-succeeded) tag of an earlier successful run.
      - Ignored with O(command) (a command other than the revision's own always runs and is never recorded).
    type: bool
    default: true
  command:
    description:
      - Run this command instead of the container's own (C(containerOverrides)), for example
        C([rotate-fernet-key]) with the db migrate revision, which holds the database URL and the Fernet keys.
      - The run is not recorded on the revision and never skipped.
    type: list
    elements: str
    version_added: 0.1.0
  container:
    description: The container O(command) replaces the command of; the revision's first container when omitted.
    type: str
    version_added: 0.1.0
  tags:
    description: Tags of the task (added to the task definition's, which are propagated).
    type: dict
    aliases: [resource_tags]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Re-encrypt every Fernet-encrypted value with the first key (the db migrate revision, another command)
  pathwai.airflow_ecs.ecs_task_run:
    cluster: airflow-prod
    task_definition: airflow-prod-db-migrate
    command: [rotate-fernet-key]
    capacity_provider_strategy:
      - {capacity_provider: FARGATE, weight: 1}
    subnets: "{{ private_subnet_ids }}"
    security_groups: ["{{ scheduler_sg_id }}"]

- name: Run airflow db migrate once per revision, and wait for it
  pathwai.airflow_ecs.ecs_task_run:
    cluster: airflow-prod
    task_definition: "{{ migrate_taskdef.task_definition_arn }}"
    capacity_provider_strategy:
      - {capacity_provider: FARGATE, weight: 1}
    subnets: "{{ private_subnet_ids }}"
    security_groups: ["{{ scheduler_sg_id }}"]
    wait_timeout: 1800
  when: migrate_taskdef.task_definition_arn is truthy
"""

RETURN = r"""
task_arn:
  description: The task that ran (or, when skipped, the successful run recorded on the revision; null in check mode).
  returned: always
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:task/airflow-prod/0123456789abcdef0123456789abcdef
task_definition_arn: {description: The revision that ran., returned: always, type: str}
skipped: {description: True when the revision had already run successfully., returned: always, type: bool}
exit_codes:
  description: Exit code of each container (null when it never started).
  returned: when the task ran
  type: dict
  sample: {db-migrate: 0}
stopped_reason: {description: The task's stoppedReason., returned: when the task ran, type: str, sample: Essential container in task exited}
stop_code: {description: The task's stopCode., returned: when the task ran, type: str, sample: EssentialContainerExited}
logs:
  description: Where each awslogs container's logs are (group, stream, region).
  returned: when the task ran
  type: dict
  sample: {db-migrate: {log_group: /airflow/prod/db-migrate, log_stream: db-migrate/db-migrate/0123456789abcdef, region: eu-west-1}}
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    WaitError,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_definition_api import (
    describe_definition,
    retag,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_run import (
    RUN_SUCCEEDED_TAG,
    failure_message,
    log_locations,
    run_outcome,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_run_api import (
    run_task,
    wait_stopped,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_list


def run_request(params: dict, definition_arn: str) -> dict:
    request = {
        "cluster": params["cluster"],
        "taskDefinition": definition_arn,
        "count": 1,
        "startedBy": params["started_by"],
        "enableExecuteCommand": False,
        "propagateTags": "TASK_DEFINITION",
        "clientToken": uuid.uuid4().hex,
    }
    strategy = params.get("capacity_provider_strategy")
    if strategy:
        request["capacityProviderStrategy"] = [
            {"capacityProvider": s["capacity_provider"], "weight": s["weight"], "base": s["base"]}
            for s in strategy
        ]
    else:
        request["launchType"] = params.get("launch_type") or "FARGATE"
    if params.get("subnets"):
        vpc = {
            "subnets": params["subnets"],
            "assignPublicIp": "ENABLED" if params["assign_public_ip"] else "DISABLED",
        }
        if params.get("security_groups"):
            vpc["securityGroups"] = params["security_groups"]
        request["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    if params.get("tags"):
        request["tags"] = tags_list({k: str(v) for k, v in params["tags"].items()}, lower=True)
    if params.get("command"):
        override = {"name": params["container"], "command": list(params["command"])}
        request["overrides"] = {"containerOverrides": [override]}
    return request


def run(module, client) -> dict:
    params = module.params
    definition, tags = describe_definition(client, params["task_definition"])
    if definition is None:
        module.fail_json(msg=f"Task definition {params['task_definition']} not found (no ACTIVE revision)")
    arn = definition["taskDefinitionArn"]
    previous = tags.get(RUN_SUCCEEDED_TAG)
    once = params["once_per_revision"] and not params.get("command")
    if params.get("command") and not params.get("container"):
        params["container"] = definition["containerDefinitions"][0]["name"]
    if once and previous:
        return dict(changed=False, skipped=True, task_arn=previous, task_definition_arn=arn)
    if module.check_mode:
        return dict(changed=True, skipped=False, task_arn=None, task_definition_arn=arn)

    started = run_task(client, run_request(params, arn))
    failures = started.get("failures") or []
    if failures or not started.get("tasks"):
        reasons = "; ".join(
            f"{f.get('arn') or arn}: {f.get('reason')}" + (f" ({f['detail']})" if f.get("detail") else "")
            for f in failures
        )
        module.fail_json(
            msg=f"ECS could not start a task of {arn} on {params['cluster']}: {reasons or 'no task returned'}",
            failures=failures,
            task_definition_arn=arn,
        )
    task_arn = started["tasks"][0]["taskArn"]
    logs = log_locations(definition, task_arn)
    try:
        task = wait_stopped(
            client, params["cluster"], task_arn, params["wait_timeout"], params["poll_interval"]
        )
    except WaitError as e:
        module.fail_json(
            msg=f"{e}; it was left running", task_arn=task_arn, task_definition_arn=arn, logs=logs
        )
    outcome = run_outcome(task, definition)
    result = dict(
        task_arn=task_arn,
        task_definition_arn=arn,
        exit_codes=outcome["exit_codes"],
        stopped_reason=outcome["stopped_reason"],
        stop_code=outcome["stop_code"],
        logs=logs,
    )
    if not outcome["succeeded"]:
        module.fail_json(
            msg=failure_message(task_arn, outcome, logs), failed_containers=outcome["failed"], **result
        )
    if not params.get("command"):
        retag(client, arn, {RUN_SUCCEEDED_TAG: task_arn}, [])
    return dict(changed=True, skipped=False, **result)


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        task_definition=dict(type="str", required=True),
        launch_type=dict(type="str", choices=["FARGATE", "EC2", "EXTERNAL"]),
        capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=1),
                base=dict(type="int", default=0),
            ),
        ),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        assign_public_ip=dict(type="bool", default=False),
        started_by=dict(type="str", default="pathwai.airflow_ecs"),
        wait_timeout=dict(type="int", default=1800),
        poll_interval=dict(type="float", default=6),
        once_per_revision=dict(type="bool", default=True),
        command=dict(type="list", elements="str"),
        container=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("launch_type", "capacity_provider_strategy")],
    )
    client = retrying_client(module, "ecs")
    run_module(module, lambda: run(module, client), f"run a task of {module.params['task_definition']}")


if __name__ == "__main__":
    main()
