# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Entries for the list modules that converge a layer's resources in one run
(pathwai.airflow_ecs.iam_roles, pathwai.airflow_ecs.cloudwatch_log_groups); no AWS call."""

from __future__ import annotations


def iam_role_item(role: dict, trust_policy: dict, tags: dict, env: str) -> dict:
    """A compute role entry (name, component, description, policy) as an iam_roles entry: the
    trust policy, exactly one inline policy named after the role, no managed policy, and the tags
    plus airflow:env / airflow:component."""
    return {
        "name": role["name"],
        "description": role["description"],
        "assume_role_policy": trust_policy,
        "inline_policies": {role["name"]: role["policy"]},
        "managed_policy_arns": [],
        "tags": {**tags, "airflow:env": env, "airflow:component": role["component"]},
    }


def log_group_item(name_and_component, kms_key_id: str, retention: int, tags: dict) -> dict:
    """A (log group name, component) pair as a cloudwatch_log_groups entry, tagged with the component."""
    name, component = name_and_component
    return {
        "name": name,
        "kms_key_id": kms_key_id,
        "retention": int(retention),
        "tags": {**tags, "airflow:component": component},
    }


class FilterModule:
    def filters(self):
        return {"iam_role_item": iam_role_item, "log_group_item": log_group_item}
