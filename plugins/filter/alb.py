# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Cross-field checks of the alb role's inventory, and its listeners as data (no AWS call)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules

OIDC_ENDPOINTS = ("issuer", "authorization_endpoint", "token_endpoint", "user_info_endpoint")
# Airflow 3 removed /health (the webserver): a target group checking it never turns healthy.
DEAD_HEALTH_PATHS = ("/health", "/health/")


def _private_path_problem(cfg: dict) -> str | None:
    cidrs, target = cfg.get("idp_cidrs") or [], cfg.get("idp_route_target") or ""
    if cidrs and target:
        return None
    return (
        "alb_oidc_enabled is true but no private path to the IdP is declared (network_idp_cidrs="
        f"{cidrs!r}, network_idp_route_target={target!r}). The ALB calls the IdP's token and userinfo "
        "endpoints itself, from its own subnets; this VPC has no NAT and no internet gateway, so an "
        "internal ALB cannot reach a public IdP and every login would end in HTTP 500. Declare the IdP's "
        "private ranges in network_idp_cidrs and the transit gateway or virtual private gateway that "
        "routes to them in network_idp_route_target (or 'vpn-gateway'), or set alb_oidc_enabled: false."
    )


def _oidc_problems(cfg: dict) -> list[str]:
    problems = []
    if not cfg.get("client_id"):
        problems.append("alb_oidc_client_id is empty")
    for name in OIDC_ENDPOINTS:
        url = cfg.get(name) or ""
        parsed = urlparse(url)
        if parsed.scheme != "https" or not parsed.netloc:
            problems.append(f"alb_oidc_{name}={url!r} must be an https:// URL")
    problem = _private_path_problem(cfg)
    if problem:
        problems.append(problem)
    for cidr in cfg.get("idp_cidrs") or []:
        try:
            if ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                problems.append(f"network_idp_cidrs has {cidr!r}: an open range is not a private path")
        except ValueError:
            problems.append(f"network_idp_cidrs has {cidr!r}, which is not a CIDR block")
    return problems


def alb_problems(cfg: dict) -> list[str]:
    """Every reason the ALB inventory cannot be built; ``cfg`` keys are the variables without ``alb_``."""
    problems: list[str] = _aws_problems(cfg)
    if not str(cfg.get("ssl_policy", "")).startswith("ELBSecurityPolicy-TLS13-"):
        problems.append(
            f"alb_ssl_policy={cfg.get('ssl_policy')!r} is not a TLS 1.3 policy (ELBSecurityPolicy-TLS13-...)"
        )
    if not cfg.get("domain_name"):
        problems.append("alb_domain_name is empty: the certificate and the Task Execution API URL need it")
    if not cfg.get("certificate_arn") and not cfg.get("self_signed_certificate"):
        problems.append(
            "alb_certificate_arn is empty (set it, or alb_self_signed_certificate: true for local runs)"
        )
    if cfg.get("health_check_path") in DEAD_HEALTH_PATHS:
        problems.append(
            f"alb_health_check_path={cfg['health_check_path']!r}: Airflow 3 answers 404 there; "
            "use /api/v2/monitor/health"
        )
    if not 1 <= int(cfg.get("idle_timeout", 60)) <= 4000:
        problems.append(f"alb_idle_timeout={cfg.get('idle_timeout')} must be 1-4000 seconds")
    if int(cfg.get("execution_api_port", 8443)) == 443:
        problems.append("alb_execution_api_port must differ from 443 (the OIDC listener)")
    if cfg.get("oidc_enabled"):
        problems.extend(_oidc_problems(cfg))
    return problems


def _aws_problems(cfg: dict) -> list[str]:
    """Names (AWS's ELB name rules; when derived, said about the variable the user set) and the
    target group's health-check limits (botocore's elbv2 model)."""
    prefix = str(cfg.get("name_prefix") or "")
    root = aws_rules.prefix_links("alb", prefix, cfg.get("project", ""), cfg.get("env", ""))
    problems = []
    for name, suffix, rule in (
        ("name", "-alb", "AWS::ElasticLoadBalancingV2::LoadBalancer Name"),
        ("target_group_name", "-api", "AWS::ElasticLoadBalancingV2::TargetGroup Name"),
    ):
        value = str(cfg.get(name) or "")
        links = [{"variable": f"alb_{name}", "value": value, "default": prefix + suffix}, *root]
        problems.append(aws_rules.blame(aws_rules.name_problem(f"alb_{name}", value, rule), links))
    for variable, member in (
        ("health_check_interval", "HealthCheckIntervalSeconds"),
        ("health_check_timeout", "HealthCheckTimeoutSeconds"),
        ("healthy_threshold", "HealthyThresholdCount"),
        ("unhealthy_threshold", "UnhealthyThresholdCount"),
        ("health_check_path", "HealthCheckPath"),
    ):
        if variable in cfg:
            problems.append(
                aws_rules.api_member_problem(
                    f"alb_{variable}", cfg[variable], "elbv2", "CreateTargetGroup", member
                )
            )
    return [problem for problem in problems if problem]


def missing_idp_routes(route_tables: list, cidrs: list) -> list[str]:
    """The IdP CIDRs that some ALB route table does not send to a transit or virtual private gateway."""
    missing = []
    for cidr in cidrs:
        for table in route_tables:
            routes = [r for r in table.get("routes", []) if r.get("destination_cidr_block") == cidr]
            if not any(
                str(r.get("gateway_id") or "").startswith("vgw-") or str(r.get("transit_gateway_id") or "")
                for r in routes
            ):
                missing.append(f"{cidr} in {table.get('id') or table.get('route_table_id')}")
    return missing


def https_default_actions(cfg: dict) -> list[dict]:
    """The 443 listener: authenticate-oidc (when on) then forward to the api-server."""
    forward = {"Type": "forward", "TargetGroupArn": cfg["target_group_arn"]}
    if not cfg.get("oidc_enabled"):
        return [dict(forward, Order=1)]
    oidc = {
        "Issuer": cfg["issuer"],
        "AuthorizationEndpoint": cfg["authorization_endpoint"],
        "TokenEndpoint": cfg["token_endpoint"],
        "UserInfoEndpoint": cfg["user_info_endpoint"],
        "ClientId": cfg["client_id"],
        "Scope": cfg["scope"],
        "SessionTimeout": int(cfg["session_timeout"]),
        "OnUnauthenticatedRequest": "authenticate",
    }
    return [{"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": oidc}, dict(forward, Order=2)]


def execution_api_listener(cfg: dict) -> dict:
    """The private listener: 404 by default, the execution path forwarded without OIDC."""
    return {
        "default_actions": [
            {
                "Type": "fixed-response",
                "Order": 1,
                "FixedResponseConfig": {
                    "StatusCode": "404",
                    "ContentType": "text/plain",
                    "MessageBody": "Not found",
                },
            }
        ],
        "rules": [
            {
                "priority": 10,
                "conditions": [
                    {"Field": "path-pattern", "PathPatternConfig": {"Values": [cfg["execution_api_path"]]}}
                ],
                "actions": [{"Type": "forward", "Order": 1, "TargetGroupArn": cfg["target_group_arn"]}],
            }
        ],
    }


class FilterModule:
    def filters(self):
        return {
            "alb_problems": alb_problems,
            "missing_idp_routes": missing_idp_routes,
            "https_default_actions": https_default_actions,
            "execution_api_listener": execution_api_listener,
        }
