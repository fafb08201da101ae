# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ECS services: normalise DescribeServices entries, build the desired view, compare, plan.

Pure functions only (no AWS calls): ``ecs_service_api`` reads and waits, the module decides with
these. Options given as ``None`` are not managed (the current value is kept).
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_cluster import (
    strategy_from_aws,
    strategy_from_params,
    strategy_to_aws,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import (
    resulting_tags,
    tags_dict,
    tags_list,
)

# The settings compared (and shown in diffs); running counts and deployments are reported only.
COMPARED = (
    "task_definition",
    "desired_count",
    "launch_type",
    "capacity_provider_strategy",
    "platform_version",
    "network_configuration",
    "load_balancers",
    "health_check_grace_period_seconds",
    "deployment_configuration",
    "enable_execute_command",
    "propagate_tags",
    "tags",
)
DEFAULT_DEPLOYMENT = {
    "minimum_healthy_percent": 100,
    "maximum_percent": 200,
    "circuit_breaker": {"enable": False, "rollback": False},
}


def _network_from_aws(config: dict | None) -> dict | None:
    vpc = (config or {}).get("awsvpcConfiguration")
    if not vpc:
        return None
    return {
        "subnets": sorted(vpc.get("subnets") or []),
        "security_groups": sorted(vpc.get("securityGroups") or []),
        "assign_public_ip": vpc.get("assignPublicIp") == "ENABLED",
    }


def network_from_params(config: dict | None) -> dict | None:
    if config is None:
        return None
    return {
        "subnets": sorted(config.get("subnets") or []),
        "security_groups": sorted(config.get("security_groups") or []),
        "assign_public_ip": bool(config.get("assign_public_ip")),
    }


def network_to_aws(config: dict) -> dict:
    return {
        "awsvpcConfiguration": {
            "subnets": config["subnets"],
            "securityGroups": config["security_groups"],
            "assignPublicIp": "ENABLED" if config["assign_public_ip"] else "DISABLED",
        }
    }


def _balancer_key(lb: dict):
    return (lb["target_group_arn"] or "", lb["container_name"] or "", lb["container_port"] or 0)


def balancers_from_aws(items: list | None) -> list:
    return sorted(
        (
            {
                "target_group_arn": lb.get("targetGroupArn"),
                "container_name": lb.get("containerName"),
                "container_port": lb.get("containerPort"),
            }
            for lb in items or []
        ),
        key=_balancer_key,
    )


def balancers_from_params(items: list | None) -> list:
    return sorted(
        (
            {
                "target_group_arn": lb["target_group_arn"],
                "container_name": lb["container_name"],
                "container_port": int(lb["container_port"]),
            }
            for lb in items or []
        ),
        key=_balancer_key,
    )


def balancers_to_aws(items: list) -> list:
    return [
        {
            "targetGroupArn": lb["target_group_arn"],
            "containerName": lb["container_name"],
            "containerPort": lb["container_port"],
        }
        for lb in items
    ]


def _deployment_from_aws(config: dict | None) -> dict:
    config = config or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    return {
        "minimum_healthy_percent": config.get("minimumHealthyPercent", 100),
        "maximum_percent": config.get("maximumPercent", 200),
        "circuit_breaker": {"enable": bool(breaker.get("enable")), "rollback": bool(breaker.get("rollback"))},
    }


def deployment_from_params(config: dict | None, current: dict | None) -> dict | None:
    """The deployment configuration wanted: given suboptions over the current (or default) ones."""
    if config is None:
        return None
    merged = {**DEFAULT_DEPLOYMENT, **(current or {})}
    merged["circuit_breaker"] = dict(merged["circuit_breaker"])
    for key in ("minimum_healthy_percent", "maximum_percent"):
        if config.get(key) is not None:
            merged[key] = config[key]
    breaker = config.get("circuit_breaker") or {}
    for key in ("enable", "rollback"):
        if breaker.get(key) is not None:
            merged["circuit_breaker"][key] = bool(breaker[key])
    return merged


def deployment_to_aws(config: dict) -> dict:
    return {
        "minimumHealthyPercent": config["minimum_healthy_percent"],
        "maximumPercent": config["maximum_percent"],
        "deploymentCircuitBreaker": dict(config["circuit_breaker"]),
    }


def normalise_service(service: dict | None) -> dict | None:
    """The comparable view of a DescribeServices entry (None when missing or INACTIVE)."""
    if not service or service.get("status") == "INACTIVE":
        return None
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    return {
        "name": service["serviceName"],
        "arn": service["serviceArn"],
        "cluster_arn": service.get("clusterArn"),
        "status": service.get("status"),
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount", 0),
        "launch_type": service.get("launchType") if not service.get("capacityProviderStrategy") else None,
        "capacity_provider_strategy": strategy_from_aws(service.get("capacityProviderStrategy")),
        "platform_version": service.get("platformVersion"),
        "network_configuration": _network_from_aws(service.get("networkConfiguration")),
        "load_balancers": balancers_from_aws(service.get("loadBalancers")),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds") or 0,
        "deployment_configuration": _deployment_from_aws(service.get("deploymentConfiguration")),
        "enable_execute_command": bool(service.get("enableExecuteCommand")),
        "propagate_tags": service.get("propagateTags") or "NONE",
        "tags": tags_dict(service.get("tags")),
        "running_count": service.get("runningCount", 0),
        "pending_count": service.get("pendingCount", 0),
        "deployments": len(deployments),
        "rollout_state": primary.get("rolloutState"),
    }


def comparable(view: dict | None) -> dict:
    """The compared settings of a normalised (or desired) service, for diffs."""
    return {key: view[key] for key in COMPARED} if view else {}


def desired_service(params: dict, current: dict | None, task_definition_arn: str | None) -> dict:
    """What the service should look like (``task_definition_arn``: O(task_definition) resolved)."""
    base = dict(current or {})

    def pick(value, key, default=None):
        return value if value is not None else base.get(key, default)

    strategy = params.get("capacity_provider_strategy")
    launch_type = params.get("launch_type")
    if strategy:
        launch, strategy_view = None, strategy_from_params(strategy)
    elif launch_type:
        launch, strategy_view = launch_type, []
    else:
        launch, strategy_view = base.get("launch_type"), base.get("capacity_provider_strategy", [])
    desired_count = params.get("desired_count")
    if current is not None and params.get("desired_count_managed_externally"):
        desired_count = None
    balancers = params.get("load_balancers")
    return {
        "name": params["name"],
        "arn": base.get("arn"),
        "cluster_arn": base.get("cluster_arn"),
        "status": base.get("status", "ACTIVE"),
        "task_definition": pick(task_definition_arn, "task_definition"),
        "desired_count": pick(desired_count, "desired_count", 0),
        "launch_type": launch,
        "capacity_provider_strategy": strategy_view,
        "platform_version": pick(params.get("platform_version"), "platform_version"),
        "network_configuration": pick(
            network_from_params(params.get("network_configuration")), "network_configuration"
        ),
        "load_balancers": balancers_from_params(balancers)
        if balancers is not None
        else base.get("load_balancers", []),
        "health_check_grace_period_seconds": pick(
            params.get("health_check_grace_period_seconds"), "health_check_grace_period_seconds", 0
        ),
        "deployment_configuration": pick(
            deployment_from_params(
                params.get("deployment_configuration"), base.get("deployment_configuration")
            ),
            "deployment_configuration",
            dict(DEFAULT_DEPLOYMENT),
        ),
        "enable_execute_command": pick(params.get("enable_execute_command"), "enable_execute_command", False),
        "propagate_tags": pick(params.get("propagate_tags"), "propagate_tags", "NONE"),
        "tags": resulting_tags(params, base.get("tags")),
        "running_count": base.get("running_count", 0),
        "pending_count": base.get("pending_count", 0),
        "deployments": base.get("deployments", 0),
        "rollout_state": base.get("rollout_state"),
    }


def immutable_problem(current: dict, desired: dict) -> str | None:
    """Why AWS cannot take ``current`` to ``desired`` in place (None when it can)."""
    if desired["launch_type"] and current["launch_type"] and desired["launch_type"] != current["launch_type"]:
        return (
            f"the service runs with launch type {current['launch_type']}; AWS cannot change the launch "
            f"type of an existing service to {desired['launch_type']}"
        )
    if desired["launch_type"] and current["capacity_provider_strategy"]:
        return (
            "the service uses a capacity provider strategy; this module does not switch an existing service "
            f"back to launch type {desired['launch_type']}"
        )
    return None


def service_differences(current: dict, desired: dict) -> list[str]:
    """The compared settings that differ (tags included)."""
    return [key for key in COMPARED if current[key] != desired[key]]


def update_request(current: dict, desired: dict, force: bool) -> dict:
    """The UpdateService parameters for what differs (tags excluded: TagResource/UntagResource).

    A changed capacity provider strategy (or a switch from a launch type to one) needs
    ``forceNewDeployment``, as AWS requires."""
    request: dict = {}
    differ = set(service_differences(current, desired))
    if "task_definition" in differ:
        request["taskDefinition"] = desired["task_definition"]
    if "desired_count" in differ:
        request["desiredCount"] = desired["desired_count"]
    if "capacity_provider_strategy" in differ and desired["capacity_provider_strategy"]:
        request["capacityProviderStrategy"] = strategy_to_aws(desired["capacity_provider_strategy"])
        force = True
    if "platform_version" in differ:
        request["platformVersion"] = desired["platform_version"]
    if "network_configuration" in differ and desired["network_configuration"]:
        request["networkConfiguration"] = network_to_aws(desired["network_configuration"])
    if "load_balancers" in differ:
        request["loadBalancers"] = balancers_to_aws(desired["load_balancers"])
    if "health_check_grace_period_seconds" in differ:
        request["healthCheckGracePeriodSeconds"] = desired["health_check_grace_period_seconds"]
    if "deployment_configuration" in differ:
        request["deploymentConfiguration"] = deployment_to_aws(desired["deployment_configuration"])
    if "enable_execute_command" in differ:
        request["enableExecuteCommand"] = desired["enable_execute_command"]
    if "propagate_tags" in differ:
        request["propagateTags"] = desired["propagate_tags"]
    if force:
        request["forceNewDeployment"] = True
    return request


def create_service_request(params: dict, desired: dict) -> dict:
    request: dict = {
        "cluster": params["cluster"],
        "serviceName": desired["name"],
        "taskDefinition": desired["task_definition"],
        "desiredCount": desired["desired_count"],
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": deployment_to_aws(desired["deployment_configuration"]),
        "enableExecuteCommand": desired["enable_execute_command"],
        "propagateTags": desired["propagate_tags"],
    }
    if desired["capacity_provider_strategy"]:
        request["capacityProviderStrategy"] = strategy_to_aws(desired["capacity_provider_strategy"])
    elif desired["launch_type"]:
        request["launchType"] = desired["launch_type"]
    if desired["platform_version"]:
        request["platformVersion"] = desired["platform_version"]
    if desired["network_configuration"]:
        request["networkConfiguration"] = network_to_aws(desired["network_configuration"])
    if desired["load_balancers"]:
        request["loadBalancers"] = balancers_to_aws(desired["load_balancers"])
    if params.get("health_check_grace_period_seconds") is not None:
        request["healthCheckGracePeriodSeconds"] = desired["health_check_grace_period_seconds"]
    if desired["tags"]:
        request["tags"] = tags_list(desired["tags"], lower=True)
    return request


def is_steady(service: dict | None) -> bool:
    """services_stable semantics: one deployment and as many tasks running as desired."""
    return (
        bool(service) and service["deployments"] == 1 and service["running_count"] == service["desired_count"]
    )
