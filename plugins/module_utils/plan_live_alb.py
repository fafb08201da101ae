# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live internal ALB of one environment (load balancer, api-server target group, listeners
and their rules), rendered in the plan's shape (:mod:`plan_live_base`), found by the names the
alb role gives them. The OIDC client secret is never read: the listener keeps the one it has
(``UseExistingClientSecret``)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import Live, tag, tags
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALB_ID,
    TARGET_GROUP_ID,
    logical_id,
)

CERTIFICATE_ID = "AlbCertificate"
HTTPS_LISTENER_ID = "AlbListenerHttps"
EXECUTION_LISTENER_ID = "AlbListenerExecutionApi"


def listener_id(port: int, scope: dict, ports: list[int]) -> str:
    """443 is the HTTPS listener; the Task Execution API's is ``execution_api_port`` (or, when
    not given, the only other one); any other listener is named by its port."""
    if port == 443:
        return HTTPS_LISTENER_ID
    wanted = scope.get("execution_api_port")
    if (wanted and port == int(wanted)) or (not wanted and len([p for p in ports if p != 443]) == 1):
        return EXECUTION_LISTENER_ID
    return logical_id("alb listener", str(port))


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
    name = live.scope.get("alb_name") or layer_names(live.prefix)["alb"]
    group = live_reads.target_group(
        elbv2, live.scope.get("target_group_name") or layer_names(live.prefix)["target_group"]
    )
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
        live.physical[arn.split(":", 5)[-1]] = f"{TARGET_GROUP_ID}.TargetGroupFullName"
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
    live.physical[lb["LoadBalancerArn"].split(":loadbalancer/", 1)[-1]] = f"{ALB_ID}.LoadBalancerFullName"
    ports = [listener["Port"] for listener in lb["Listeners"]]
    certificates = sorted({c["CertificateArn"] for x in lb["Listeners"] for c in x.get("Certificates", [])})
    _certificates(live, certificates)
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
            "Tags": _tags(elbv2, listener["ListenerArn"]),
        }
        logical = listener_id(listener["Port"], live.scope, ports)
        live.add("AWS::ElasticLoadBalancingV2::Listener", logical, props, listener["ListenerArn"])
        for rule in listener["Rules"]:
            if rule.get("IsDefault"):
                continue
            props = {
                "ListenerArn": listener["ListenerArn"],
                "Priority": int(rule["Priority"]),
                "Conditions": [_condition(c) for c in rule.get("Conditions", [])],
                "Actions": [_action(a) for a in rule.get("Actions", [])],
            }
            rule_id = logical_id(logical, "rule", str(rule["Priority"]))
            live.add("AWS::ElasticLoadBalancingV2::ListenerRule", rule_id, props, rule["RuleArn"])


def _certificates(live: Live, arns: list[str]) -> None:
    """A certificate the alb role imported (``alb_self_signed_certificate``, tagged with the
    environment) is rendered as the plan renders it; one issued elsewhere stays an ARN."""
    acm = live.client("acm")
    for arn in arns:
        try:
            found = acm.describe_certificate(CertificateArn=arn, aws_retry=True)["Certificate"]
        except is_boto3_error_code("ResourceNotFoundException"):
            continue
        found_tags = acm.list_tags_for_certificate(CertificateArn=arn, aws_retry=True).get("Tags", [])
        if found.get("Type") != "IMPORTED" or tag(found_tags, "airflow:env") != live.scope["env"]:
            continue
        props = {"DomainName": found["DomainName"], "Tags": tags(found_tags)}
        live.add("AWS::CertificateManager::Certificate", CERTIFICATE_ID, props, arn)
