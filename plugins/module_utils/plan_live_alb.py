# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live internal ALB of one environment (load balancer, api-server target group, listeners
and their rules), rendered in the plan's shape (:mod:`plan_live_base`), found by the names the
alb role gives them. The OIDC client secret is never read: the listener keeps the one it has
(``UseExistingClientSecret``)."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import Live, tags
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALB_ID,
    TARGET_GROUP_ID,
    logical_id,
)


def listener_id(port: int) -> str:
    return logical_id("alb listener", str(port))


def listener_rule_id(port: int, priority) -> str:
    return logical_id("alb listener", str(port), "rule", str(priority))


def _tags(elbv2, arn: str) -> list[dict]:
    found = elbv2.describe_tags(ResourceArns=[arn], aws_retry=True).get("TagDescriptions", [])
    return tags(found[0].get("Tags") if found else [])


def _action(action: dict) -> dict:
    out = {k: v for k, v in action.items() if k not in ("AuthenticateOidcConfig", "ForwardConfig")}
    if action.get("ForwardConfig") and not action.get("TargetGroupArn"):
        out["ForwardConfig"] = action["ForwardConfig"]
    oidc = action.get("AuthenticateOidcConfig")
    if oidc:
        oidc = {k: v for k, v in oidc.items() if k != "ClientSecret"}
        oidc["UseExistingClientSecret"] = True
        if "SessionTimeout" in oidc:
            oidc["SessionTimeout"] = str(oidc["SessionTimeout"])
        out["AuthenticateOidcConfig"] = oidc
    return out


def _condition(condition: dict) -> dict:
    out = {
        k: v
        for k, v in condition.items()
        if k != "Values" or not any(c.endswith("Config") for c in condition)
    }
    return out


def alb(live: Live) -> None:
    elbv2 = live.client("elbv2")
    name = live.scope.get("alb_name") or f"{live.prefix}-alb"
    group = live_reads.target_group(elbv2, live.scope.get("target_group_name") or f"{live.prefix}-api")
    if group is not None:
        arn = group["TargetGroupArn"]
        attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn, aws_retry=True)["Attributes"]
        props = {
            "Name": group["TargetGroupName"],
            "Protocol": group.get("Protocol"),
            "ProtocolVersion": group.get("ProtocolVersion"),
            "Port": group.get("Port"),
            "VpcId": group.get("VpcId"),
            "TargetType": group.get("TargetType"),
            "HealthCheckEnabled": group.get("HealthCheckEnabled"),
            "HealthCheckProtocol": group.get("HealthCheckProtocol"),
            "HealthCheckPort": group.get("HealthCheckPort"),
            "HealthCheckPath": group.get("HealthCheckPath"),
            "HealthCheckIntervalSeconds": group.get("HealthCheckIntervalSeconds"),
            "HealthCheckTimeoutSeconds": group.get("HealthCheckTimeoutSeconds"),
            "HealthyThresholdCount": group.get("HealthyThresholdCount"),
            "UnhealthyThresholdCount": group.get("UnhealthyThresholdCount"),
            "Matcher": group.get("Matcher"),
            "TargetGroupAttributes": [{"Key": a["Key"], "Value": a["Value"]} for a in attributes],
            "Tags": _tags(elbv2, arn),
        }
        live.add("AWS::ElasticLoadBalancingV2::TargetGroup", TARGET_GROUP_ID, props, arn)
    lb = live_reads.load_balancer(elbv2, name)
    if lb is None:
        return
    props = {
        "Name": lb["LoadBalancerName"],
        "Scheme": lb.get("Scheme"),
        "Type": lb.get("Type"),
        "IpAddressType": lb.get("IpAddressType"),
        "Subnets": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones", [])),
        "SecurityGroups": sorted(lb.get("SecurityGroups", [])),
        "LoadBalancerAttributes": [{"Key": k, "Value": v} for k, v in sorted(lb["Attributes"].items())],
        "Tags": _tags(elbv2, lb["LoadBalancerArn"]),
    }
    live.add("AWS::ElasticLoadBalancingV2::LoadBalancer", ALB_ID, props, lb["LoadBalancerArn"])
    for listener in lb["Listeners"]:
        props = {
            "LoadBalancerArn": listener["LoadBalancerArn"],
            "Port": listener["Port"],
            "Protocol": listener.get("Protocol"),
            "SslPolicy": listener.get("SslPolicy"),
            "Certificates": [
                {"CertificateArn": c["CertificateArn"]} for c in listener.get("Certificates", [])
            ],
            "DefaultActions": [_action(a) for a in listener.get("DefaultActions", [])],
        }
        port = listener["Port"]
        live.add("AWS::ElasticLoadBalancingV2::Listener", listener_id(port), props, listener["ListenerArn"])
        for rule in listener["Rules"]:
            if rule.get("IsDefault"):
                continue
            props = {
                "ListenerArn": listener["ListenerArn"],
                "Priority": int(rule["Priority"]),
                "Conditions": [_condition(c) for c in rule.get("Conditions", [])],
                "Actions": [_action(a) for a in rule.get("Actions", [])],
            }
            logical = listener_rule_id(port, rule["Priority"])
            live.add("AWS::ElasticLoadBalancingV2::ListenerRule", logical, props, rule["RuleArn"])
