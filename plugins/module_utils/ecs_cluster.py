# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ECS clusters: normalise AWS shapes, build the desired view, compare, plan the calls.

Pure functions only (no AWS calls). Also the small ECS helpers ecs_service shares (tags in
ECS's lower-case ``key``/``value`` form, capacity provider strategies).
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import (
    resulting_tags,
    tag_changes,
    tags_dict,
    tags_list,
)

LOG_KEYS = {
    "cloud_watch_log_group_name": "cloudWatchLogGroupName",
    "cloud_watch_encryption_enabled": "cloudWatchEncryptionEnabled",
    "s3_bucket_name": "s3BucketName",
    "s3_encryption_enabled": "s3EncryptionEnabled",
    "s3_key_prefix": "s3KeyPrefix",
}
LOG_BOOLS = ("cloud_watch_encryption_enabled", "s3_encryption_enabled")


# Shared ECS helpers -----------------------------------------------------------------------


def strategy_from_aws(items: list | None) -> list:
    """A capacity provider strategy, sorted by provider, weight and base defaulted to 0 (as AWS does)."""
    return sorted(
        (
            {
                "capacity_provider": i["capacityProvider"],
                "weight": int(i.get("weight") or 0),
                "base": int(i.get("base") or 0),
            }
            for i in items or []
        ),
        key=lambda i: i["capacity_provider"],
    )


def strategy_from_params(items: list | None) -> list:
    return sorted(
        (
            {
                "capacity_provider": i["capacity_provider"],
                "weight": int(i.get("weight") or 0),
                "base": int(i.get("base") or 0),
            }
            for i in items or []
        ),
        key=lambda i: i["capacity_provider"],
    )


def strategy_to_aws(items: list) -> list:
    return [
        {"capacityProvider": i["capacity_provider"], "weight": i["weight"], "base": i["base"]} for i in items
    ]


def strategy_problem(items: list) -> str | None:
    """What AWS would refuse in a strategy (None when fine)."""
    if not items:
        return None
    names = [i["capacity_provider"] for i in items]
    if len(set(names)) != len(names):
        return "a capacity provider is listed twice"
    if sum(1 for i in items if i["base"]) > 1:
        return "only one capacity provider of a strategy can have a base"
    if not any(i["weight"] > 0 for i in items):
        return "at least one capacity provider must have a weight greater than zero"
    return None


# Clusters -----------------------------------------------------------------------------------


def _exec_from_aws(configuration: dict | None) -> dict | None:
    config = (configuration or {}).get("executeCommandConfiguration")
    if not config:
        return None
    log = config.get("logConfiguration")
    return {
        "kms_key_id": config.get("kmsKeyId") or None,
        "logging": config.get("logging") or "DEFAULT",
        "log_configuration": (
            {
                key: (bool(log.get(aws)) if key in LOG_BOOLS else log.get(aws) or None)
                for key, aws in LOG_KEYS.items()
            }
            if log
            else None
        ),
    }


def exec_from_params(config: dict | None) -> dict | None:
    if config is None:
        return None
    log = config.get("log_configuration")
    return {
        "kms_key_id": config.get("kms_key_id") or None,
        "logging": config.get("logging") or "DEFAULT",
        "log_configuration": (
            {key: (bool(log.get(key)) if key in LOG_BOOLS else log.get(key) or None) for key in LOG_KEYS}
            if log
            else None
        ),
    }


def exec_to_aws(config: dict) -> dict:
    out: dict = {"logging": config["logging"]}
    if config.get("kms_key_id"):
        out["kmsKeyId"] = config["kms_key_id"]
    log = config.get("log_configuration")
    if log:
        out["logConfiguration"] = {
            aws: log[key] for key, aws in LOG_KEYS.items() if log.get(key) is not None and log.get(key) != ""
        }
    return {"executeCommandConfiguration": out}


def normalise_cluster(cluster: dict | None) -> dict | None:
    """The comparable view of a DescribeClusters entry (None when missing or INACTIVE)."""
    if not cluster or cluster.get("status") == "INACTIVE":
        return None
    settings = {s["name"]: s.get("value") for s in cluster.get("settings") or []}
    return {
        "name": cluster["clusterName"],
        "arn": cluster["clusterArn"],
        "status": cluster.get("status"),
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": strategy_from_aws(
            cluster.get("defaultCapacityProviderStrategy")
        ),
        "container_insights": settings.get("containerInsights") or "disabled",
        "execute_command_configuration": _exec_from_aws(cluster.get("configuration")),
        "tags": tags_dict(cluster.get("tags")),
        "active_services_count": cluster.get("activeServicesCount", 0),
    }


def desired_cluster(params: dict, current: dict | None) -> dict:
    """What the cluster should look like; options left unset (None) keep the current value."""
    base = dict(current or {})

    def pick(value, key, default):
        if value is not None:
            return value
        return base.get(key, default)

    providers = params.get("capacity_providers")
    strategy = params.get("default_capacity_provider_strategy")
    config = params.get("execute_command_configuration")
    return {
        "name": params["name"],
        "arn": base.get("arn"),
        "status": base.get("status", "ACTIVE"),
        "capacity_providers": pick(
            sorted(providers) if providers is not None else None, "capacity_providers", []
        ),
        "default_capacity_provider_strategy": pick(
            strategy_from_params(strategy) if strategy is not None else None,
            "default_capacity_provider_strategy",
            [],
        ),
        "container_insights": params["container_insights"],
        "execute_command_configuration": (
            exec_from_params(config) if config is not None else base.get("execute_command_configuration")
        ),
        "tags": resulting_tags(params, base.get("tags")),
        "active_services_count": base.get("active_services_count", 0),
    }


def cluster_plan(current: dict, desired: dict) -> dict:
    """The writes that take ``current`` to ``desired``: keys settings, configuration,
    capacity_providers, tags ({set, remove}); empty when nothing differs."""
    plan: dict = {}
    if current["container_insights"] != desired["container_insights"]:
        plan["settings"] = [{"name": "containerInsights", "value": desired["container_insights"]}]
    if current["execute_command_configuration"] != desired["execute_command_configuration"]:
        wanted = desired["execute_command_configuration"]
        plan["configuration"] = exec_to_aws(wanted) if wanted else {"executeCommandConfiguration": {}}
    if (
        current["capacity_providers"] != desired["capacity_providers"]
        or current["default_capacity_provider_strategy"] != desired["default_capacity_provider_strategy"]
    ):
        plan["capacity_providers"] = {
            "capacityProviders": desired["capacity_providers"],
            "defaultCapacityProviderStrategy": strategy_to_aws(desired["default_capacity_provider_strategy"]),
        }
    to_set, to_remove = tag_changes(current["tags"], desired["tags"])
    if to_set or to_remove:
        plan["tags"] = {"set": to_set, "remove": to_remove}
    return plan


def create_cluster_request(desired: dict) -> dict:
    request: dict = {
        "clusterName": desired["name"],
        "settings": [{"name": "containerInsights", "value": desired["container_insights"]}],
    }
    if desired["capacity_providers"]:
        request["capacityProviders"] = desired["capacity_providers"]
    if desired["default_capacity_provider_strategy"]:
        request["defaultCapacityProviderStrategy"] = strategy_to_aws(
            desired["default_capacity_provider_strategy"]
        )
    if desired["execute_command_configuration"]:
        request["configuration"] = exec_to_aws(desired["execute_command_configuration"])
    if desired["tags"]:
        request["tags"] = tags_list(desired["tags"], lower=True)
    return request
