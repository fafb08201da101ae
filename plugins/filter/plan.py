# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Render the plan: what the inventory asks for, as the audit document's resource_changes."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.filter.endpoints import endpoints_list
from ansible_collections.pathwai.airflow_ecs.plugins.filter.network import route_specs, security_group_specs
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_layers, plan_live
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import PLAN_ACCOUNT


def _resource(rtype: str, address: str, after: dict) -> dict:
    return {"address": f"{rtype}.{address}", "type": rtype, "change": {"after": after}}


def plan_document(network: dict, endpoints: dict, kms: dict, region: str) -> dict:
    """``network``/``endpoints``/``kms`` hold each role's variables without the role prefix."""
    prefix = network["name_prefix"]
    out = [_resource("aws_vpc", layer_names(prefix)["vpc"], {"cidr_block": network["vpc_cidr"]})]
    for tier in ("private", "data", "alb"):
        for az, cidr in zip(network["availability_zones"], network[f"{tier}_subnet_cidrs"], strict=False):
            out.append(
                _resource(
                    "aws_subnet",
                    f"{prefix}-{tier}-{az[-1]}",
                    {"cidr_block": cidr, "map_public_ip_on_launch": False},
                )
            )
    if network.get("flow_logs_log_group_name"):
        out.append(
            _resource(
                "aws_flow_log",
                layer_names(prefix)["flow_log"],
                {
                    "traffic_type": network["flow_logs_traffic_type"],
                    "log_group_name": network["flow_logs_log_group_name"],
                    "log_group_key_id": f"alias/{network.get('flow_logs_key_prefix') or prefix}-logs",
                },
            )
        )
    if network.get("nat_gateway"):
        out.append(_resource("aws_nat_gateway", f"{prefix}-nat", {}))
    if network.get("internet_gateway"):
        out.append(_resource("aws_internet_gateway", f"{prefix}-igw", {}))
    for route in route_specs(network.get("idp_cidrs"), network.get("idp_route_target", "")):
        target = route.get("transit_gateway_id") or route.get("gateway_id")
        out.append(
            _resource(
                "aws_route",
                f"{prefix}-rt-alb.{route['dest']}",
                {"destination": route["dest"], "target": target},
            )
        )
    for spec in security_group_specs(network["security_groups"], prefix, {"s3": "s3-prefix-list"}):
        for direction, key in (("ingress", "rules"), ("egress", "rules_egress")):
            for rule in spec[key]:
                cidr = rule.get("cidr_ip")
                out.append(
                    _resource(
                        "aws_security_group_rule",
                        f"{spec['name']}.{rule['rule_desc']}",
                        {
                            "type": direction,
                            "protocol": "tcp",
                            "from_port": rule["from_port"],
                            "to_port": rule["to_port"],
                            "cidr_blocks": [cidr] if cidr and ":" not in cidr else [],
                            "ipv6_cidr_blocks": [cidr] if cidr and ":" in cidr else [],
                        },
                    )
                )
    table = {
        "region": region,
        "prefix": prefix,
        "services": endpoints["interface_services"],
        "private_dns": endpoints["private_dns_enabled"],
        "s3_route_tiers": [],
        "policy_actions": endpoints.get("policy_actions") or {},
        "policy_buckets": endpoints.get("policy_buckets") or [],
    }
    account = endpoints.get("account_id") or PLAN_ACCOUNT
    for endpoint in endpoints_list({"account_id": account}, table):
        name = endpoint["service_name"]
        out.append(
            _resource(
                "aws_vpc_endpoint",
                name,
                {
                    "id": endpoint["tags"]["Name"],
                    "service_name": name,
                    "endpoint_type": endpoint["endpoint_type"],
                    "state": "planned",
                    "private_dns_enabled": endpoint.get("private_dns_enabled", False),
                    "policy": endpoint.get("policy"),
                },
            )
        )
    for purpose in kms["keys"]:
        alias = f"alias/{kms['name_prefix']}-{purpose}"
        out.append(
            _resource(
                "aws_kms_key",
                alias,
                {"alias": alias, "purpose": purpose, "enable_key_rotation": bool(kms["enable_key_rotation"])},
            )
        )
    return {"resource_changes": out}


def plan_renderings(v: dict) -> dict:
    """Every resource the roles would create, from their variables alone (no AWS call), rendered as a
    CloudFormation template and a Terraform plan, with every policy document the roles send.

    ``v``: every ``airflow_*`` variable and every role's prefixed variables, templated."""
    resources = plan_layers.plan_resources(v)
    out = plan_layers.renderings(
        resources, v["airflow_region"], f"{v['airflow_project']}-{v['airflow_env']}: the plan"
    )
    return {**out, "policies": plan_layers.plan_policies(v)}


def live_renderings(live: dict, region: str, name: str) -> dict:
    """A live account's resources (pathwai.airflow_ecs.plan_live_info), rendered like the plan."""
    description = f"{name}: the live account"
    out = plan_layers.renderings(live["resources"], region, description, plan_live.TERRAFORM)
    return {**out, "policies": live.get("policies", [])}


class FilterModule:
    def filters(self):
        return {
            "plan_document": plan_document,
            "plan_renderings": plan_renderings,
            "live_renderings": live_renderings,
        }
