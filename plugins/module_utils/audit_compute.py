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

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.audit_live import resource


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
        found = live_reads.role(iam, name)
        if found is None:
            out.append(resource("aws_iam_role", name, {"name": name, "service": service, "missing": True}))
            continue
        statements = []
        for document in [*found["InlinePolicies"].values(), *found["AttachedPolicies"].values()]:
            statements += _statements(document)
        after = {"name": name, "arn": found.get("Arn"), "service": service, "statements": statements}
        out.append(resource("aws_iam_role", name, after))
    return out


def _container(container: dict) -> dict:
    return {
        "name": container["name"],
        "image": container.get("image"),
        "environment": [
            {"name": e["name"], "value": e.get("value", "")} for e in container.get("environment", [])
        ],
        "secrets": sorted(s["name"] for s in container.get("secrets", [])),
        "secret_arns": sorted(s["valueFrom"] for s in container.get("secrets", [])),
        "mount_points": [
            {
                "path": m.get("containerPath"),
                "volume": m.get("sourceVolume"),
                "read_only": bool(m.get("readOnly", False)),
            }
            for m in container.get("mountPoints", [])
        ],
        "readonly_root": bool(container.get("readonlyRootFilesystem", False)),
        "user": container.get("user") or "",
        "has_health_check": bool(container.get("healthCheck")),
        "log_driver": (container.get("logConfiguration") or {}).get("logDriver"),
    }


def task_definition_resources(ecs, families: dict) -> list[dict]:
    """``families``: task-definition family -> service. The latest ACTIVE revision of each."""
    out = []
    for family, service in sorted(families.items()):
        found = live_reads.task_definition(ecs, family)
        if found is None:
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
            "execution_role_arn": found.get("executionRoleArn"),
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
    lb = live_reads.load_balancer(elbv2, alb_name)
    if lb is None:
        return [resource("aws_lb", alb_name, {"name": alb_name, "missing": True})]
    out = [
        resource(
            "aws_lb",
            alb_name,
            {
                "name": alb_name,
                "scheme": lb.get("Scheme"),
                "drop_invalid_header_fields": lb["Attributes"].get(
                    "routing.http.drop_invalid_header_fields.enabled"
                ),
                "access_logs_enabled": lb["Attributes"].get("access_logs.s3.enabled"),
                "access_logs_bucket": lb["Attributes"].get("access_logs.s3.bucket"),
            },
        )
    ]
    for listener in lb["Listeners"]:
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
                for rule in listener["Rules"]
                if not rule.get("IsDefault")
            ],
        }
        out.append(resource("aws_lb_listener", f"{alb_name}:{listener['Port']}", after))
    group = live_reads.target_group(elbv2, target_group_name)
    if group is None:
        out.append(
            resource("aws_lb_target_group", target_group_name, {"name": target_group_name, "missing": True})
        )
    else:
        out.append(
            resource(
                "aws_lb_target_group",
                target_group_name,
                {
                    "name": target_group_name,
                    "arn": group["TargetGroupArn"],
                    "protocol": group.get("Protocol"),
                    "health_check_protocol": group.get("HealthCheckProtocol"),
                    "health_check_path": group.get("HealthCheckPath"),
                    "target_type": group.get("TargetType"),
                },
            )
        )
    return out


def service_resources(ecs, cluster: str, services: list[str]) -> list[dict]:
    """Each ECS service (full names) of ``cluster`` with its ECS Exec switch (``enable_execute_command``);
    a missing or inactive one is ``missing``."""
    out = []
    for start in range(0, len(services), 10):  # DescribeServices takes at most 10 names
        names = services[start : start + 10]
        found = ecs.describe_services(cluster=cluster, services=names, aws_retry=True).get("services", [])
        active = {s["serviceName"]: s for s in found if s.get("status") == "ACTIVE"}
        for name in names:
            service = active.get(name)
            after = {"id": name, "missing": True}
            if service is not None:
                after = {"id": name, "enable_execute_command": bool(service.get("enableExecuteCommand"))}
            out.append(resource("aws_ecs_service", name, after))
    return out
