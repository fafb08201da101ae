# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What the plan costs a month (no AWS call): the plan's resources priced from a dated price table."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import cost_estimate as ce
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import cost_report, plan_layers


def cost_estimate(v: dict, prices: dict, usage: dict, price_file: str = "") -> dict:
    """``v``: every airflow_* and role variable, templated (as for plan_renderings); ``prices``: the
    price table; ``usage``: the cost role's assumptions without the ``cost_`` prefix."""
    plan = {layer: plan_layers.plan_resources(v, [layer]) for layer in plan_layers.LAYERS}
    context = {
        "environment": v["airflow_env"],
        "region": v["airflow_region"],
        "name_prefix": v.get("compute_name_prefix") or f"{v['airflow_project']}-{v['airflow_env']}",
        "price_file": price_file,
    }
    return ce.estimate(plan, context, prices, usage)


class FilterModule:
    def filters(self):
        return {
            "cost_estimate": cost_estimate,
            "cost_table": cost_report.table,
            "cost_markdown": cost_report.markdown,
            "cost_svg": cost_report.svg,
        }
