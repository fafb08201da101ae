# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Cross-field checks of the alb role's inventory, and its listeners as data (no AWS call)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import bucket_name_problem
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy_documents import tls_only_statement

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
    if "access_logs_bucket_name" in cfg:
        problems.extend(_access_log_problems(cfg))
    return problems


def _access_log_problems(cfg: dict) -> list[str]:
    problems = []
    name_problem = bucket_name_problem("alb_access_logs_bucket_name", str(cfg["access_logs_bucket_name"]))
    if name_problem:
        problems.append(name_problem)
    prefix = str(cfg.get("access_logs_prefix", ""))
    if prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix:
        problems.append(
            f"alb_access_logs_prefix={prefix!r}: no leading or trailing '/', and no 'AWSLogs' (ELB adds it)"
        )
    days = str(cfg.get("access_logs_expiration_days", ""))
    if not days.isdigit() or int(days) < 1:
        problems.append(
            f"alb_access_logs_expiration_days={days!r} must be a whole number of days, at least 1"
        )
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


# The Elastic Load Balancing account that writes access logs in each Region opened before August 2022
# (AWS's "Enable access logs for your Application Load Balancer", step 2). Regions opened since write
# as the log-delivery service principal instead.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"


def access_log_bucket_policy(bucket: str, prefix: str, region: str, account: str) -> dict:
    """The ALB access-log bucket's policy: no request without TLS, and PutObject under
    ``<prefix>/AWSLogs/<account>/`` for the Region's log writer (its ELB account, or the log-delivery
    service principal in Regions opened since August 2022)."""
    writer = (
        {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[region]}:root"}
        if region in ELB_LOG_ACCOUNTS
        else {"Service": LOG_DELIVERY_PRINCIPAL}
    )
    path = f"{prefix.strip('/')}/AWSLogs/{account}/*" if prefix.strip("/") else f"AWSLogs/{account}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            tls_only_statement(bucket),
            {
                "Sid": "AlbLogDelivery",
                "Effect": "Allow",
                "Principal": writer,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/{path}",
            },
        ],
    }


class FilterModule:
    def filters(self):
        return {
            "access_log_bucket_policy": access_log_bucket_policy,
            "alb_problems": alb_problems,
            "missing_idp_routes": missing_idp_routes,
            "https_default_actions": https_default_actions,
            "execution_api_listener": execution_api_listener,
        }
