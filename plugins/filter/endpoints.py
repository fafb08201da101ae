# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The endpoints role's endpoint table -> pathwai.airflow_ecs.vpc_endpoints' ``endpoints`` option
(pure function, no AWS call)."""

from __future__ import annotations


def endpoints_list(network: dict, cfg: dict) -> list[dict]:
    """One entry per interface service and the S3 gateway endpoint.

    ``network``: a foundation_info result (subnet_ids and route_table_ids by tier, group_ids).
    ``cfg``: region, prefix, services (interface services after ``com.amazonaws.<region>.``),
    private_dns, s3_route_tiers, tags (every endpoint's tags; ``Name`` is added per endpoint)."""
    base = f"com.amazonaws.{cfg['region']}."
    tags = dict(cfg.get("tags") or {})
    groups = sorted((network.get("group_ids") or {}).values())
    subnets = list((network.get("subnet_ids") or {}).get("private", []))
    tables = network.get("route_table_ids") or {}
    endpoints = [
        {
            "service_name": base + service,
            "endpoint_type": "Interface",
            "subnet_ids": subnets,
            "security_group_ids": groups,
            "private_dns_enabled": bool(cfg["private_dns"]),
            "tags": {**tags, "Name": f"{cfg['prefix']}-vpce-{service}"},
        }
        for service in cfg["services"]
    ]
    endpoints.append(
        {
            "service_name": base + "s3",
            "endpoint_type": "Gateway",
            "route_table_ids": [t for tier in cfg["s3_route_tiers"] for t in tables.get(tier, [])],
            "tags": {**tags, "Name": f"{cfg['prefix']}-vpce-s3"},
        }
    )
    return endpoints


def endpoints_absent(service_names) -> list[dict]:
    """vpc_endpoints entries that delete the endpoints of these services (destroy.yml)."""
    return [{"service_name": name, "state": "absent"} for name in service_names]


class FilterModule:
    def filters(self):
        return {"endpoints_list": endpoints_list, "endpoints_absent": endpoints_absent}
