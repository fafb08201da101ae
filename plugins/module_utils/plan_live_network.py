# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live network (VPC, subnets, gateways, route tables, security groups, VPC endpoints) of
one environment, rendered in the plan's shape (:mod:`plan_live_base`).

Found by the tags the network and endpoints roles set: the VPCs tagged ``airflow:env``; subnets
and route tables by ``airflow:tier``; security groups by ``airflow:component`` (their short name).
Anything else in those VPCs (a NAT or internet gateway, a stray route) is rendered too, so the
gate judges what is really there.
"""

from __future__ import annotations

import json

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import (
    Live,
    short,
    tag,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    FLOW_LOG_ID,
    VPC_ID,
    logical_id,
    route_id,
    sg_id,
    sg_rule_id,
    subnet_id,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    tf_flow_log,
    tf_ref,
    tf_tags,
)

VPN_GATEWAY_ID = "IdpVpnGateway"


def route_table_id(tier: str) -> str:
    return logical_id("route table", tier)  # RouteTablePrivate


def endpoint_id(service: str) -> str:
    """``ecr.api`` -> ``VpceEcrApi``; the S3 gateway endpoint is ``VpceS3``."""
    return logical_id("vpce", service)


def rule_id(group: str, direction: str, description: str | None, fallback: str) -> str:
    """A security-group rule by its description (``<group>-<direction>-<peer>-tcp-<port>``, as
    the network role writes it); one without a description by what it allows."""
    return sg_rule_id(description or f"{group} {direction} {fallback}")


def network(live: Live) -> None:
    ec2 = live.client("ec2")
    vpcs = live_reads.vpcs(ec2, live.scope["env"])
    for n, vpc in enumerate(vpcs):
        attributes = live_reads.vpc_attributes(ec2, vpc["VpcId"])
        props = {
            "CidrBlock": vpc["CidrBlock"],
            "EnableDnsSupport": attributes["enableDnsSupport"],
            "EnableDnsHostnames": attributes["enableDnsHostnames"],
            "InstanceTenancy": vpc.get("InstanceTenancy"),
            "Tags": tags(vpc.get("Tags")),
        }
        live.add("AWS::EC2::VPC", VPC_ID if n == 0 else logical_id("vpc", vpc["VpcId"]), props, vpc["VpcId"])
    vpc_ids = [v["VpcId"] for v in vpcs]
    _subnets(live, ec2, vpc_ids)
    _gateways(live, ec2, vpc_ids)
    _route_tables(live, ec2, vpc_ids)
    _security_groups(live, ec2, vpc_ids)
    _endpoints(live, ec2, vpc_ids)
    _flow_logs(live, ec2, vpc_ids)


def _subnets(live: Live, ec2, vpc_ids: list[str]) -> None:
    for subnet in live_reads.in_vpcs(ec2, "describe_subnets", "Subnets", vpc_ids):
        tier = tag(subnet.get("Tags"), "airflow:tier", "untiered")
        props = {
            "VpcId": subnet["VpcId"],
            "CidrBlock": subnet["CidrBlock"],
            "AvailabilityZone": subnet["AvailabilityZone"],
            "MapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch", False),
            "Tags": tags(subnet.get("Tags")),
        }
        live.add("AWS::EC2::Subnet", subnet_id(tier, subnet["AvailabilityZone"]), props, subnet["SubnetId"])


def _gateways(live: Live, ec2, vpc_ids: list[str]) -> None:
    for gateway in live_reads.vpn_gateways(ec2, vpc_ids):
        name = tag(gateway.get("Tags"), "Name", "")
        logical = (
            VPN_GATEWAY_ID
            if name == layer_names(live.prefix)["idp_gateway"]
            else logical_id("vgw", gateway["VpnGatewayId"])
        )
        props = {
            "Type": gateway["Type"],
            "AmazonSideAsn": gateway.get("AmazonSideAsn"),
            "Tags": tags(gateway.get("Tags")),
        }
        live.add("AWS::EC2::VPNGateway", logical, props, gateway["VpnGatewayId"])
        for attachment in gateway.get("VpcAttachments", []):
            if attachment.get("State") in ("attached", "attaching"):
                props = {"VpcId": attachment["VpcId"], "VpnGatewayId": gateway["VpnGatewayId"]}
                live.add("AWS::EC2::VPCGatewayAttachment", f"{logical}Attachment", props)
    attached = "attachment.vpc-id"
    for igw in live_reads.in_vpcs(ec2, "describe_internet_gateways", "InternetGateways", vpc_ids, attached):
        logical = logical_id("internet gateway", igw["InternetGatewayId"])
        live.add(
            "AWS::EC2::InternetGateway", logical, {"Tags": tags(igw.get("Tags"))}, igw["InternetGatewayId"]
        )
        for attachment in igw.get("Attachments", []):
            props = {"VpcId": attachment["VpcId"], "InternetGatewayId": igw["InternetGatewayId"]}
            live.add("AWS::EC2::VPCGatewayAttachment", f"{logical}Attachment", props)
    for nat in live_reads.in_vpcs(ec2, "describe_nat_gateways", "NatGateways", vpc_ids):
        if nat.get("State") not in ("pending", "available"):
            continue
        addresses = nat.get("NatGatewayAddresses") or [{}]
        props = {
            "SubnetId": nat["SubnetId"],
            "ConnectivityType": nat.get("ConnectivityType"),
            "AllocationId": addresses[0].get("AllocationId"),
            "Tags": tags(nat.get("Tags")),
        }
        live.add(
            "AWS::EC2::NatGateway", logical_id("nat gateway", nat["NatGatewayId"]), props, nat["NatGatewayId"]
        )


ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "EgressOnlyInternetGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
)


def _own_route(route: dict) -> str | None:
    """The target key of a route the table owns (not the local route, not an S3 gateway
    endpoint's prefix-list route, which come with the VPC and the endpoint)."""
    target = next((k for k in ROUTE_TARGETS if route.get(k)), None)
    if target is None or route[target] == "local" or str(route[target]).startswith("vpce-"):
        return None
    return target


def _route_tables(live: Live, ec2, vpc_ids: list[str]) -> None:
    subnet_by_id = {k: v for k, v in live.physical.items() if k.startswith("subnet-")}
    for table in live_reads.in_vpcs(ec2, "describe_route_tables", "RouteTables", vpc_ids):
        main = any(a.get("Main") for a in table.get("Associations", []))
        if main and not table.get("Tags") and not any(_own_route(r) for r in table.get("Routes", [])):
            continue  # the VPC's main route table, as the VPC came: only its local route
        tier = tag(table.get("Tags"), "airflow:tier") or table["RouteTableId"]
        props = {"VpcId": table["VpcId"], "Tags": tags(table.get("Tags"))}
        live.add("AWS::EC2::RouteTable", route_table_id(tier), props, table["RouteTableId"])
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                subnet = subnet_by_id.get(association["SubnetId"]) or logical_id(association["SubnetId"])
                props = {"RouteTableId": table["RouteTableId"], "SubnetId": association["SubnetId"]}
                live.add("AWS::EC2::SubnetRouteTableAssociation", f"{subnet}RouteTable", props)
        for route in table.get("Routes", []):
            target = _own_route(route)
            if target is None:
                continue
            destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            key = "DestinationCidrBlock" if route.get("DestinationCidrBlock") else "DestinationIpv6CidrBlock"
            if route.get("DestinationPrefixListId"):
                destination, key = route["DestinationPrefixListId"], "DestinationPrefixListId"
            props = {
                "RouteTableId": table["RouteTableId"],
                key: destination,
                target: route[target],
            }
            live.add("AWS::EC2::Route", route_id(tier, destination), props)


def _security_groups(live: Live, ec2, vpc_ids: list[str]) -> None:
    groups = live_reads.in_vpcs(ec2, "describe_security_groups", "SecurityGroups", vpc_ids)
    names = {}
    for group in groups:
        if group["GroupName"] == "default":
            continue  # created with the VPC; the network role empties it
        name = tag(group.get("Tags"), "airflow:component") or short(group["GroupName"], live.prefix)
        names[group["GroupId"]] = name
        props = {
            "GroupName": group["GroupName"],
            "GroupDescription": group.get("Description"),
            "VpcId": group["VpcId"],
            "Tags": tags(group.get("Tags")),
        }
        live.add("AWS::EC2::SecurityGroup", sg_id(name), props, group["GroupId"])
    for group in groups:
        if group["GroupName"] == "default":
            names[group["GroupId"]] = "default"  # its rules, if any, with the group's real id
        if group["GroupId"] not in names:
            continue
        for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            for perm in group.get(key, []):
                for peer_key, peer in _peers(perm, direction):
                    rtype = (
                        "AWS::EC2::SecurityGroupIngress"
                        if direction == "ingress"
                        else "AWS::EC2::SecurityGroupEgress"
                    )
                    props = {
                        "GroupId": group["GroupId"],
                        "IpProtocol": perm.get("IpProtocol"),
                        "FromPort": perm.get("FromPort"),
                        "ToPort": perm.get("ToPort"),
                        peer_key: peer["value"],
                        "Description": peer.get("Description"),
                    }
                    fallback = f"{perm.get('IpProtocol')} {perm.get('FromPort')} {peer['value']}"
                    logical = rule_id(names[group["GroupId"]], direction, peer.get("Description"), fallback)
                    live.add(rtype, logical, props)


def _peers(perm: dict, direction: str):
    group_key = "SourceSecurityGroupId" if direction == "ingress" else "DestinationSecurityGroupId"
    prefix_key = "SourcePrefixListId" if direction == "ingress" else "DestinationPrefixListId"
    for r in perm.get("IpRanges", []):
        yield "CidrIp", {"value": r["CidrIp"], "Description": r.get("Description")}
    for r in perm.get("Ipv6Ranges", []):
        yield "CidrIpv6", {"value": r["CidrIpv6"], "Description": r.get("Description")}
    for r in perm.get("UserIdGroupPairs", []):
        yield group_key, {"value": r["GroupId"], "Description": r.get("Description")}
    for r in perm.get("PrefixListIds", []):
        yield prefix_key, {"value": r["PrefixListId"], "Description": r.get("Description")}


def _endpoints(live: Live, ec2, vpc_ids: list[str]) -> None:
    for endpoint in live_reads.in_vpcs(ec2, "describe_vpc_endpoints", "VpcEndpoints", vpc_ids):
        if endpoint.get("State", "").lower() in ("deleted", "deleting"):
            continue
        service = (
            endpoint["ServiceName"].split(".", 3)[-1]
            if endpoint["ServiceName"].startswith("com.amazonaws.")
            else endpoint["ServiceName"]
        )
        interface = endpoint["VpcEndpointType"] == "Interface"
        document = endpoint.get("PolicyDocument")
        document = json.loads(document) if isinstance(document, str) else document
        props = {
            "ServiceName": endpoint["ServiceName"],
            "VpcEndpointType": endpoint["VpcEndpointType"],
            "VpcId": endpoint["VpcId"],
            "SubnetIds": sorted(endpoint.get("SubnetIds", [])) if interface else None,
            "SecurityGroupIds": sorted(g["GroupId"] for g in endpoint.get("Groups", []))
            if interface
            else None,
            "PrivateDnsEnabled": bool(endpoint.get("PrivateDnsEnabled")) if interface else None,
            "RouteTableIds": sorted(endpoint.get("RouteTableIds", [])) if not interface else None,
            "PolicyDocument": document,
            "Tags": tags(endpoint.get("Tags")),
        }
        live.add("AWS::EC2::VPCEndpoint", endpoint_id(service), props, endpoint["VpcEndpointId"])
        live.policy(f"{endpoint['ServiceName']} endpoint policy", "resource", document)


def _flow_logs(live: Live, ec2, vpc_ids: list[str]) -> None:
    """The VPCs' flow logs (the network role's, and any added by hand)."""
    if not vpc_ids:
        return
    filters = [{"Name": "resource-id", "Values": vpc_ids}]
    for flow in paginate(ec2, "describe_flow_logs", Filters=filters).get("FlowLogs", []):
        cloud_watch = flow.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs"
        props = {
            "ResourceId": flow["ResourceId"],
            "ResourceType": "VPC",
            "TrafficType": flow.get("TrafficType"),
            "LogDestinationType": flow.get("LogDestinationType"),
            # CloudWatch Logs destinations: the group's name (as the plan and CloudFormation name
            # it; DescribeFlowLogs also returns its ARN as LogDestination); S3 and Firehose: the ARN.
            "LogDestination": None if cloud_watch else flow.get("LogDestination"),
            "LogGroupName": flow.get("LogGroupName") if cloud_watch else None,
            "DeliverLogsPermissionArn": flow.get("DeliverLogsPermissionArn"),
            "MaxAggregationInterval": flow.get("MaxAggregationInterval"),
            "Tags": tags(flow.get("Tags")),
        }
        ours = tag(flow.get("Tags"), "airflow:component") == "flow-logs"
        logical = FLOW_LOG_ID if ours else logical_id("flow log", flow["FlowLogId"])
        live.add("AWS::EC2::FlowLog", logical, props, flow["FlowLogId"])


# ---- Terraform (hashicorp/aws v5) for what only a live account holds: the plan never has a NAT
# or internet gateway (the network role refuses them); a deployed VPC may.


def tf_nat_gateway(res: dict) -> list:
    p = res["properties"]
    values = {
        "subnet_id": tf_ref(p.get("SubnetId")),
        "allocation_id": p.get("AllocationId"),
        "connectivity_type": p.get("ConnectivityType", "public"),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_nat_gateway", "", {k: v for k, v in values.items() if v is not None})]


def tf_internet_gateway(res: dict) -> list:
    return [("aws_internet_gateway", "", {"tags": tf_tags(res["properties"].get("Tags"))})]


def tf_gateway_attachment(res: dict) -> list:
    """A VPC's virtual private or internet gateway attachment (one CloudFormation type for both)."""
    p = res["properties"]
    if p.get("InternetGatewayId"):
        values = {"vpc_id": tf_ref(p.get("VpcId")), "internet_gateway_id": tf_ref(p["InternetGatewayId"])}
        return [("aws_internet_gateway_attachment", "", values)]
    values = {"vpc_id": tf_ref(p.get("VpcId")), "vpn_gateway_id": tf_ref(p.get("VpnGatewayId"))}
    return [("aws_vpn_gateway_attachment", "", values)]


TERRAFORM = {
    "AWS::EC2::FlowLog": tf_flow_log,  # the plan's converter, for a flow log found live
    "AWS::EC2::NatGateway": tf_nat_gateway,
    "AWS::EC2::InternetGateway": tf_internet_gateway,
    "AWS::EC2::VPCGatewayAttachment": tf_gateway_attachment,
}
