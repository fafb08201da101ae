#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: ecs_service
short_description: Manage an ECS service and converge every setting it declares
version_added: 0.1.0
description:
  - Creates, updates or deletes one ECS service of a cluster, identified by O(cluster) and O(name).
  - Written because C(community.aws.ecs_service) compares only the task definition, load balancers, tags,
    ECS Exec and the desired count. Changes to the network configuration, capacity provider strategy,
    deployment configuration (circuit breaker), platform version or health check grace period are never
    applied, and it resets the desired count on every run, fighting Application Auto Scaling.
  - The module compares a normalised view of the desired service with the current one and sends one
    C(UpdateService) with only what differs (plus C(TagResource) / C(UntagResource) for tags). Options left
    unset (V(null)) are not managed.
  - AWS rules respected. A changed capacity provider strategy (or a switch from a launch type to a strategy)
    is sent with C(forceNewDeployment=true), as AWS requires. The launch type of an existing service cannot
    be changed, nor a strategy service turned back into a launch type one; the task fails and explains
    (delete and recreate the service).
  - Rolling back is setting O(task_definition) to an older revision with O(wait=true); a new deployment of
    that revision starts and the task waits until the service is steady again.
  - O(state=absent) scales the service to 0, deletes it with C(force=true) and, with O(wait=true), waits until
    it is C(INACTIVE).
  - Supports check mode and diff mode (diffs show the compared settings before and after).
  - Calls used are C(DescribeServices) (include C(TAGS)), C(DescribeTaskDefinition) (when O(task_definition)
    is not a full ARN), C(CreateService), C(UpdateService), C(DeleteService), C(TagResource),
    C(UntagResource). The local emulator (moto) dropped the capacity provider strategy, ECS Exec, grace
    period and deployment configuration, reported launch type EC2, and never deployed; the extension
    C(local_aws/extensions/ecs_services.py) keeps them and rolls deployments out to a steady state (no
    containers run). The unit tests run every call against it.
author:
  - pathwai platform engineering
options:
  cluster:
    description: The cluster (name or ARN).
    type: str
    required: true
  name:
    description: The service name.
    type: str
    required: true
  state:
    description: Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - The task definition, as C(family:revision), a full ARN, or C(family) (its latest ACTIVE revision).
      - Required to create the service.
      - In check mode a bare C(family) stands for the next revision of that family (the one a task definition
        task of the same run would register), so it always reports a change of task definition. Outside check
        mode it means the latest ACTIVE revision.
    type: str
  desired_count:
    description:
      - Number of tasks. Omit to keep the current count (a new service then starts with 0).
      - See O(desired_count_managed_externally).
    type: int
  desired_count_managed_externally:
    description:
      - When V(true), O(desired_count) is used only to create the service; afterwards Application Auto Scaling
        (or an operator) owns the count and this module never changes it.
    type: bool
    default: false
  launch_type:
    description:
      - Launch type of a new service. Mutually exclusive with O(capacity_provider_strategy); with neither, the
        cluster's default capacity provider strategy is used.
      - An existing service's launch type cannot be changed (the task fails).
    type: str
    choices: [FARGATE, EC2]
  capacity_provider_strategy:
    description:
      - Capacity provider strategy (providers must be associated with the cluster). Changing it on an existing
        service forces a new deployment.
    type: list
    elements: dict
    suboptions:
      capacity_provider: {description: Provider name, for example C(FARGATE_SPOT)., type: str, required: true}
      weight: {description: Relative share of tasks after the bases are met., type: int, default: 0}
      base: {description: Tasks always placed on this provider., type: int, default: 0}
  platform_version:
    description: Fargate platform version.
    type: str
    default: LATEST
  network_configuration:
    description: The awsvpc network configuration. Omit to keep the current one.
    type: dict
    suboptions:
      subnets: {description: Subnet ids., type: list, elements: str, required: true}
      security_groups: {description: Security group ids., type: list, elements: str, default: []}
      assign_public_ip: {description: Give tasks a public IP., type: bool, default: false}
  load_balancers:
    description: Target groups the service registers its tasks with. Omit to keep the current ones.
    type: list
    elements: dict
    suboptions:
      target_group_arn: {description: Target group ARN., type: str, required: true}
      container_name: {description: Container receiving the traffic., type: str, required: true}
      container_port: {description: Its port., type: int, required: true}
  health_check_grace_period_seconds:
    description: Seconds the scheduler ignores failing load balancer and container health checks of a new task.
    type: int
  deployment_configuration:
    description: Rolling deployment settings; suboptions left unset keep their current value.
    type: dict
    suboptions:
      minimum_healthy_percent: {description: Lower limit of running tasks during a deployment (percent)., type: int}
      maximum_percent: {description: Upper limit of tasks during a deployment (percent)., type: int}
      circuit_breaker:
        description: Deployment circuit breaker.
        type: dict
        suboptions:
          enable: {description: Stop a deployment whose tasks keep failing., type: bool}
          rollback: {description: Roll back to the last completed deployment when it trips., type: bool}
  enable_execute_command:
    description: Allow ECS Exec into the service's tasks.
    type: bool
  propagate_tags:
    description: Copy tags to the tasks from the task definition or the service.
    type: str
    choices: [TASK_DEFINITION, SERVICE, NONE]
  force_new_deployment:
    description: Start a new deployment even when nothing differs (new image behind the same tag). Always changes.
    type: bool
    default: false
  wait:
    description:
      - Wait until the service is steady (one deployment, running count = desired count, the C(services_stable)
        test); with O(state=absent), until it is C(INACTIVE). Fails when the deployment's rollout fails.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Worker service on Fargate Spot, autoscaled, with the circuit breaker
  pathwai.airflow_ecs.ecs_service:
    cluster: airflow-prod
    name: airflow-prod-worker
    task_definition: airflow-prod-worker:12
    desired_count: 2
    desired_count_managed_externally: true
    capacity_provider_strategy:
      - {capacity_provider: FARGATE, weight: 1, base: 1}
      - {capacity_provider: FARGATE_SPOT, weight: 3}
    network_configuration:
      subnets: "{{ private_subnet_ids }}"
      security_groups: ["{{ worker_sg_id }}"]
    deployment_configuration:
      minimum_healthy_percent: 100
      maximum_percent: 200
      circuit_breaker: {enable: true, rollback: true}
    enable_execute_command: true
    propagate_tags: SERVICE
    tags:
      airflow:env: prod

- name: Roll back the api-server to revision 11 and wait until it is steady
  pathwai.airflow_ecs.ecs_service:
    cluster: airflow-prod
    name: airflow-prod-api-server
    task_definition: airflow-prod-api-server:11
    wait: true
    wait_timeout: 900

- name: Remove a service (scale to 0, delete, wait until INACTIVE)
  pathwai.airflow_ecs.ecs_service:
    cluster: airflow-dev
    name: airflow-dev-flower
    state: absent
    wait: true
"""

RETURN = r"""
service:
  description: The service, normalised (null when absent). Counts and deployments are as last read.
  returned: always
  type: dict
  contains:
    name: {description: Service name., type: str, returned: always}
    arn: {description: Service ARN (null in check mode before creation)., type: str, returned: always}
    cluster_arn: {description: Cluster ARN., type: str, returned: always}
    status: {description: C(ACTIVE) or C(DRAINING)., type: str, returned: always}
    task_definition: {description: Task definition ARN., type: str, returned: always}
    desired_count: {description: Desired tasks., type: int, returned: always}
    launch_type: {description: Launch type (null with a capacity provider strategy)., type: str, returned: always}
    capacity_provider_strategy: {description: Strategy sorted by provider (capacity_provider, weight, base)., type: list, elements: dict, returned: always}
    platform_version: {description: Platform version., type: str, returned: always}
    network_configuration: {description: subnets, security_groups (sorted), assign_public_ip., type: dict, returned: always}
    load_balancers: {description: target_group_arn, container_name, container_port., type: list, elements: dict, returned: always}
    health_check_grace_period_seconds: {description: Grace period (0 when unset)., type: int, returned: always}
    deployment_configuration:
      description: minimum_healthy_percent, maximum_percent, circuit_breaker (enable, rollback).
      type: dict
      returned: always
    enable_execute_command: {description: ECS Exec enabled., type: bool, returned: always}
    propagate_tags: {description: C(TASK_DEFINITION), C(SERVICE) or C(NONE)., type: str, returned: always}
    tags: {description: Tags., type: dict, returned: always}
    running_count: {description: Running tasks., type: int, returned: always}
    pending_count: {description: Pending tasks., type: int, returned: always}
    deployments: {description: Number of deployments (1 when steady)., type: int, returned: always}
    rollout_state: {description: Rollout state of the primary deployment., type: str, returned: always}
service_arn: {description: The service ARN., returned: when present, type: str}
task_definition: {description: The task definition ARN., returned: when present, type: str}
changes:
  description: The compared settings that differed (and were, or in check mode would be, applied).
  returned: when changed
  type: list
  elements: str
  sample: [task_definition, network_configuration]
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
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_cluster import (
    strategy_from_params,
    strategy_problem,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_service import (
    comparable,
    create_service_request,
    desired_service,
    immutable_problem,
    service_differences,
    update_request,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_service_api import (
    WaitError,
    is_family,
    read_service,
    resolve_task_definition,
    wait_inactive,
    wait_steady,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_list


def finish(module, client, after: dict) -> dict:
    params = module.params
    if params["wait"] and not module.check_mode:
        return wait_steady(client, params["cluster"], params["name"], params["wait_timeout"])
    return after


def result_for(service: dict | None, changed: bool, before: dict | None, **extra) -> dict:
    result = dict(changed=changed, service=service, **extra)
    if service:
        result.update(service_arn=service["arn"], task_definition=service["task_definition"])
    if changed:
        result["diff"] = diff_result(comparable(before), comparable(service))
    return result


def ensure_present(module, client, before: dict | None) -> dict:
    params = module.params
    cluster, name = params["cluster"], params["name"]
    definition = params.get("task_definition")
    if definition and module.check_mode and is_family(definition):
        # In check mode a bare family stands for the revision the same run would register next
        # (the task definition module has no ARN to give before it writes).
        arn = f"{definition} (next revision)"
    else:
        arn = resolve_task_definition(client, definition) if definition else None
    desired = desired_service(params, before, arn)

    if before is None:
        if not arn:
            module.fail_json(msg=f"task_definition is required to create the ECS service {name}")
        if module.check_mode:
            return result_for(desired, True, None, changes=["created"])
        client.create_service(**create_service_request(params, desired), aws_retry=True)
        after = finish(module, client, read_service(client, cluster, name))
        return result_for(after, True, None, changes=["created"])

    if before["status"] == "DRAINING":
        module.fail_json(
            msg=f"ECS service {name} is being deleted (DRAINING): wait until it is INACTIVE, then re-run"
        )
    problem = immutable_problem(before, desired)
    if problem:
        module.fail_json(
            msg=f"ECS service {name}: {problem}. Delete the service (state: absent, wait: true) and create it "
            "again, or change the desired settings back.",
            service=before,
        )
    changes = service_differences(before, desired)
    force = params["force_new_deployment"]
    if not changes and not force:
        after = finish(module, client, before)
        return result_for(after, False, before)
    changes = changes + (["force_new_deployment"] if force else [])
    if module.check_mode:
        return result_for(desired, True, before, changes=changes)
    request = update_request(before, desired, force)
    if request:
        client.update_service(cluster=cluster, service=name, aws_retry=True, **request)
    to_set, to_remove = tag_changes(before["tags"], desired["tags"])
    if to_remove:
        client.untag_resource(resourceArn=before["arn"], tagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(resourceArn=before["arn"], tags=tags_list(to_set, lower=True), aws_retry=True)
    after = finish(module, client, read_service(client, cluster, name))
    return result_for(after, True, before, changes=changes)


def ensure_absent(module, client, before: dict | None) -> dict:
    params = module.params
    if before is None:
        return dict(changed=False, service=None)
    if not module.check_mode:
        if before["desired_count"]:
            client.update_service(
                cluster=params["cluster"], service=params["name"], desiredCount=0, aws_retry=True
            )
        client.delete_service(cluster=params["cluster"], service=params["name"], force=True, aws_retry=True)
        if params["wait"]:
            wait_inactive(client, params["cluster"], params["name"], params["wait_timeout"])
    return dict(changed=True, service=None, diff=diff_result(comparable(before), {}))


def validate(module) -> None:
    strategy = module.params.get("capacity_provider_strategy")
    if strategy:
        problem = strategy_problem(strategy_from_params(strategy))
        if problem:
            module.fail_json(msg=f"capacity_provider_strategy: {problem}")
    count = module.params.get("desired_count")
    if count is not None and count < 0:
        module.fail_json(msg=f"desired_count must be 0 or more, not {count}")


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        desired_count_managed_externally=dict(type="bool", default=False),
        launch_type=dict(type="str", choices=["FARGATE", "EC2"]),
        capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=0),
                base=dict(type="int", default=0),
            ),
        ),
        platform_version=dict(type="str", default="LATEST"),
        network_configuration=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str", default=[]),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        load_balancers=dict(
            type="list",
            elements="dict",
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        deployment_configuration=dict(
            type="dict",
            options=dict(
                minimum_healthy_percent=dict(type="int"),
                maximum_percent=dict(type="int"),
                circuit_breaker=dict(
                    type="dict", options=dict(enable=dict(type="bool"), rollback=dict(type="bool"))
                ),
            ),
        ),
        enable_execute_command=dict(type="bool"),
        propagate_tags=dict(type="str", choices=["TASK_DEFINITION", "SERVICE", "NONE"]),
        force_new_deployment=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("launch_type", "capacity_provider_strategy")],
    )
    validate(module)
    client = retrying_client(module, "ecs")
    try:
        before = read_service(client, module.params["cluster"], module.params["name"])
        if module.params["state"] == "present":
            result = ensure_present(module, client, before)
        else:
            result = ensure_absent(module, client, before)
    except WaitError as e:
        module.fail_json(msg=str(e))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage the ECS service {module.params['name']}")
    exit_with(module, result)


if __name__ == "__main__":
    main()
