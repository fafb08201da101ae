# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Read the compute layer into the audit document: IAM roles and their statements, the latest
task definition of each service, the ALB with its listeners, rules and target group.

Each item is found by the name the compute and alb roles give it; a missing one is a resource
with ``missing: true`` so the policy can name it. Values of environment variables are read so
the policy can spot literal secrets; they are never returned by the module (only findings are).
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.audit_live import resource
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(document) -> list[dict]:
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return [
        {
            "effect": s.get("Effect"),
            "actions": _as_list(s.get("Action")),
            "not_actions": _as_list(s.get("NotAction")),
            "resources": _as_list(s.get("Resource")),
            "has_condition": bool(s.get("Condition")),
        }
        for s in _as_list(document.get("Statement"))
    ]


def iam_resources(iam, role_names: dict) -> list[dict]:
    """``role_names``: role name -> the service it serves (``execution`` for the execution role)."""
    out = []
    for name, service in sorted(role_names.items()):
        try:
            iam.get_role(RoleName=name, aws_retry=True)
        except is_boto3_error_code("NoSuchEntity"):
            out.append(resource("aws_iam_role", name, {"name": name, "service": service, "missing": True}))
            continue
        statements = []
        for policy_name in paginate(iam, "list_role_policies", RoleName=name).get("PolicyNames", []):
            policy = iam.get_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)
            statements += _statements(policy["PolicyDocument"])
        attached = paginate(iam, "list_attached_role_policies", RoleName=name).get("AttachedPolicies", [])
        for policy in attached:
            meta = iam.get_policy(PolicyArn=policy["PolicyArn"], aws_retry=True)["Policy"]
            version = iam.get_policy_version(
                PolicyArn=policy["PolicyArn"], VersionId=meta["DefaultVersionId"], aws_retry=True
            )
            statements += _statements(version["PolicyVersion"]["Document"])
        out.append(
            resource("aws_iam_role", name, {"name": name, "service": service, "statements": statements})
        )
    return out


def _container(container: dict) -> dict:
    return {
        "name": container["name"],
        "image": container.get("image"),
        "environment": [
            {"name": e["name"], "value": e.get("value", "")} for e in container.get("environment", [])
        ],
        "secrets": sorted(s["name"] for s in container.get("secrets", [])),
        "mount_points": [
            {"path": m.get("containerPath"), "read_only": bool(m.get("readOnly", False))}
            for m in container.get("mountPoints", [])
        ],
        "has_health_check": bool(container.get("healthCheck")),
        "log_driver": (container.get("logConfiguration") or {}).get("logDriver"),
    }


def task_definition_resources(ecs, families: dict) -> list[dict]:
    """``families``: task-definition family -> service. The latest ACTIVE revision of each."""
    out = []
    for family, service in sorted(families.items()):
        try:
            found = ecs.describe_task_definition(taskDefinition=family, aws_retry=True)["taskDefinition"]
        except is_boto3_error_code("ClientException"):
            out.append(
                resource(
                    "aws_ecs_task_definition", family, {"family": family, "service": service, "missing": True}
                )
            )
            continue
        volumes = [
            {
                "name": v["name"],
                "transit_encryption": (v.get("efsVolumeConfiguration") or {}).get("transitEncryption"),
                "iam": ((v.get("efsVolumeConfiguration") or {}).get("authorizationConfig") or {}).get("iam"),
                "efs": "efsVolumeConfiguration" in v,
            }
            for v in found.get("volumes", [])
        ]
        after = {
            "family": family,
            "service": service,
            "revision": found.get("revision"),
            "task_role_arn": found.get("taskRoleArn"),
            "containers": [_container(c) for c in found.get("containerDefinitions", [])],
            "volumes": volumes,
        }
        out.append(resource("aws_ecs_task_definition", f"{family}:{found.get('revision')}", after))
    return out


def _action(action: dict) -> dict:
    out = {"type": action.get("Type"), "order": action.get("Order")}
    forward = action.get("TargetGroupArn") or [
        g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups", [])
    ]
    out["target_groups"] = _as_list(forward)
    return out


def _conditions(rule: dict) -> list[str]:
    paths = []
    for condition in rule.get("Conditions", []):
        if condition.get("Field") == "path-pattern":
            paths += (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
    return paths


def alb_resources(elbv2, alb_name: str, target_group_name: str) -> list[dict]:
    try:
        lb = elbv2.describe_load_balancers(Names=[alb_name], aws_retry=True)["LoadBalancers"][0]
    except is_boto3_error_code("LoadBalancerNotFound"):
        return [resource("aws_lb", alb_name, {"name": alb_name, "missing": True})]
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"], aws_retry=True
        )["Attributes"]
    }
    out = [
        resource(
            "aws_lb",
            alb_name,
            {
                "name": alb_name,
                "scheme": lb.get("Scheme"),
                "drop_invalid_header_fields": attributes.get(
                    "routing.http.drop_invalid_header_fields.enabled"
                ),
            },
        )
    ]
    listeners = paginate(elbv2, "describe_listeners", LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    for listener in listeners:
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"], aws_retry=True)["Rules"]
        after = {
            "port": listener["Port"],
            "protocol": listener.get("Protocol"),
            "ssl_policy": listener.get("SslPolicy"),
            "default_actions": sorted(
                (_action(a) for a in listener.get("DefaultActions", [])), key=lambda a: a["order"] or 0
            ),
            "rules": [
                {
                    "paths": _conditions(rule),
                    "actions": sorted(
                        (_action(a) for a in rule.get("Actions", [])), key=lambda a: a["order"] or 0
                    ),
                }
                for rule in rules
                if not rule.get("IsDefault")
            ],
        }
        out.append(resource("aws_lb_listener", f"{alb_name}:{listener['Port']}", after))
    try:
        groups = elbv2.describe_target_groups(Names=[target_group_name], aws_retry=True)["TargetGroups"]
    except is_boto3_error_code("TargetGroupNotFound"):
        groups = []
    for group in groups:
        out.append(
            resource(
                "aws_lb_target_group",
                target_group_name,
                {
                    "name": target_group_name,
                    "arn": group["TargetGroupArn"],
                    "health_check_path": group.get("HealthCheckPath"),
                    "target_type": group.get("TargetType"),
                },
            )
        )
    if not groups:
        out.append(
            resource("aws_lb_target_group", target_group_name, {"name": target_group_name, "missing": True})
        )
    return out
