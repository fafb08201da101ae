# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Cross-field checks of the kms role's inventory (no AWS call)."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules

PURPOSES = ("rds", "elasticache", "efs", "logs", "s3", "secrets", "sns")


def kms_problems(cfg: dict) -> list[str]:
    """Every reason the KMS inventory cannot be built; ``cfg`` keys are the variables without ``kms_``
    (plus project and env, the roots of the alias names)."""
    problems: list[str] = []
    keys = cfg.get("keys") or {}
    missing = [purpose for purpose in PURPOSES if purpose not in keys]
    if missing:
        problems.append(f"kms_keys must define {', '.join(missing)} (has {sorted(keys)})")
    if not cfg.get("enable_key_rotation"):
        problems.append(f"kms_enable_key_rotation={cfg.get('enable_key_rotation')} must be true")
    window = aws_rules.resource_schema("AWS::KMS::Key")["properties"]["PendingWindowInDays"]
    days = cfg.get("deletion_window_days")
    if not str(days).isdigit() or not window["minimum"] <= int(days) <= window["maximum"]:
        problems.append(
            f"kms_deletion_window_days={days} must be {window['minimum']}-{window['maximum']} "
            "(AWS::KMS::Key PendingWindowInDays)"
        )
    prefix = str(cfg.get("name_prefix") or "")
    root = aws_rules.prefix_links("kms", prefix, cfg.get("project", ""), cfg.get("env", ""))
    for purpose in sorted(keys):
        problem = aws_rules.property_problem(
            f"the alias of kms_keys {purpose!r}", f"alias/{prefix}-{purpose}", "AWS::KMS::Alias", "AliasName"
        )
        if problem:
            problems.append(aws_rules.blame(problem, root))
            break
    for purpose, key in sorted(keys.items()):
        problem = aws_rules.property_problem(
            f"kms_keys.{purpose}.description",
            (key or {}).get("description", ""),
            "AWS::KMS::Key",
            "Description",
        )
        problems.extend([problem] if problem else [])
    return problems


class FilterModule:
    def filters(self):
        return {"kms_problems": kms_problems}
