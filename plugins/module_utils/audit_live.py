# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Read the live account into the audit document (terraform-plan-like ``resource_changes``).

Scope: the VPCs tagged ``airflow:env=<env>`` and the KMS keys aliased ``alias/<prefix>-*``.
Each resource is ``{address, type, change: {after: {...}}}`` so the seed's Rego policy,
written for ``terraform show -json``, runs unchanged on the plan and on the live state.
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate


def resource(rtype: str, address: str, after: dict) -> dict:
    return {"address": f"{rtype}.{address}", "type": rtype, "change": {"after": after}}


def _name(tags: list | None, default: str) -> str:
    return next((t["Value"] for t in tags or [] if t["Key"] == "Name"), default)


def flow_log_resources(ec2, logs, vpc_ids: list[str]) -> list[dict]:
    """The VPCs' flow logs, each with the key of the log group it writes to (None: unencrypted)."""
    filters = [{"Name": "resource-id", "Values": vpc_ids}]
    out = []
    for flow in paginate(ec2, "describe_flow_logs", Filters=filters).get("FlowLogs", []):
        name = flow.get("LogGroupName")
        group = (
            next((g for g in live_reads.log_groups(logs, name) if g["logGroupName"] == name), None)
            if name
            else None
        )
        key = (group or {}).get("kmsKeyId")
        out.append(
            resource(
                "aws_flow_log",
                flow["FlowLogId"],
                {
                    "id": flow["FlowLogId"],
                    "vpc_id": flow["ResourceId"],
                    "traffic_type": flow.get("TrafficType"),
                    "log_group_name": name,
                    "log_group_key_id": key.rsplit("key/", 1)[-1] if key else None,
                },
            )
        )
    return out


def network_resources(ec2, env: str, logs=None) -> list[dict]:
    vpcs = live_reads.vpcs(ec2, env)
    out = [resource("aws_vpc", v["VpcId"], {"id": v["VpcId"], "cidr_block": v["CidrBlock"]}) for v in vpcs]
    vpc_ids = [v["VpcId"] for v in vpcs]
    if not vpc_ids:
        return out
    for subnet in live_reads.in_vpcs(ec2, "describe_subnets", "Subnets", vpc_ids):
        label = f"{_name(subnet.get('Tags'), subnet['SubnetId'])}({subnet['SubnetId']})"
        out.append(
            resource(
                "aws_subnet",
                label,
                {
                    "id": subnet["SubnetId"],
                    "map_public_ip_on_launch": subnet.get("MapPublicIpOnLaunch", False),
                },
            )
        )
    for nat in live_reads.in_vpcs(ec2, "describe_nat_gateways", "NatGateways", vpc_ids):
        if nat.get("State") not in ("pending", "available"):
            continue
        out.append(
            resource(
                "aws_nat_gateway", nat["NatGatewayId"], {"id": nat["NatGatewayId"], "vpc_id": nat["VpcId"]}
            )
        )
    attached = "attachment.vpc-id"
    for igw in live_reads.in_vpcs(ec2, "describe_internet_gateways", "InternetGateways", vpc_ids, attached):
        out.append(
            resource("aws_internet_gateway", igw["InternetGatewayId"], {"id": igw["InternetGatewayId"]})
        )
    for eigw in paginate(ec2, "describe_egress_only_internet_gateways")["EgressOnlyInternetGateways"]:
        if any(a.get("VpcId") in vpc_ids for a in eigw.get("Attachments", [])):
            gid = eigw["EgressOnlyInternetGatewayId"]
            out.append(resource("aws_egress_only_internet_gateway", gid, {"id": gid}))
    for table in live_reads.in_vpcs(ec2, "describe_route_tables", "RouteTables", vpc_ids):
        label = f"{_name(table.get('Tags'), table['RouteTableId'])}({table['RouteTableId']})"
        for route in table.get("Routes", []):
            destination = (
                route.get("DestinationCidrBlock")
                or route.get("DestinationIpv6CidrBlock")
                or route.get("DestinationPrefixListId")
            )
            target = next(
                (
                    route[k]
                    for k in (
                        "GatewayId",
                        "NatGatewayId",
                        "TransitGatewayId",
                        "EgressOnlyInternetGatewayId",
                        "VpcPeeringConnectionId",
                        "NetworkInterfaceId",
                    )
                    if route.get(k)
                ),
                "",
            )
            out.append(
                resource(
                    "aws_route",
                    f"{label}.{destination}",
                    {"route_table_id": table["RouteTableId"], "destination": destination, "target": target},
                )
            )
    out.extend(security_group_rules(ec2, vpc_ids))
    out.extend(flow_log_resources(ec2, logs, vpc_ids) if logs is not None else [])
    for endpoint in live_reads.in_vpcs(ec2, "describe_vpc_endpoints", "VpcEndpoints", vpc_ids):
        if endpoint.get("State", "").lower() in ("deleted", "deleting"):
            continue
        out.append(
            resource(
                "aws_vpc_endpoint",
                f"{endpoint['ServiceName']}({endpoint['VpcEndpointId']})",
                {
                    "id": endpoint["VpcEndpointId"],
                    "service_name": endpoint["ServiceName"],
                    "endpoint_type": endpoint["VpcEndpointType"],
                    "private_dns_enabled": bool(endpoint.get("PrivateDnsEnabled")),
                    "state": endpoint.get("State", "").lower(),
                    "policy": endpoint.get("PolicyDocument"),
                },
            )
        )
    return out


def security_group_rules(ec2, vpc_ids: list[str]) -> list[dict]:
    out = []
    for group in live_reads.in_vpcs(ec2, "describe_security_groups", "SecurityGroups", vpc_ids):
        for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            for perm in group.get(key, []):
                ports = f"{perm.get('IpProtocol')}.{perm.get('FromPort', 'all')}-{perm.get('ToPort', 'all')}"
                cidrs = [r["CidrIp"] for r in perm.get("IpRanges", [])]
                v6 = [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
                peers = (
                    cidrs
                    + v6
                    + [p["GroupId"] for p in perm.get("UserIdGroupPairs", [])]
                    + [p["PrefixListId"] for p in perm.get("PrefixListIds", [])]
                )
                address = f"{group['GroupName']}({group['GroupId']}).{direction}.{ports}.{','.join(peers)}"
                out.append(
                    resource(
                        "aws_security_group_rule",
                        address,
                        {
                            "security_group_id": group["GroupId"],
                            "type": direction,
                            "protocol": perm.get("IpProtocol"),
                            "from_port": perm.get("FromPort"),
                            "to_port": perm.get("ToPort"),
                            "cidr_blocks": cidrs,
                            "ipv6_cidr_blocks": v6,
                        },
                    )
                )
    return out


def kms_resources(kms, name_prefix: str) -> list[dict]:
    return [
        resource(
            "aws_kms_key",
            f"{key['alias']}({key['metadata']['KeyId']})",
            {
                "id": key["metadata"]["KeyId"],
                "alias": key["alias"],
                "purpose": key["purpose"],
                "key_manager": key["metadata"].get("KeyManager"),
                "enable_key_rotation": key["rotation"],
                "policy": key["policy"],
            },
        )
        for key in live_reads.aliased_keys(kms, name_prefix)
    ]
