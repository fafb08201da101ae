# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The network role's subnets, tier by tier and zone by zone (pure function, no AWS call)."""

from __future__ import annotations

TIERS = ("private", "data", "alb")


def subnet_plan(cfg: dict) -> list[dict]:
    """The ``subnets`` of pathwai.airflow_ecs.subnets: one per tier and availability zone.

    ``cfg``: availability_zones, private/data/alb_subnet_cidrs, prefix, tags, env."""
    out = []
    for tier in TIERS:
        for az, cidr in zip(cfg["availability_zones"], cfg[f"{tier}_subnet_cidrs"], strict=False):
            name = f"{cfg['prefix']}-{tier}-{az[-1]}"
            tags = {
                **(cfg.get("tags") or {}),
                "Name": name,
                "airflow:env": cfg["env"],
                "airflow:component": "network",
                "airflow:tier": tier,
            }
            out.append({"cidr": cidr, "az": az, "map_public": False, "tags": tags})
    return out


class FilterModule:
    def filters(self):
        return {"subnet_plan": subnet_plan}
