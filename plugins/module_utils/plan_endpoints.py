# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The endpoints layer of the plan: every interface endpoint and the S3 gateway endpoint.

Built with ``endpoints_list``, the filter the endpoints role sends pathwai.airflow_ecs.vpc_endpoints'
``endpoints`` through, fed with the planned subnets, route tables and security group.
"""

from __future__ import annotations

import json

from ansible_collections.pathwai.airflow_ecs.plugins.filter.endpoints import endpoints_list
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    PLAN_ACCOUNT,
    VPC_ID,
    logical_id,
    ref,
    resource,
    sg_id,
    subnet_id,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_network import route_table_id
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import tf_ref, tf_tags


def endpoint_id(service: str) -> str:
    return logical_id("vpce", service)


def endpoints_resources(v: dict) -> list[dict]:
    zones = v["network_availability_zones"]
    # Logical ids stand where the role passes the ids foundation_info found; refs are made below.
    network = {
        "account_id": v.get("airflow_account_id") or PLAN_ACCOUNT,
        "subnet_ids": {"private": [subnet_id("private", z) for z in zones]},
        "group_ids": {"vpc-endpoints": sg_id("vpc-endpoints")},
        "route_table_ids": {tier: [route_table_id(tier)] for tier in v["endpoints_s3_route_tiers"]},
    }
    table = {
        "region": v["endpoints_region"],
        "prefix": v["endpoints_name_prefix"],
        "services": v["endpoints_interface_services"],
        "private_dns": bool(v["endpoints_private_dns_enabled"]),
        "s3_route_tiers": v["endpoints_s3_route_tiers"],
        "tags": {
            **(v.get("endpoints_tags") or {}),
            "airflow:env": v["airflow_env"],
            "airflow:component": "endpoints",
        },
        "policy_actions": v["endpoints_policy_actions"],
        "policy_buckets": v["endpoints_s3_policy_buckets"],
    }
    out = []
    for endpoint in endpoints_list(network, table):
        service = endpoint["service_name"].split(f"com.amazonaws.{table['region']}.", 1)[1]
        props = {
            "VpcId": ref(VPC_ID),
            "ServiceName": endpoint["service_name"],
            "VpcEndpointType": endpoint["endpoint_type"],
            "Tags": tags(endpoint["tags"]),
        }
        if endpoint.get("policy"):
            props["PolicyDocument"] = endpoint["policy"]
        if endpoint["endpoint_type"] == "Interface":
            props["SubnetIds"] = [ref(s) for s in endpoint["subnet_ids"]]
            props["SecurityGroupIds"] = [ref(g) for g in endpoint["security_group_ids"]]
            props["PrivateDnsEnabled"] = endpoint["private_dns_enabled"]
        else:
            props["RouteTableIds"] = [ref(t) for t in endpoint["route_table_ids"]]
        out.append(resource("AWS::EC2::VPCEndpoint", endpoint_id(service), props))
    return out


def endpoints_policies(v: dict) -> list[dict]:
    """Every endpoint policy, as the resource policies they are."""
    return [
        {"name": r["id"], "kind": "resource", "document": r["properties"]["PolicyDocument"]}
        for r in endpoints_resources(v)
        if r["properties"].get("PolicyDocument")
    ]


def _endpoint(res: dict) -> list:
    p = res["properties"]
    policy = p.get("PolicyDocument")
    values = {
        "vpc_id": tf_ref(p.get("VpcId")),
        "service_name": p.get("ServiceName"),
        "vpc_endpoint_type": p.get("VpcEndpointType", "Gateway"),
        "subnet_ids": tf_ref(p.get("SubnetIds")),
        "security_group_ids": tf_ref(p.get("SecurityGroupIds")),
        "route_table_ids": tf_ref(p.get("RouteTableIds")),
        "private_dns_enabled": p.get("PrivateDnsEnabled", False),
        "policy": json.dumps(policy) if isinstance(policy, dict) else policy,
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_vpc_endpoint", "", {k: val for k, val in values.items() if val is not None})]


TERRAFORM = {"AWS::EC2::VPCEndpoint": _endpoint}
