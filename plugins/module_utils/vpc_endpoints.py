# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""VPC endpoints: read, normalise, and compare desired with current (pure functions)."""

from __future__ import annotations

import json

LIVE_STATES = ["pendingAcceptance", "pending", "available", "failed", "modifying"]


def normalise(endpoint: dict | None) -> dict | None:
    """The comparable view of a DescribeVpcEndpoints entry (sorted lists, parsed policy)."""
    if not endpoint:
        return None
    policy = endpoint.get("PolicyDocument")
    return {
        "vpc_endpoint_id": endpoint["VpcEndpointId"],
        "vpc_id": endpoint["VpcId"],
        "service_name": endpoint["ServiceName"],
        "endpoint_type": endpoint["VpcEndpointType"],
        "state": endpoint.get("State"),
        "subnet_ids": sorted(endpoint.get("SubnetIds") or []),
        "security_group_ids": sorted(g["GroupId"] for g in endpoint.get("Groups") or []),
        "route_table_ids": sorted(endpoint.get("RouteTableIds") or []),
        "private_dns_enabled": bool(endpoint.get("PrivateDnsEnabled")),
        "policy": json.loads(policy) if isinstance(policy, str) and policy else policy,
        "tags": {t["Key"]: t["Value"] for t in endpoint.get("Tags") or []},
    }


def desired_view(params: dict, current: dict | None) -> dict:
    """What the endpoint should look like after this run (unset options keep current values)."""
    base = dict(current or {})
    is_interface = params["endpoint_type"] == "Interface"
    view = {
        **base,
        "vpc_id": params["vpc_id"],
        "service_name": params["service_name"],
        "endpoint_type": params["endpoint_type"],
        "subnet_ids": sorted(params["subnet_ids"] or []) if is_interface else [],
        "security_group_ids": sorted(params["security_group_ids"] or []) if is_interface else [],
        "route_table_ids": sorted(params["route_table_ids"] or []) if not is_interface else [],
        "private_dns_enabled": bool(params["private_dns_enabled"]) if is_interface else False,
    }
    if params.get("policy") is not None:
        view["policy"] = params["policy"]
    tags = dict(params.get("tags") or {})
    if not params.get("purge_tags", True):
        tags = {**base.get("tags", {}), **tags}
    view["tags"] = tags if params.get("tags") is not None else base.get("tags", {})
    view.pop("state", None)
    return view


def _delta(current: list, wanted: list) -> tuple[list, list]:
    return sorted(set(wanted) - set(current)), sorted(set(current) - set(wanted))


def modify_request(current: dict, desired: dict) -> dict:
    """The ModifyVpcEndpoint parameters that turn ``current`` into ``desired`` ({} when equal).

    Tags are not part of ModifyVpcEndpoint; see ``tags.tag_changes``.
    """
    request: dict = {}
    pairs = (
        ("subnet_ids", "AddSubnetIds", "RemoveSubnetIds"),
        ("security_group_ids", "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        ("route_table_ids", "AddRouteTableIds", "RemoveRouteTableIds"),
    )
    for key, add_name, remove_name in pairs:
        add, remove = _delta(current.get(key, []), desired.get(key, []))
        if add:
            request[add_name] = add
        if remove:
            request[remove_name] = remove
    if (
        desired["endpoint_type"] == "Interface"
        and current["private_dns_enabled"] != desired["private_dns_enabled"]
    ):
        request["PrivateDnsEnabled"] = desired["private_dns_enabled"]
    if desired.get("policy") is not None and desired["policy"] != current.get("policy"):
        request["PolicyDocument"] = json.dumps(desired["policy"], sort_keys=True)
    return request


def create_request(params: dict) -> dict:
    """The CreateVpcEndpoint parameters for a new endpoint."""
    request = {
        "VpcId": params["vpc_id"],
        "ServiceName": params["service_name"],
        "VpcEndpointType": params["endpoint_type"],
    }
    if params["endpoint_type"] == "Interface":
        request["SubnetIds"] = sorted(params["subnet_ids"] or [])
        request["SecurityGroupIds"] = sorted(params["security_group_ids"] or [])
        request["PrivateDnsEnabled"] = bool(params["private_dns_enabled"])
    else:
        request["RouteTableIds"] = sorted(params["route_table_ids"] or [])
    if params.get("policy") is not None:
        request["PolicyDocument"] = json.dumps(params["policy"], sort_keys=True)
    if params.get("tags"):
        request["TagSpecifications"] = [
            {
                "ResourceType": "vpc-endpoint",
                "Tags": [{"Key": k, "Value": v} for k, v in sorted(params["tags"].items())],
            }
        ]
    return request


def client_token(vpc_id: str, service_name: str) -> str:
    """The CreateVpcEndpoint idempotency token of an endpoint: a retried create returns the same one."""
    return f"{vpc_id}-{service_name}"[-64:]
