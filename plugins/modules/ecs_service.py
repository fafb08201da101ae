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
  - Supports check mode and diff mode (diffs show the compared settings before and after; the list form returns
    one diff per changed service).
  - Calls used are C(DescribeServices) (include C(TAGS); up to 10 services per call in the list form), C(DescribeTaskDefinition) (when O(task_definition)
    is not a full ARN), C(CreateService), C(UpdateService), C(DeleteService), C(TagResource),
    C(UntagResource).
author:
  - pathwai platform engineering
options:
  cluster:
    description: The cluster (name or ARN).
    type: str
    required: true
  name:
    description: The service name (the single form). Exactly one of O(name) and O(services) is given.
    type: str
  services:
    description:
      - The list form - several services of O(cluster) converged in one module run. Each item takes the
        per-service options of the single form, with the same meaning, defaults and AWS rules - C(name)
        (required), C(task_definition), C(desired_count), C(desired_count_managed_externally), C(launch_type),
        C(capacity_provider_strategy), C(platform_version), C(network_configuration), C(load_balancers),
        C(health_check_grace_period_seconds), C(deployment_configuration), C(enable_execute_command),
        C(propagate_tags), C(force_new_deployment), C(tags), C(purge_tags).
      - Mutually exclusive with those options at the top level; only with O(state=present). O(wait) and
        O(wait_timeout) apply to all the services.
      - The services are read with one C(DescribeServices) per 10 services (the API's limit) and every one is
        planned before any write (a service that cannot be converged fails the task with nothing written).
        Only the services that drifted get an C(UpdateService) (or C(CreateService)); with O(wait=true) the
        changed ones, and any not steady when read, are polled together, not one after another.
      - Why the list form - with the single form in a loop, a role converging six services starts six module
        processes, makes six C(DescribeServices) calls and, with O(wait=true), six more. Measured on a no-op
        re-run of the compute role (a loaded 2-core controller) - 6 module runs, 12 C(DescribeServices) and
        14.3 s before, 1 run, 1 C(DescribeServices) and 5.0 s after.
    type: list
    elements: dict
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

- name: Several services in one run, waited for together
  pathwai.airflow_ecs.ecs_service:
    cluster: airflow-prod
    services:
      - name: airflow-prod-scheduler
        task_definition: "{{ taskdefs.by_family['airflow-prod-scheduler'].task_definition_arn }}"
        desired_count: 1
        network_configuration: {subnets: "{{ private_subnet_ids }}", security_groups: ["{{ scheduler_sg_id }}"]}
      - name: airflow-prod-worker
        task_definition: "{{ taskdefs.by_family['airflow-prod-worker'].task_definition_arn }}"
        desired_count: 2
        desired_count_managed_externally: true
        network_configuration: {subnets: "{{ private_subnet_ids }}", security_groups: ["{{ worker_sg_id }}"]}
    wait: true

- name: Remove a service (scale to 0, delete, wait until INACTIVE)
  pathwai.airflow_ecs.ecs_service:
    cluster: airflow-dev
    name: airflow-dev-flower
    state: absent
    wait: true
"""

RETURN = r"""
services:
  description:
    - The list form - one result per item of O(services), in their order, each with C(name), C(changed) and the
      keys the single form returns (RV(service), RV(service_arn), RV(task_definition), RV(changes)).
  returned: with O(services)
  type: list
  elements: dict
by_name:
  description: The list form - the same results keyed by service name.
  returned: with O(services)
  type: dict
service:
  description: The service, normalised (null when absent). Counts and deployments are as last read.
  returned: single form
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

import copy

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
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
    is_steady,
    service_differences,
    update_request,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_service_api import (
    is_family,
    read_service,
    read_services,
    resolve_task_definition,
    wait_all_steady,
    wait_inactive,
    wait_steady,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_list


class PlanError(Exception):
    """A service cannot be converged as asked (nothing was written)."""

    def __init__(self, message: str, service: dict | None = None):
        super().__init__(message)
        self.service = service


def result_for(service: dict | None, changed: bool, before: dict | None, **extra) -> dict:
    result = dict(changed=changed, service=service, **extra)
    if service:
        result.update(service_arn=service["arn"], task_definition=service["task_definition"])
    if changed:
        result["diff"] = diff_result(comparable(before), comparable(service))
    return result


def plan_present(client, cluster: str, params: dict, before: dict | None, check_mode: bool) -> dict:
    """What to do for one service: {action: create|update|none, desired, changes, request}.
    Reads only to resolve a task definition given without a revision; raises PlanError."""
    name = params["name"]
    definition = params.get("task_definition")
    if definition and check_mode and is_family(definition):
        # In check mode a bare family stands for the revision the same run would register next
        # (the task definition module has no ARN to give before it writes).
        arn = f"{definition} (next revision)"
    else:
        arn = resolve_task_definition(client, definition) if definition else None
    desired = desired_service(params, before, arn)
    if before is None:
        if not arn:
            raise PlanError(f"task_definition is required to create the ECS service {name}")
        return dict(action="create", desired=desired, changes=["created"], params=params, before=None)
    if before["status"] == "DRAINING":
        raise PlanError(
            f"ECS service {name} is being deleted (DRAINING): wait until it is INACTIVE, then re-run"
        )
    problem = immutable_problem(before, desired)
    if problem:
        raise PlanError(
            f"ECS service {name}: {problem}. Delete the service (state: absent, wait: true) and create it "
            "again, or change the desired settings back.",
            before,
        )
    changes = service_differences(before, desired)
    force = params["force_new_deployment"]
    if not changes and not force:
        return dict(action="none", desired=before, changes=[], params=params, before=before)
    changes = changes + (["force_new_deployment"] if force else [])
    return dict(action="update", desired=desired, changes=changes, params=params, before=before)


def apply_plan(client, cluster: str, plan: dict) -> None:
    """The writes of one planned service (never called in check mode)."""
    params, before, desired = plan["params"], plan["before"], plan["desired"]
    if plan["action"] == "create":
        client.create_service(
            **create_service_request({**params, "cluster": cluster}, desired), aws_retry=True
        )
        return
    if plan["action"] != "update":
        return
    request = update_request(before, desired, params["force_new_deployment"])
    if request:
        client.update_service(cluster=cluster, service=params["name"], aws_retry=True, **request)
    to_set, to_remove = tag_changes(before["tags"], desired["tags"])
    if to_remove:
        client.untag_resource(resourceArn=before["arn"], tagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(resourceArn=before["arn"], tags=tags_list(to_set, lower=True), aws_retry=True)


def plan_result(plan: dict, after: dict | None, check_mode: bool) -> dict:
    if plan["action"] == "none":
        return result_for(after or plan["before"], False, plan["before"])
    service = plan["desired"] if check_mode else after
    return result_for(service, True, plan["before"], changes=plan["changes"])


def ensure_present(module, client, before: dict | None) -> dict:
    params = module.params
    cluster, name = params["cluster"], params["name"]
    try:
        plan = plan_present(client, cluster, params, before, module.check_mode)
    except PlanError as e:
        module.fail_json(msg=str(e), **({"service": e.service} if e.service else {}))
    if module.check_mode:
        return plan_result(plan, None, True)
    apply_plan(client, cluster, plan)
    if params["wait"]:
        after = wait_steady(client, cluster, name, params["wait_timeout"])
    elif plan["action"] == "none":
        after = before
    else:
        after = read_service(client, cluster, name)
    return plan_result(plan, after, False)


def ensure_many(module, client) -> dict:
    """The list form: validate and plan every service (one DescribeServices per 10 services), then
    write only what drifted, then wait for all the services at once (one poll loop)."""
    params = module.params
    cluster = params["cluster"]
    items = params["services"]
    names = [item["name"] for item in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        module.fail_json(msg=f"services: each name may appear once; repeated: {', '.join(duplicates)}")
    for item in items:
        validate_service(module, item)
    befores = read_services(client, cluster, names)
    plans, problems = [], []
    for item in items:
        try:
            plans.append(plan_present(client, cluster, item, befores[item["name"]], module.check_mode))
        except PlanError as e:
            problems.append(str(e))
    if problems:
        module.fail_json(msg="; ".join(problems))
    afters: dict = {}
    if not module.check_mode:
        for plan in plans:
            apply_plan(client, cluster, plan)
        written = [p["params"]["name"] for p in plans if p["action"] != "none"]
        if params["wait"]:
            # Services unchanged and already steady in the first read need no second read.
            pending = written + [
                p["params"]["name"] for p in plans if p["action"] == "none" and not is_steady(p["before"])
            ]
            afters = wait_all_steady(client, cluster, pending, params["wait_timeout"]) if pending else {}
        elif written:
            afters = read_services(client, cluster, written)
    results, diffs = [], []
    for plan in plans:
        name = plan["params"]["name"]
        result = plan_result(plan, afters.get(name), module.check_mode)
        diff = result.pop("diff", None)
        if diff:
            diffs.append({**diff, "before_header": name, "after_header": name})
        results.append(dict(name=name, **result))
    out = dict(
        changed=any(r["changed"] for r in results),
        services=results,
        by_name={r["name"]: r for r in results},
    )
    if diffs:
        out["diff"] = diffs
    return out


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


def validate_service(module, params: dict) -> None:
    name = params.get("name")
    strategy = params.get("capacity_provider_strategy")
    if strategy and params.get("launch_type"):
        module.fail_json(
            msg=f"ECS service {name}: launch_type and capacity_provider_strategy are mutually exclusive"
        )
    if strategy:
        problem = strategy_problem(strategy_from_params(strategy))
        if problem:
            module.fail_json(msg=f"capacity_provider_strategy: {problem}")
    count = params.get("desired_count")
    if count is not None and count < 0:
        module.fail_json(msg=f"desired_count must be 0 or more, not {count}")


# The per-service options: top-level in the single form, each item's keys in O(services).
SERVICE_OPTIONS = dict(
    name=dict(type="str", required=True),
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
)


def main():
    argument_spec = dict(
        copy.deepcopy(SERVICE_OPTIONS),
        cluster=dict(type="str", required=True),
        name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        services=dict(type="list", elements="dict", options=copy.deepcopy(SERVICE_OPTIONS)),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("name", "services")],
        mutually_exclusive=[("launch_type", "capacity_provider_strategy")]
        + [("services", key) for key in SERVICE_OPTIONS],
    )
    many = module.params["services"] is not None
    if many and module.params["state"] != "present":
        module.fail_json(msg="services (the list form) supports state=present only")
    if not many:
        validate_service(module, module.params)
    client = retrying_client(module, "ecs")

    def work():
        if many:
            result = ensure_many(module, client)
        else:
            before = read_service(client, module.params["cluster"], module.params["name"])
            if module.params["state"] == "present":
                result = ensure_present(module, client, before)
            else:
                result = ensure_absent(module, client, before)
        return result

    what = module.params["name"] or ", ".join(item["name"] for item in module.params["services"] or [])
    run_module(module, work, f"manage the ECS service {what}")


if __name__ == "__main__":
    main()
