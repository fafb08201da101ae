# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The whole plan: every layer's resources and policy documents, and the renderings of them."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import (
    plan_alb,
    plan_compute,
    plan_data,
    plan_endpoints,
    plan_kms,
    plan_monitoring,
    plan_network,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    cloudformation,
    terraform_plan,
)

# In the order the phases build them.
LAYERS = {
    "network": plan_network,
    "kms": plan_kms,
    "endpoints": plan_endpoints,
    "data": plan_data,
    "alb": plan_alb,
    "compute": plan_compute,
    "monitoring": plan_monitoring,
}


def converters() -> dict:
    out: dict = {}
    for module in LAYERS.values():
        out.update(module.TERRAFORM)
    return out


def plan_resources(v: dict, layers=None) -> list[dict]:
    return [r for name in layers or LAYERS for r in getattr(LAYERS[name], f"{name}_resources")(v)]


def plan_policies(v: dict, layers=None) -> list[dict]:
    return [p for name in layers or LAYERS for p in getattr(LAYERS[name], f"{name}_policies")(v)]


def renderings(resources: list[dict], region: str, description: str) -> dict:
    """The CloudFormation template and the Terraform plan of ``resources`` (planned or live)."""
    return {
        "cloudformation": cloudformation(resources, description),
        "terraform": terraform_plan(resources, converters(), region),
    }
