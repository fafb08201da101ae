# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live compute layer of one environment (ECS cluster, IAM roles, task definitions,
services, the worker's scalable target and step policies), rendered in the plan's shape
(:mod:`plan_live_base`). Roles and task definitions are found by the name prefix and kept only
when tagged ``airflow:env=<env>``; services are those of the environment's cluster."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_definition import READ_ONLY
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import (
    Live,
    pascal,
    short,
    tag,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    CLUSTER_ID,
    role_id,
    scalable_target_id,
    scaling_policy_id,
    service_id,
    task_definition_id,
)

# Read-only fields of DescribeTaskDefinition (and its tags) are not CloudFormation properties.
_TASK_READ_ONLY = (*READ_ONLY, "tags")


def compute(live: Live) -> None:
    _cluster(live)
    _roles(live)
    _task_definitions(live)
    _services(live)


def _cluster(live: Live) -> None:
    ecs = live.client("ecs")
    name = live.scope.get("cluster_name") or live.prefix
    found = ecs.describe_clusters(
        clusters=[name], include=["SETTINGS", "CONFIGURATIONS", "TAGS"], aws_retry=True
    )
    clusters = [c for c in found.get("clusters", []) if c.get("status") == "ACTIVE"]
    if not clusters:
        return
    cluster = clusters[0]
    execute = pascal((cluster.get("configuration") or {}).get("executeCommandConfiguration"))
    logging = (execute or {}).get("LogConfiguration") or {}
    if "CloudWatchLogGroupName" in logging:
        logging["CloudWatchLogGroupName"] = live.by_name(logging["CloudWatchLogGroupName"])
    props = {
        "ClusterName": cluster["clusterName"],
        "CapacityProviders": cluster.get("capacityProviders"),
        "DefaultCapacityProviderStrategy": pascal(cluster.get("defaultCapacityProviderStrategy")),
        "ClusterSettings": pascal(cluster.get("settings")),
        "Configuration": {"ExecuteCommandConfiguration": execute} if execute else None,
        "Tags": tags(cluster.get("tags"), lower=True),
    }
    logical = live.add("AWS::ECS::Cluster", CLUSTER_ID, props, None, cluster["clusterArn"])
    live.names[cluster["clusterName"]] = logical


def _mine(live: Live, found_tags) -> bool:
    return tag(found_tags, "airflow:env") == live.scope["env"]


def _roles(live: Live) -> None:
    iam = live.client("iam")
    for listed in paginate(iam, "list_roles").get("Roles", []):
        if not listed["RoleName"].startswith(live.prefix + "-"):
            continue
        role = live_reads.role(iam, listed["RoleName"])
        if role is None or not _mine(live, role.get("Tags")):
            continue
        policies = [{"PolicyName": n, "PolicyDocument": d} for n, d in sorted(role["InlinePolicies"].items())]
        props = {
            "RoleName": role["RoleName"],
            "Path": role.get("Path"),
            "Description": role.get("Description"),
            "MaxSessionDuration": role.get("MaxSessionDuration"),
            "AssumeRolePolicyDocument": role["AssumeRolePolicyDocument"],
            "Policies": policies,
            "ManagedPolicyArns": sorted(role["AttachedPolicies"]),
            "Tags": tags(role.get("Tags")),
        }
        live.add("AWS::IAM::Role", role_id(short(role["RoleName"], live.prefix)), props, None, role["Arn"])
        live.policy(f"{role['RoleName']} trust", "trust", role["AssumeRolePolicyDocument"])
        for policy in policies:
            live.policy(policy["PolicyName"], "identity", policy["PolicyDocument"])
        for arn, document in sorted(role["AttachedPolicies"].items()):
            live.policy(f"{role['RoleName']} {arn}", "identity", document)


def _task_definitions(live: Live) -> None:
    ecs = live.client("ecs")
    families = paginate(ecs, "list_task_definition_families", familyPrefix=live.prefix + "-", status="ACTIVE")
    for family in families.get("families", []):
        found = live_reads.task_definition(ecs, family, with_tags=True)
        if found is None or not _mine(live, tags(found.get("tags"), lower=True)):
            continue
        body = {k: v for k, v in found.items() if k not in _TASK_READ_ONLY}
        props = pascal(body, keep=("options", "dockerLabels"))
        for key in ("Cpu", "Memory"):
            if key in props:
                props[key] = str(props[key])
        for container in props.get("ContainerDefinitions", []):
            options = (container.get("LogConfiguration") or {}).get("Options") or {}
            if "awslogs-group" in options:
                options["awslogs-group"] = live.by_name(options["awslogs-group"])
        props["Tags"] = tags(found.get("tags"), lower=True)
        logical = task_definition_id(short(family, live.prefix))
        live.add("AWS::ECS::TaskDefinition", logical, props, found["taskDefinitionArn"])


def _services(live: Live) -> None:
    ecs = live.client("ecs")
    cluster = live.scope.get("cluster_name") or live.prefix
    arns = (
        paginate(ecs, "list_services", cluster=cluster).get("serviceArns", [])
        if CLUSTER_ID in _ids(live)
        else []
    )
    scaling = live.client("application-autoscaling")
    for start in range(0, len(arns), 10):
        found = ecs.describe_services(
            cluster=cluster, services=arns[start : start + 10], include=["TAGS"], aws_retry=True
        )
        for service in found.get("services", []):
            if service.get("status") != "ACTIVE":
                continue
            name = short(service["serviceName"], live.prefix)
            deployment = service.get("deploymentConfiguration") or {}
            network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            props = {
                "ServiceName": service["serviceName"],
                "Cluster": live.by_name(service["clusterArn"].rsplit("/", 1)[-1]),
                "TaskDefinition": service.get("taskDefinition"),
                "DesiredCount": service.get("desiredCount"),
                "LaunchType": service.get("launchType")
                if not service.get("capacityProviderStrategy")
                else None,
                "CapacityProviderStrategy": pascal(service.get("capacityProviderStrategy")),
                "PlatformVersion": service.get("platformVersion"),
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "Subnets": sorted(network.get("subnets", [])),
                        "SecurityGroups": sorted(network.get("securityGroups", [])),
                        "AssignPublicIp": network.get("assignPublicIp"),
                    }
                }
                if network
                else None,
                "LoadBalancers": pascal(service.get("loadBalancers")),
                "DeploymentConfiguration": {
                    "MinimumHealthyPercent": deployment.get("minimumHealthyPercent"),
                    "MaximumPercent": deployment.get("maximumPercent"),
                    "DeploymentCircuitBreaker": pascal(deployment.get("deploymentCircuitBreaker")),
                },
                "EnableExecuteCommand": service.get("enableExecuteCommand"),
                "PropagateTags": service.get("propagateTags")
                if service.get("propagateTags") != "NONE"
                else None,
                "HealthCheckGracePeriodSeconds": service.get("healthCheckGracePeriodSeconds")
                if service.get("loadBalancers")
                else None,
                "Tags": tags(service.get("tags"), lower=True),
            }
            live.add("AWS::ECS::Service", service_id(name), props, None, service["serviceArn"])
            _scaling(live, scaling, cluster, service["serviceName"], name)


def _ids(live: Live) -> set[str]:
    return {r["id"] for r in live.resources}


def _scaling(live: Live, scaling, cluster: str, service_name: str, name: str) -> None:
    resource_id = f"service/{cluster}/{service_name}"
    targets = paginate(
        scaling, "describe_scalable_targets", ServiceNamespace="ecs", ResourceIds=[resource_id]
    )
    for target in targets.get("ScalableTargets", []):
        props = {
            "ServiceNamespace": "ecs",
            "ResourceId": resource_id,
            "ScalableDimension": target["ScalableDimension"],
            "MinCapacity": target.get("MinCapacity"),
            "MaxCapacity": target.get("MaxCapacity"),
            "RoleARN": target.get("RoleARN"),
        }
        live.add("AWS::ApplicationAutoScaling::ScalableTarget", scalable_target_id(name), props)
        policies = paginate(
            scaling, "describe_scaling_policies", ServiceNamespace="ecs", ResourceId=resource_id
        )
        for policy in policies.get("ScalingPolicies", []):
            if policy.get("ScalableDimension") != target["ScalableDimension"]:
                continue
            props = {
                "PolicyName": policy["PolicyName"],
                "PolicyType": policy["PolicyType"],
                "ResourceId": policy["ResourceId"],
                "ScalableDimension": policy["ScalableDimension"],
                "ServiceNamespace": policy["ServiceNamespace"],
                "StepScalingPolicyConfiguration": policy.get("StepScalingPolicyConfiguration"),
                "TargetTrackingScalingPolicyConfiguration": policy.get(
                    "TargetTrackingScalingPolicyConfiguration"
                ),
            }
            policy_id = scaling_policy_id(name, short(policy["PolicyName"], f"{live.prefix}-{name}"))
            live.add("AWS::ApplicationAutoScaling::ScalingPolicy", policy_id, props, policy["PolicyARN"])
