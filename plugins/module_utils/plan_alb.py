# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The alb role's resources in the plan (:mod:`plan_model`), from the inventory alone.

What the role sends, read from the same places its tasks read: the role's variables
(``roles/alb/tasks/alb.yml``), the listeners' actions from ``plugins/filter/alb.py``
(``https_default_actions``, ``execution_api_listener``) put in the shape the ``elb_listener``
module sends them (``module_utils/elb_listener.py``: ``normalise_actions``, ``with_secret``,
``request_conditions``). The ALB security group and subnets are the network layer's, the OIDC
client secret the data layer's: referenced, not rendered here.
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.filter.alb import (
    access_log_bucket_policy,
    execution_api_listener,
    https_default_actions,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.elb_listener import (
    normalise_actions,
    normalise_conditions,
    request_conditions,
    with_secret,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALB_ID,
    PLAN_ACCOUNT,
    TARGET_GROUP_ID,
    VPC_ID,
    bucket_id,
    logical_id,
    ref,
    resource,
    sg_id,
    subnet_id,
    tags,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import tf_ref, tf_tags
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy_documents import (
    PUBLIC_ACCESS_BLOCKED,
)

CERTIFICATE_ID = "AlbCertificate"
ACCESS_LOGS_BUCKET_ID = bucket_id("alb-logs")
EXPIRE_ACCESS_LOGS_RULE = "expire-alb-access-logs"  # tasks/alb.yml's s3_lifecycle rule_id
HTTPS_LISTENER_ID = "AlbListenerHttps"
EXECUTION_LISTENER_ID = "AlbListenerExecutionApi"


def _tags(v: dict, **extra: str) -> list[dict]:
    return tags(v.get("alb_tags"), **{"airflow:env": v["airflow_env"], "airflow:component": "alb", **extra})


def _bool(value) -> str:
    return "true" if str(value).strip().lower() in ("true", "yes", "1", "on") else "false"


def listener_input(v: dict) -> dict:
    """``alb_listener_input`` of roles/alb/tasks/main.yml, the target group a planned reference."""
    return {
        "target_group_arn": ref(TARGET_GROUP_ID),
        "oidc_enabled": v["alb_oidc_enabled"],
        "issuer": v["alb_oidc_issuer"],
        "authorization_endpoint": v["alb_oidc_authorization_endpoint"],
        "token_endpoint": v["alb_oidc_token_endpoint"],
        "user_info_endpoint": v["alb_oidc_user_info_endpoint"],
        "client_id": v["alb_oidc_client_id"],
        "scope": v["alb_oidc_scope"],
        "session_timeout": v["alb_oidc_session_timeout"],
        "execution_api_path": v["alb_execution_api_path"],
    }


def certificate_arn(v: dict):
    """``alb_certificate``: the given ARN, or the certificate the role imports (local runs)."""
    return v.get("alb_certificate_arn") or ref(CERTIFICATE_ID)


def _cfn_actions(actions: list) -> list:
    """API actions in CloudFormation's shape (SessionTimeout is a string there)."""
    for action in actions:
        oidc = action.get("AuthenticateOidcConfig")
        if oidc and "SessionTimeout" in oidc:
            oidc["SessionTimeout"] = str(oidc["SessionTimeout"])
    return actions


def _client_secret(v: dict) -> str:
    # The elb_listener module reads the secret from Secrets Manager itself; CloudFormation's
    # equivalent is a dynamic reference (the value never appears in the plan).
    return "{{resolve:secretsmanager:" + v["alb_oidc_client_secret_name"] + ":SecretString}}"


def _load_balancer(v: dict) -> dict:
    zones = v["network_availability_zones"]
    attributes = {
        "idle_timeout.timeout_seconds": str(int(v["alb_idle_timeout"])),
        "deletion_protection.enabled": _bool(v["alb_deletion_protection"]),
        "routing.http2.enabled": _bool(v["alb_http2"]),
        "routing.http.drop_invalid_header_fields.enabled": _bool(v["alb_drop_invalid_header_fields"]),
        "access_logs.s3.enabled": _bool(v["alb_access_logs_enabled"]),
    }
    if _bool(v["alb_access_logs_enabled"]) == "true":
        attributes["access_logs.s3.bucket"] = v["alb_access_logs_bucket_name"]
        attributes["access_logs.s3.prefix"] = v["alb_access_logs_prefix"]
    return resource(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        ALB_ID,
        {
            "Name": v["alb_name"],
            "Type": "application",
            "Scheme": "internal",
            "IpAddressType": "ipv4",
            "Subnets": [ref(subnet_id("alb", zone)) for zone in zones],
            "SecurityGroups": [ref(sg_id("alb"))],
            "LoadBalancerAttributes": [{"Key": k, "Value": val} for k, val in attributes.items()],
            "Tags": _tags(v, Name=v["alb_name"]),
        },
        {
            "Name": "alb_name",
            "Subnets": "network_availability_zones",
            "LoadBalancerAttributes": "alb_idle_timeout, alb_deletion_protection, alb_http2, "
            "alb_drop_invalid_header_fields, alb_access_logs_*",
            "Tags": "alb_tags",
        },
    )


def _target_group(v: dict) -> dict:
    attributes = {
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": str(int(v["alb_stickiness_duration"])),
        "deregistration_delay.timeout_seconds": str(int(v["alb_deregistration_delay"])),
    }
    return resource(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        TARGET_GROUP_ID,
        {
            "Name": v["alb_target_group_name"],
            "Protocol": "HTTPS",
            "Port": int(v["alb_target_port"]),
            "VpcId": ref(VPC_ID),
            "TargetType": "ip",
            "HealthCheckEnabled": True,
            "HealthCheckProtocol": "HTTPS",
            "HealthCheckPort": "traffic-port",
            "HealthCheckPath": v["alb_health_check_path"],
            "HealthCheckIntervalSeconds": int(v["alb_health_check_interval"]),
            "HealthCheckTimeoutSeconds": int(v["alb_health_check_timeout"]),
            "HealthyThresholdCount": int(v["alb_healthy_threshold"]),
            "UnhealthyThresholdCount": int(v["alb_unhealthy_threshold"]),
            "Matcher": {"HttpCode": str(v["alb_health_check_matcher"])},
            "TargetGroupAttributes": [{"Key": k, "Value": val} for k, val in attributes.items()],
            "Tags": _tags(v, Name=v["alb_target_group_name"]),
        },
        {
            "Name": "alb_target_group_name",
            "Port": "alb_target_port",
            "HealthCheckPath": "alb_health_check_path",
            "Matcher": "alb_health_check_matcher",
            "TargetGroupAttributes": "alb_stickiness_duration, alb_deregistration_delay",
        },
    )


def _certificate(v: dict) -> dict:
    # Imported (self-signed, local runs): CloudFormation has no import resource, so the
    # certificate is rendered by what ACM holds for it - its domain name and tags.
    return resource(
        "AWS::CertificateManager::Certificate",
        CERTIFICATE_ID,
        {"DomainName": v["alb_domain_name"], "Tags": _tags(v, Name=layer_names(v["alb_name_prefix"])["alb"])},
        {"DomainName": "alb_domain_name (self-signed, imported: alb_self_signed_certificate)"},
    )


def _listeners(v: dict) -> list[dict]:
    cfg = listener_input(v)
    secret = _client_secret(v) if v["alb_oidc_enabled"] else None
    https = {
        "LoadBalancerArn": ref(ALB_ID),
        "Port": 443,
        "Protocol": "HTTPS",
        "SslPolicy": v["alb_ssl_policy"],
        "Certificates": [{"CertificateArn": certificate_arn(v)}],
        "DefaultActions": _cfn_actions(with_secret(normalise_actions(https_default_actions(cfg)), secret)),
        "Tags": _tags(v),
    }
    execution = execution_api_listener(cfg)
    port = int(v["alb_execution_api_port"])
    out = [
        resource(
            "AWS::ElasticLoadBalancingV2::Listener",
            HTTPS_LISTENER_ID,
            https,
            {
                "SslPolicy": "alb_ssl_policy",
                "Certificates": "alb_certificate_arn",
                "DefaultActions": "alb_oidc_*",
            },
        ),
        resource(
            "AWS::ElasticLoadBalancingV2::Listener",
            EXECUTION_LISTENER_ID,
            {
                "LoadBalancerArn": ref(ALB_ID),
                "Port": port,
                "Protocol": "HTTPS",
                "SslPolicy": v["alb_ssl_policy"],
                "Certificates": [{"CertificateArn": certificate_arn(v)}],
                "DefaultActions": _cfn_actions(normalise_actions(execution["default_actions"])),
                "Tags": _tags(v),
            },
            {"Port": "alb_execution_api_port", "SslPolicy": "alb_ssl_policy"},
        ),
    ]
    for rule in execution["rules"]:
        out.append(
            resource(
                "AWS::ElasticLoadBalancingV2::ListenerRule",
                logical_id(EXECUTION_LISTENER_ID, "rule", str(rule["priority"])),
                {
                    "ListenerArn": ref(EXECUTION_LISTENER_ID),
                    "Priority": int(rule["priority"]),
                    "Conditions": request_conditions(normalise_conditions(rule["conditions"])),
                    "Actions": _cfn_actions(normalise_actions(rule["actions"])),
                },
                {"Conditions": "alb_execution_api_path"},
            )
        )
    return out


def _access_log_bucket(v: dict) -> list[dict]:
    """tasks/alb.yml's access-log bucket, its lifecycle and its policy."""
    if _bool(v["alb_access_logs_enabled"]) != "true":
        return []
    name = v["alb_access_logs_bucket_name"]
    policy = access_log_bucket_policy(
        name, v["alb_access_logs_prefix"], v["airflow_region"], v.get("airflow_account_id") or PLAN_ACCOUNT
    )
    properties = {
        "BucketName": name,
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "PublicAccessBlockConfiguration": dict(PUBLIC_ACCESS_BLOCKED),
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "Id": EXPIRE_ACCESS_LOGS_RULE,
                    "Status": "Enabled",
                    "Prefix": "",
                    "ExpirationInDays": int(v["alb_access_logs_expiration_days"]),
                }
            ]
        },
        "Tags": _tags(v, **{"airflow:component": "alb-logs"}),
    }
    sources = {
        "BucketName": "alb_access_logs_bucket_name",
        "LifecycleConfiguration": "alb_access_logs_expiration_days",
    }
    return [
        resource("AWS::S3::Bucket", ACCESS_LOGS_BUCKET_ID, properties, sources),
        resource(
            "AWS::S3::BucketPolicy",
            logical_id("bucket", "alb-logs", "policy"),
            {"Bucket": ref(ACCESS_LOGS_BUCKET_ID), "PolicyDocument": policy},
            {"Bucket": "alb_access_logs_bucket_name", "PolicyDocument": "alb_access_logs_prefix"},
        ),
    ]


def alb_resources(v: dict) -> list[dict]:
    out = [*_access_log_bucket(v), _load_balancer(v), _target_group(v)]
    if not v.get("alb_certificate_arn") and v.get("alb_self_signed_certificate"):
        out.append(_certificate(v))
    return out + _listeners(v)


def alb_policies(v: dict) -> list[dict]:
    """The access-log bucket's policy (the OIDC client secret is read, not granted)."""
    return [
        {"name": r["id"], "kind": "resource", "document": r["properties"]["PolicyDocument"]}
        for r in _access_log_bucket(v)
        if r["type"] == "AWS::S3::BucketPolicy"
    ]


# ---- Terraform (hashicorp/aws v5) ----


def _attributes(items: list | None) -> dict:
    return {a["Key"]: a["Value"] for a in items or []}


def _flag(value) -> bool | None:
    return None if value is None else str(value).lower() == "true"


def _number(value) -> int | None:
    return None if value is None else int(value)


def _drop_none(values: dict) -> dict:
    return {k: val for k, val in values.items() if val is not None}


def tf_load_balancer(res: dict) -> list:
    props = res["properties"]
    attrs = _attributes(props.get("LoadBalancerAttributes"))
    values = {
        "name": props.get("Name"),
        "internal": props.get("Scheme", "internet-facing") == "internal",
        "load_balancer_type": props.get("Type", "application"),
        "ip_address_type": props.get("IpAddressType"),
        "subnets": tf_ref(props.get("Subnets") or []),
        "security_groups": tf_ref(props.get("SecurityGroups") or []),
        "idle_timeout": _number(attrs.get("idle_timeout.timeout_seconds")),
        "enable_deletion_protection": _flag(attrs.get("deletion_protection.enabled")),
        "enable_http2": _flag(attrs.get("routing.http2.enabled")),
        "drop_invalid_header_fields": _flag(attrs.get("routing.http.drop_invalid_header_fields.enabled")),
        "desync_mitigation_mode": attrs.get("routing.http.desync_mitigation_mode"),
        "tags": tf_tags(props.get("Tags")),
    }
    if "access_logs.s3.enabled" in attrs:
        values["access_logs"] = [
            {
                "enabled": _flag(attrs["access_logs.s3.enabled"]),
                "bucket": attrs.get("access_logs.s3.bucket", ""),
                "prefix": attrs.get("access_logs.s3.prefix", ""),
            }
        ]
    return [("aws_lb", "", _drop_none(values))]


def tf_target_group(res: dict) -> list:
    props = res["properties"]
    attrs = _attributes(props.get("TargetGroupAttributes"))
    health = {
        "enabled": props.get("HealthCheckEnabled", True),
        "protocol": props.get("HealthCheckProtocol"),
        "port": props.get("HealthCheckPort"),
        "path": props.get("HealthCheckPath"),
        "interval": props.get("HealthCheckIntervalSeconds"),
        "timeout": props.get("HealthCheckTimeoutSeconds"),
        "healthy_threshold": props.get("HealthyThresholdCount"),
        "unhealthy_threshold": props.get("UnhealthyThresholdCount"),
        "matcher": (props.get("Matcher") or {}).get("HttpCode"),
    }
    values = {
        "name": props.get("Name"),
        "port": props.get("Port"),
        "protocol": props.get("Protocol"),
        "target_type": props.get("TargetType"),
        "vpc_id": tf_ref(props.get("VpcId")),
        "deregistration_delay": attrs.get("deregistration_delay.timeout_seconds"),
        "health_check": [_drop_none(health)],
        "tags": tf_tags(props.get("Tags")),
    }
    if "stickiness.enabled" in attrs:
        values["stickiness"] = [
            _drop_none(
                {
                    "enabled": _flag(attrs["stickiness.enabled"]),
                    "type": attrs.get("stickiness.type"),
                    "cookie_duration": _number(attrs.get("stickiness.lb_cookie.duration_seconds")),
                }
            )
        ]
    return [("aws_lb_target_group", "", _drop_none(values))]


_OIDC_TF = {
    "Issuer": "issuer",
    "AuthorizationEndpoint": "authorization_endpoint",
    "TokenEndpoint": "token_endpoint",
    "UserInfoEndpoint": "user_info_endpoint",
    "ClientId": "client_id",
    "Scope": "scope",
    "SessionCookieName": "session_cookie_name",
    "SessionTimeout": "session_timeout",
    "OnUnauthenticatedRequest": "on_unauthenticated_request",
}


def tf_action(action: dict) -> dict:
    """One CloudFormation/API action as a Terraform ``default_action`` / ``action`` block (the
    client secret left out: sensitive in Terraform, and never in the plan)."""
    out = {"type": action.get("Type"), "order": action.get("Order")}
    if action.get("TargetGroupArn"):
        out["target_group_arn"] = tf_ref(action["TargetGroupArn"], "arn")
    forward = action.get("ForwardConfig")
    if forward:
        sticky = forward.get("TargetGroupStickinessConfig") or {}
        out["forward"] = [
            {
                "target_group": [
                    {"arn": tf_ref(g.get("TargetGroupArn"), "arn"), "weight": g.get("Weight", 1)}
                    for g in forward.get("TargetGroups") or []
                ],
                "stickiness": [
                    _drop_none(
                        {"enabled": bool(sticky.get("Enabled")), "duration": sticky.get("DurationSeconds")}
                    )
                ],
            }
        ]
    oidc = action.get("AuthenticateOidcConfig")
    if oidc:
        block = {tf: oidc[cfn] for cfn, tf in _OIDC_TF.items() if cfn in oidc}
        if "session_timeout" in block:
            block["session_timeout"] = int(block["session_timeout"])
        out["authenticate_oidc"] = [block]
    redirect = action.get("RedirectConfig")
    if redirect:
        keys = ("Protocol", "Port", "Host", "Path", "Query", "StatusCode")
        out["redirect"] = [
            _drop_none({k.lower().replace("statuscode", "status_code"): redirect.get(k) for k in keys})
        ]
    fixed = action.get("FixedResponseConfig")
    if fixed:
        out["fixed_response"] = [
            _drop_none(
                {
                    "status_code": fixed.get("StatusCode"),
                    "content_type": fixed.get("ContentType"),
                    "message_body": fixed.get("MessageBody"),
                }
            )
        ]
    return _drop_none(out)


def tf_listener(res: dict) -> list:
    props = res["properties"]
    certificates = props.get("Certificates") or []
    values = {
        "load_balancer_arn": tf_ref(props.get("LoadBalancerArn"), "arn"),
        "port": props.get("Port"),
        "protocol": props.get("Protocol"),
        "ssl_policy": props.get("SslPolicy"),
        "certificate_arn": tf_ref(certificates[0].get("CertificateArn"), "arn") if certificates else None,
        "default_action": [tf_action(a) for a in props.get("DefaultActions") or []],
        "tags": tf_tags(props.get("Tags")),
    }
    return [("aws_lb_listener", "", _drop_none(values))]


_CONDITION_TF = {
    "path-pattern": ("PathPatternConfig", "path_pattern"),
    "host-header": ("HostHeaderConfig", "host_header"),
    "http-request-method": ("HttpRequestMethodConfig", "http_request_method"),
    "source-ip": ("SourceIpConfig", "source_ip"),
}


def _tf_condition(condition: dict) -> dict:
    field = condition.get("Field")
    if field in _CONDITION_TF:
        config, block = _CONDITION_TF[field]
        values = (condition.get(config) or {}).get("Values") or condition.get("Values") or []
        return {block: [{"values": list(values)}]}
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        return {
            "http_header": [
                {"http_header_name": config.get("HttpHeaderName"), "values": config.get("Values") or []}
            ]
        }
    if field == "query-string":
        pairs = (condition.get("QueryStringConfig") or {}).get("Values") or []
        return {"query_string": [{"key": p.get("Key"), "value": p.get("Value")} for p in pairs]}
    return {}


def tf_listener_rule(res: dict) -> list:
    props = res["properties"]
    values = {
        "listener_arn": tf_ref(props.get("ListenerArn"), "arn"),
        "priority": props.get("Priority"),
        "action": [tf_action(a) for a in props.get("Actions") or []],
        "condition": [_tf_condition(c) for c in props.get("Conditions") or []],
        "tags": tf_tags(props.get("Tags")),
    }
    return [("aws_lb_listener_rule", "", _drop_none(values))]


def tf_certificate(res: dict) -> list:
    props = res["properties"]
    values = {
        "domain_name": props.get("DomainName"),
        "subject_alternative_names": props.get("SubjectAlternativeNames"),
        "validation_method": props.get("ValidationMethod"),
        "tags": tf_tags(props.get("Tags")),
    }
    if props.get("CertificateTransparencyLoggingPreference"):
        values["options"] = [
            {"certificate_transparency_logging_preference": props["CertificateTransparencyLoggingPreference"]}
        ]
    return [("aws_acm_certificate", "", _drop_none(values))]


TERRAFORM = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": tf_load_balancer,
    "AWS::ElasticLoadBalancingV2::TargetGroup": tf_target_group,
    "AWS::ElasticLoadBalancingV2::Listener": tf_listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": tf_listener_rule,
    "AWS::CertificateManager::Certificate": tf_certificate,
}
