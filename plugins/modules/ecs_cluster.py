#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: Manage an ECS cluster (capacity providers, Container Insights, ECS Exec, tags)
version_added: 0.1.0
description:
  - Creates, updates or deletes one ECS cluster, identified by its O(name).
  - Written because C(community.aws.ecs_cluster) has no Container Insights, no ECS Exec configuration (KMS key
    and session logging) and no tags, and handles capacity providers poorly (it cannot change the default
    strategy of an existing cluster reliably).
  - Options left unset (V(null)) are not managed, their current value is kept. O(container_insights) always
    is (default V(enabled)).
  - An existing cluster is converged with C(UpdateCluster) (settings and configuration in one call),
    C(PutClusterCapacityProviders) (providers and default strategy together, as AWS requires),
    C(TagResource) and C(UntagResource); only what differs is written.
  - O(state=absent) calls C(DeleteCluster). AWS refuses to delete a cluster that still has services; the task
    then fails and names them (delete them first, for example with M(pathwai.airflow_ecs.ecs_service)
    O(state=absent)).
  - Supports check mode and diff mode.
  - Calls used are C(DescribeClusters) (include C(CONFIGURATIONS), C(SETTINGS), C(TAGS)), C(CreateCluster),
    C(UpdateCluster), C(PutClusterCapacityProviders), C(TagResource), C(UntagResource), C(DeleteCluster),
    C(ListServices).
author:
  - pathwai platform engineering
options:
  name:
    description: The cluster name.
    type: str
    required: true
  state:
    description: Whether the cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  capacity_providers:
    description:
      - The capacity providers associated with the cluster, for example V([FARGATE, FARGATE_SPOT]).
      - Omit to keep the current ones; V([]) removes them all.
    type: list
    elements: str
  default_capacity_provider_strategy:
    description:
      - The strategy services and tasks use when they give neither a launch type nor a strategy.
      - Every provider named must be in O(capacity_providers). Omit to keep the current strategy.
    type: list
    elements: dict
    suboptions:
      capacity_provider: {description: A provider associated with the cluster., type: str, required: true}
      weight:
        description: Relative share of tasks after the bases are met (AWS default 0; at least one provider needs more).
        type: int
        default: 0
      base: {description: Tasks always placed on this provider (only one provider may have one)., type: int, default: 0}
  container_insights:
    description: CloudWatch Container Insights (V(enhanced) adds task- and container-level metrics).
    type: str
    choices: [enabled, disabled, enhanced]
    default: enabled
  execute_command_configuration:
    description:
      - ECS Exec settings of the cluster. Omit to keep the current ones.
    type: dict
    suboptions:
      kms_key_id:
        description: KMS key (id or ARN) that encrypts the ECS Exec session data between client and container.
        type: str
      logging:
        description:
          - Where session output goes. V(DEFAULT) uses the task definition's awslogs configuration,
            V(NONE) logs nothing, V(OVERRIDE) uses O(execute_command_configuration.log_configuration).
        type: str
        choices: [DEFAULT, NONE, OVERRIDE]
        default: DEFAULT
      log_configuration:
        description: Session logging destinations, only with O(execute_command_configuration.logging=OVERRIDE).
        type: dict
        suboptions:
          cloud_watch_log_group_name: {description: CloudWatch Logs group., type: str}
          cloud_watch_encryption_enabled: {description: Whether the log group is encrypted., type: bool, default: false}
          s3_bucket_name: {description: S3 bucket., type: str}
          s3_encryption_enabled: {description: Whether the bucket is encrypted., type: bool, default: false}
          s3_key_prefix: {description: Key prefix in the bucket., type: str}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fargate cluster with Container Insights, ECS Exec logged to CloudWatch and encrypted with our key
  pathwai.airflow_ecs.ecs_cluster:
    name: airflow-prod
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - {capacity_provider: FARGATE, weight: 1, base: 1}
    container_insights: enabled
    execute_command_configuration:
      kms_key_id: "{{ kms.key_arn }}"
      logging: OVERRIDE
      log_configuration:
        cloud_watch_log_group_name: /airflow/prod/ecs-exec
        cloud_watch_encryption_enabled: true
    tags:
      airflow:env: prod

- name: Delete the cluster (its services must be deleted first)
  pathwai.airflow_ecs.ecs_cluster:
    name: airflow-dev
    state: absent
"""

RETURN = r"""
cluster:
  description: The cluster, normalised (null when absent).
  returned: always
  type: dict
  contains:
    name: {description: Cluster name., type: str, returned: always}
    arn: {description: Cluster ARN (null in check mode before creation)., type: str, returned: always}
    status: {description: C(ACTIVE), C(PROVISIONING), ..., type: str, returned: always}
    capacity_providers: {description: Associated providers (sorted)., type: list, elements: str, returned: always}
    default_capacity_provider_strategy:
      description: Default strategy, sorted by provider; each item has capacity_provider, weight, base.
      type: list
      elements: dict
      returned: always
    container_insights: {description: C(enabled), C(disabled) or C(enhanced)., type: str, returned: always}
    execute_command_configuration:
      description: kms_key_id, logging, log_configuration (null when none is set).
      type: dict
      returned: always
    tags: {description: Tags., type: dict, returned: always}
    active_services_count: {description: Services in the cluster., type: int, returned: always}
  sample:
    name: airflow-prod
    arn: arn:aws:ecs:eu-west-1:123456789012:cluster/airflow-prod
    status: ACTIVE
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy: [{capacity_provider: FARGATE, weight: 1, base: 1}]
    container_insights: enabled
    execute_command_configuration: {kms_key_id: null, logging: DEFAULT, log_configuration: null}
    tags: {"airflow:env": prod}
    active_services_count: 0
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_cluster import (
    cluster_plan,
    create_cluster_request,
    desired_cluster,
    normalise_cluster,
    strategy_from_params,
    strategy_problem,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_list

INCLUDE = ["CONFIGURATIONS", "SETTINGS", "TAGS"]


def read_cluster(client, name: str) -> dict | None:
    found = client.describe_clusters(clusters=[name], include=INCLUDE, aws_retry=True).get("clusters", [])
    return normalise_cluster(found[0] if found else None)


def ensure_present(module, client, before: dict | None) -> dict:
    desired = desired_cluster(module.params, before)
    if before is None:
        if module.check_mode:
            return dict(changed=True, cluster=desired, diff=diff_result({}, desired))
        client.create_cluster(**create_cluster_request(desired), aws_retry=True)
        after = read_cluster(client, module.params["name"])
        return dict(changed=True, cluster=after, diff=diff_result({}, after))

    plan = cluster_plan(before, desired)
    if not plan:
        return dict(changed=False, cluster=before)
    if module.check_mode:
        return dict(changed=True, cluster=desired, plan=sorted(plan), diff=diff_result(before, desired))
    name, arn = before["name"], before["arn"]
    update = {k: plan[k] for k in ("settings", "configuration") if k in plan}
    if update:
        client.update_cluster(cluster=name, aws_retry=True, **update)
    if "capacity_providers" in plan:
        client.put_cluster_capacity_providers(cluster=name, aws_retry=True, **plan["capacity_providers"])
    if "tags" in plan:
        if plan["tags"]["remove"]:
            client.untag_resource(resourceArn=arn, tagKeys=plan["tags"]["remove"], aws_retry=True)
        if plan["tags"]["set"]:
            client.tag_resource(
                resourceArn=arn, tags=tags_list(plan["tags"]["set"], lower=True), aws_retry=True
            )
    after = read_cluster(client, name)
    return dict(changed=True, cluster=after, plan=sorted(plan), diff=diff_result(before, after))


def ensure_absent(module, client, before: dict | None) -> dict:
    if before is None:
        return dict(changed=False, cluster=None)
    if not module.check_mode:
        try:
            client.delete_cluster(cluster=before["name"], aws_retry=True)
        except is_boto3_error_code("ClusterContainsServicesException"):
            services = paginate(client, "list_services", cluster=before["name"]).get("serviceArns", [])
            module.fail_json(
                msg=(
                    f"ECS cluster {before['name']} still has {len(services)} service(s): "
                    f"{', '.join(s.rsplit('/', 1)[-1] for s in services)}. Delete them first "
                    "(pathwai.airflow_ecs.ecs_service with state: absent), then delete the cluster."
                ),
                services=services,
                cluster=before,
            )
        except is_boto3_error_code("ClusterContainsTasksException"):
            module.fail_json(
                msg=f"ECS cluster {before['name']} still has running tasks: stop them, then delete the cluster.",
                cluster=before,
            )
    return dict(changed=True, cluster=None, diff=diff_result(before, {}))


def validate(module) -> None:
    params = module.params
    strategy = params.get("default_capacity_provider_strategy")
    if strategy is not None:
        items = strategy_from_params(strategy)
        problem = strategy_problem(items)
        if problem:
            module.fail_json(msg=f"default_capacity_provider_strategy: {problem}")
        providers = params.get("capacity_providers")
        if providers is not None:
            missing = sorted({i["capacity_provider"] for i in items} - set(providers))
            if missing:
                module.fail_json(
                    msg=f"default_capacity_provider_strategy names {', '.join(missing)}, which is not in "
                    "capacity_providers: AWS only accepts providers associated with the cluster"
                )
    config = params.get("execute_command_configuration")
    if config and config.get("log_configuration") and config.get("logging") != "OVERRIDE":
        module.fail_json(
            msg="execute_command_configuration.log_configuration is only used with logging: OVERRIDE "
            f"(logging is {config.get('logging')})"
        )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        capacity_providers=dict(type="list", elements="str"),
        default_capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=0),
                base=dict(type="int", default=0),
            ),
        ),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"], default="enabled"),
        execute_command_configuration=dict(
            type="dict",
            options=dict(
                kms_key_id=dict(type="str"),
                logging=dict(type="str", choices=["DEFAULT", "NONE", "OVERRIDE"], default="DEFAULT"),
                log_configuration=dict(
                    type="dict",
                    options=dict(
                        cloud_watch_log_group_name=dict(type="str"),
                        cloud_watch_encryption_enabled=dict(type="bool", default=False),
                        s3_bucket_name=dict(type="str"),
                        s3_encryption_enabled=dict(type="bool", default=False),
                        s3_key_prefix=dict(type="str"),
                    ),
                ),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    client = retrying_client(module, "ecs")

    def work():
        before = read_cluster(client, module.params["name"])
        if module.params["state"] == "present":
            result = ensure_present(module, client, before)
        else:
            result = ensure_absent(module, client, before)
        return result

    run_module(module, work, f"manage the ECS cluster {module.params['name']}")


if __name__ == "__main__":
    main()
