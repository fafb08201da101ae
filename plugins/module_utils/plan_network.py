# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The network layer of the plan: VPC, subnets, route tables, the IdP gateway, security groups.

Built from the filters the network role sends its modules' arguments through (``subnet_plan``,
``route_specs``, ``security_group_specs``/``security_group_args``), so the plan is what the role does.
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.filter.network import (
    VPN_GATEWAY,
    flow_log_role,
    route_specs,
    security_group_args,
    security_group_specs,
)
from ansible_collections.pathwai.airflow_ecs.plugins.filter.network_layout import TIERS, subnet_plan
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    FLOW_LOG_ID,
    PLAN_ACCOUNT,
    VPC_ID,
    get_att,
    key_id,
    log_group_id,
    ref,
    resource,
    role_id,
    route_id,
    sg_id,
    sg_rule_id,
    subnet_id,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    tf_flow_log,
    tf_ref,
    tf_tags,
)

VGW_ID = "IdpVpnGateway"
# The region's AWS-managed S3 prefix list: the role looks its id up by name at apply time; the plan
# shows a placeholder in the id's format.
S3_PREFIX_LIST = "pl-0123456789abcdef0"


def _role_tags(v: dict, **extra: str) -> dict:
    return {
        **(v.get("network_tags") or {}),
        "airflow:env": v["airflow_env"],
        "airflow:component": "network",
        **extra,
    }


def route_table_id(tier: str) -> str:
    return f"RouteTable{tier.capitalize()}"


def _subnets(v: dict) -> list[dict]:
    layout = {
        "availability_zones": v["network_availability_zones"],
        **{f"{t}_subnet_cidrs": v[f"network_{t}_subnet_cidrs"] for t in TIERS},
        "prefix": v["network_name_prefix"],
        "tags": v.get("network_tags") or {},
        "env": v["airflow_env"],
    }
    out = []
    for subnet in subnet_plan(layout):
        tier = subnet["tags"]["airflow:tier"]
        sid = subnet_id(tier, subnet["az"])
        props = {
            "VpcId": ref(VPC_ID),
            "CidrBlock": subnet["cidr"],
            "AvailabilityZone": subnet["az"],
            "MapPublicIpOnLaunch": subnet["map_public"],
            "Tags": tags(subnet["tags"]),
        }
        out.append(resource("AWS::EC2::Subnet", sid, props, {"CidrBlock": f"network_{tier}_subnet_cidrs"}))
        out.append(
            resource(
                "AWS::EC2::SubnetRouteTableAssociation",
                f"{sid}RouteTable",
                {"SubnetId": ref(sid), "RouteTableId": ref(route_table_id(tier))},
            )
        )
    return out


def _routing(v: dict) -> list[dict]:
    prefix = v["network_name_prefix"]
    out = []
    if v.get("network_idp_route_target") == VPN_GATEWAY:
        out.append(
            resource(
                "AWS::EC2::VPNGateway",
                VGW_ID,
                {"Type": "ipsec.1", "Tags": tags(_role_tags(v), Name=layer_names(prefix)["idp_gateway"])},
            )
        )
        out.append(
            resource(
                "AWS::EC2::VPCGatewayAttachment",
                f"{VGW_ID}Attachment",
                {"VpcId": ref(VPC_ID), "VpnGatewayId": ref(VGW_ID)},
            )
        )
    for tier in TIERS:
        name = f"{prefix}-rt-{tier}"
        props = {"VpcId": ref(VPC_ID), "Tags": tags(_role_tags(v, **{"airflow:tier": tier}), Name=name)}
        out.append(resource("AWS::EC2::RouteTable", route_table_id(tier), props))
    for route in route_specs(v.get("network_idp_cidrs"), v.get("network_idp_route_target") or ""):
        key = "TransitGatewayId" if "transit_gateway_id" in route else "GatewayId"
        gateway = route.get("transit_gateway_id") or route.get("gateway_id")
        props = {
            "RouteTableId": ref(route_table_id("alb")),
            "DestinationCidrBlock": route["dest"],
            key: ref(VGW_ID) if gateway == VPN_GATEWAY else gateway,
        }
        rid = route_id("alb", route["dest"])
        out.append(resource("AWS::EC2::Route", rid, props, {key: "network_idp_route_target"}))
    return out


def _rule(rule: dict, direction: str, group: str, by_name: dict) -> dict:
    out = {"GroupId": ref(group), "IpProtocol": rule["proto"], "FromPort": rule["from_port"]}
    out |= {"ToPort": rule["to_port"], "Description": rule["rule_desc"]}
    if rule.get("group_name"):
        key = "SourceSecurityGroupId" if direction == "ingress" else "DestinationSecurityGroupId"
        out[key] = ref(by_name[rule["group_name"]])
    elif rule.get("ip_prefix"):
        key = "SourcePrefixListId" if direction == "ingress" else "DestinationPrefixListId"
        out[key] = rule["ip_prefix"]
    elif ":" in rule["cidr_ip"]:
        out["CidrIpv6"] = rule["cidr_ip"]
    else:
        out["CidrIp"] = rule["cidr_ip"]
    return out


def _security_groups(v: dict) -> list[dict]:
    """Each group, then each of its rules as a resource of its own: groups refer to each other, and
    the role too creates the groups first and wires their rules after."""
    prefix = v["network_name_prefix"]
    table = v["network_security_groups"]
    by_name = {f"{prefix}-{short}": sg_id(short) for short in table}
    specs = security_group_specs(table, prefix, {"s3": S3_PREFIX_LIST})
    groups, rules = [], []
    for spec, group in zip(specs, security_group_args(specs, _role_tags(v)), strict=True):
        gid = sg_id(spec["short"])
        props = {
            "GroupName": group["name"],
            "GroupDescription": group["description"],
            "VpcId": ref(VPC_ID),
            "Tags": tags(group["tags"]),
        }
        sources = {"GroupDescription": "network_security_groups", "GroupName": "airflow_project"}
        groups.append(resource("AWS::EC2::SecurityGroup", gid, props, sources))
        # Exactly what is listed: the role revokes AWS's default allow-all egress rule.
        for direction, key in (("ingress", "rules"), ("egress", "rules_egress")):
            rtype = f"AWS::EC2::SecurityGroup{direction.capitalize()}"
            for rule in group[key]:
                # By its description, unique by construction: the live account names it alike.
                rid = sg_rule_id(rule["rule_desc"])
                rules.append(
                    resource(
                        rtype,
                        rid,
                        _rule(rule, direction, gid, by_name),
                        {"Description": "network_security_groups"},
                    )
                )
    return groups + rules


def network_resources(v: dict) -> list[dict]:
    vpc = {
        "CidrBlock": v["network_vpc_cidr"],
        "EnableDnsSupport": bool(v["network_enable_dns_support"]),
        "EnableDnsHostnames": bool(v["network_enable_dns_hostnames"]),
        "Tags": tags(_role_tags(v), Name=layer_names(v["network_name_prefix"])["vpc"]),
    }
    out = [resource("AWS::EC2::VPC", VPC_ID, vpc, {"CidrBlock": "network_vpc_cidr"})]
    return out + _subnets(v) + _routing(v) + _security_groups(v) + _flow_logs(v)


FLOW_LOG_GROUP_ID = log_group_id("flow-logs")
FLOW_LOG_ROLE_ID = role_id("flow-logs")


def _flow_log_role(v: dict) -> dict:
    """tasks/flow_logs.yml's delivery role, from the same filter."""
    return flow_log_role(
        {
            "name": v["network_flow_logs_role_name"],
            "log_group_name": v["network_flow_logs_log_group_name"],
            "region": v["airflow_region"],
            "account_id": v.get("airflow_account_id") or PLAN_ACCOUNT,
            "tags": _role_tags(v, **{"airflow:component": "flow-logs"}),
        }
    )


def _flow_logs(v: dict) -> list[dict]:
    """tasks/flow_logs.yml: the encrypted group, the delivery role, the flow log of ALL traffic."""
    role = _flow_log_role(v)
    component = _role_tags(v, **{"airflow:component": "flow-logs"})
    group = {
        "LogGroupName": v["network_flow_logs_log_group_name"],
        "KmsKeyId": get_att(key_id("logs"), "Arn"),
        "RetentionInDays": int(v["network_flow_logs_retention_days"]),
        "Tags": tags(component),
    }
    role_props = {
        "RoleName": role["name"],
        "Path": "/",
        "Description": role["description"],
        "AssumeRolePolicyDocument": role["assume_role_policy"],
        "Policies": [{"PolicyName": n, "PolicyDocument": d} for n, d in role["inline_policies"].items()],
        "Tags": tags(role["tags"]),
    }
    flow = {
        "ResourceId": ref(VPC_ID),
        "ResourceType": "VPC",
        "TrafficType": v["network_flow_logs_traffic_type"],
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": ref(FLOW_LOG_GROUP_ID),
        "DeliverLogsPermissionArn": get_att(FLOW_LOG_ROLE_ID, "Arn"),
        "MaxAggregationInterval": int(v["network_flow_logs_max_aggregation_interval"]),
        "Tags": tags(component, Name=v["network_flow_logs_log_group_name"]),
    }
    return [
        resource(
            "AWS::Logs::LogGroup",
            FLOW_LOG_GROUP_ID,
            group,
            {
                "LogGroupName": "network_flow_logs_log_group_name",
                "RetentionInDays": "network_flow_logs_retention_days",
            },
        ),
        resource("AWS::IAM::Role", FLOW_LOG_ROLE_ID, role_props, {"RoleName": "network_flow_logs_role_name"}),
        resource("AWS::EC2::FlowLog", FLOW_LOG_ID, flow, {"TrafficType": "network_flow_logs_traffic_type"}),
    ]


def network_policies(v: dict) -> list[dict]:
    """The flow-log delivery role's trust and inline policy."""
    role = _flow_log_role(v)
    out = [{"name": role["name"], "kind": "trust", "document": role["assume_role_policy"]}]
    return out + [{"name": n, "kind": "identity", "document": d} for n, d in role["inline_policies"].items()]


# --- Terraform (hashicorp/aws v5) -------------------------------------------------------------


def _vpc(res: dict) -> list:
    p = res["properties"]
    values = {
        "cidr_block": p.get("CidrBlock"),
        "enable_dns_support": p.get("EnableDnsSupport", True),
        "enable_dns_hostnames": p.get("EnableDnsHostnames", False),
        "tags": tf_tags(p.get("Tags")),
    }
    # The role empties the VPC's default security group (CIS 5.4): no rule in either direction.
    default_sg = {"vpc_id": tf_ref({"Ref": res["id"]}), "ingress": [], "egress": []}
    return [("aws_vpc", "", values), ("aws_default_security_group", "Default", default_sg)]


def _subnet(res: dict) -> list:
    p = res["properties"]
    values = {
        "vpc_id": tf_ref(p.get("VpcId")),
        "cidr_block": p.get("CidrBlock"),
        "availability_zone": p.get("AvailabilityZone"),
        "map_public_ip_on_launch": p.get("MapPublicIpOnLaunch", False),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_subnet", "", values)]


def _association(res: dict) -> list:
    p = res["properties"]
    values = {"subnet_id": tf_ref(p.get("SubnetId")), "route_table_id": tf_ref(p.get("RouteTableId"))}
    return [("aws_route_table_association", "", values)]


def _route_table(res: dict) -> list:
    p = res["properties"]
    return [("aws_route_table", "", {"vpc_id": tf_ref(p.get("VpcId")), "tags": tf_tags(p.get("Tags"))})]


def _route(res: dict) -> list:
    p = res["properties"]
    values = {
        "route_table_id": tf_ref(p.get("RouteTableId")),
        "destination_cidr_block": p.get("DestinationCidrBlock"),
        "destination_ipv6_cidr_block": p.get("DestinationIpv6CidrBlock"),
        "gateway_id": tf_ref(p.get("GatewayId")),
        "transit_gateway_id": tf_ref(p.get("TransitGatewayId")),
        "nat_gateway_id": tf_ref(p.get("NatGatewayId")),
    }
    return [("aws_route", "", {k: val for k, val in values.items() if val is not None})]


def _vgw(res: dict) -> list:
    p = res["properties"]
    return [("aws_vpn_gateway", "", {"type": p.get("Type"), "tags": tf_tags(p.get("Tags"))})]


def _vgw_attachment(res: dict) -> list:
    p = res["properties"]
    values = {"vpc_id": tf_ref(p.get("VpcId")), "vpn_gateway_id": tf_ref(p.get("VpnGatewayId"))}
    return [("aws_vpn_gateway_attachment", "", values)]


def _security_group(res: dict) -> list:
    p = res["properties"]
    group = {
        "name": p.get("GroupName"),
        "description": p.get("GroupDescription"),
        "vpc_id": tf_ref(p.get("VpcId")),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_security_group", "", group)]


def _tf_rule(res: dict, direction: str) -> list:
    p = res["properties"]
    peer = p.get("SourceSecurityGroupId") or p.get("DestinationSecurityGroupId")
    prefix_list = p.get("SourcePrefixListId") or p.get("DestinationPrefixListId")
    values = {
        "type": direction,
        "security_group_id": tf_ref(p.get("GroupId")),
        "protocol": p.get("IpProtocol"),
        "from_port": p.get("FromPort"),
        "to_port": p.get("ToPort"),
        "description": p.get("Description"),
        "cidr_blocks": [p["CidrIp"]] if p.get("CidrIp") else None,
        "ipv6_cidr_blocks": [p["CidrIpv6"]] if p.get("CidrIpv6") else None,
        "prefix_list_ids": [tf_ref(prefix_list)] if prefix_list else None,
        "source_security_group_id": tf_ref(peer) if peer else None,
    }
    return [("aws_security_group_rule", "", values)]


TERRAFORM = {
    "AWS::EC2::FlowLog": tf_flow_log,
    "AWS::EC2::VPC": _vpc,
    "AWS::EC2::Subnet": _subnet,
    "AWS::EC2::SubnetRouteTableAssociation": _association,
    "AWS::EC2::RouteTable": _route_table,
    "AWS::EC2::Route": _route,
    "AWS::EC2::VPNGateway": _vgw,
    "AWS::EC2::VPCGatewayAttachment": _vgw_attachment,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::SecurityGroupIngress": lambda res: _tf_rule(res, "ingress"),
    "AWS::EC2::SecurityGroupEgress": lambda res: _tf_rule(res, "egress"),
}
