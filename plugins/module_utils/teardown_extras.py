# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What pathwai.airflow_ecs.teardown_extras removes: pure selection over what was read."""

from __future__ import annotations


def target_key(target: dict) -> tuple[str, str, str]:
    """A scalable target's identity, from the module's snake_case option or the API's shape."""
    return (
        target.get("service_namespace") or target["ServiceNamespace"],
        target.get("resource_id") or target["ResourceId"],
        target.get("scalable_dimension") or target["ScalableDimension"],
    )


def present_aliases(wanted: list[str], found: list[dict]) -> list[str]:
    """The wanted alias names (``alias/`` added when missing) that exist, in the order asked."""
    names = {alias["AliasName"] for alias in found}
    full = [name if name.startswith("alias/") else f"alias/{name}" for name in wanted]
    return [name for name in full if name in names]


def present_targets(wanted: list[dict], found: list[dict]) -> list[dict]:
    """The wanted scalable targets that are registered, as module-style dicts."""
    registered = {target_key(target) for target in found}
    keys = [target_key(target) for target in wanted]
    return [
        {"service_namespace": ns, "resource_id": rid, "scalable_dimension": dim}
        for ns, rid, dim in keys
        if (ns, rid, dim) in registered
    ]


def present_dashboards(wanted: list[str], found: list[dict]) -> list[str]:
    """The wanted dashboard names that exist, in the order asked."""
    names = {entry["DashboardName"] for entry in found}
    return [name for name in wanted if name in names]
