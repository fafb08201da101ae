# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Cross-field checks of the data layer's inventory (no AWS call)."""

from __future__ import annotations

import ipaddress
import re

BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
EVICTING = "noeviction"


def bucket_name_problem(variable: str, name: str) -> str | None:
    """Why ``name`` is not a valid S3 bucket name (AWS's general-purpose bucket rules), or None."""
    reason = None
    if not BUCKET.match(name or ""):
        reason = "3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
    elif ".." in name or ".-" in name or "-." in name:
        reason = "no adjacent periods, and no period next to a hyphen"
    elif name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(
        ("-s3alias", "--ol-s3", "--x-s3")
    ):
        reason = "no reserved prefix or suffix (xn--, sthree-, -s3alias, --ol-s3, --x-s3)"
    else:
        try:
            ipaddress.ip_address(name)
            reason = "not formatted as an IP address"
        except ValueError:
            pass
    return f"{variable}={name!r} is not a valid S3 bucket name: {reason}" if reason else None


def data_problems(cfg: dict) -> list[str]:
    """Every reason the data inventory cannot be built; ``cfg`` keys are the variables without ``data_``."""
    problems: list[str] = []
    version = str(cfg["rds_engine_version"])
    if version not in [str(v) for v in cfg["rds_engine_versions"]]:
        problems.append(
            f"data_rds_engine_version={version!r} is not a known PostgreSQL 16 version "
            f"(one of {', '.join(map(str, cfg['rds_engine_versions']))})"
        )
    family = ".".join(str(cfg["rds_instance_class"]).split(".")[:2])
    if family not in cfg["rds_instance_families"]:
        problems.append(
            f"data_rds_instance_class={cfg['rds_instance_class']!r} is not allowed "
            f"(families: {', '.join(cfg['rds_instance_families'])})"
        )
    if str(cfg["redis_engine_version"]) not in [str(v) for v in cfg["redis_engine_versions"]]:
        problems.append(
            f"data_redis_engine_version={cfg['redis_engine_version']!r} is not a Redis 7 version "
            f"(one of {', '.join(map(str, cfg['redis_engine_versions']))})"
        )
    if str(cfg["rds_parameters"].get("rds.force_ssl", 1)) != "1":
        problems.append(
            "data_rds_parameters sets rds.force_ssl to "
            f"{cfg['rds_parameters']['rds.force_ssl']!r}: TLS to the database is required (must be 1)"
        )
    policy = cfg["redis_parameters"].get("maxmemory-policy", EVICTING)
    if policy != EVICTING:
        problems.append(
            f"data_redis_parameters sets maxmemory-policy={policy!r}: the Celery broker's keys are the "
            "queued tasks and an evicting policy drops them silently; it must be noeviction"
        )
    nodes = int(cfg["redis_num_cache_nodes"])
    if not 1 <= nodes <= 6:
        problems.append(
            f"data_redis_num_cache_nodes={nodes} must be 1 (primary only) to 6 (primary + 5 replicas)"
        )
    if cfg["redis_automatic_failover_enabled"] and nodes < 2:
        problems.append(
            f"data_redis_automatic_failover_enabled=true needs a replica (data_redis_num_cache_nodes={nodes})"
        )
    if cfg["redis_multi_az_enabled"] and not cfg["redis_automatic_failover_enabled"]:
        problems.append("data_redis_multi_az_enabled=true needs data_redis_automatic_failover_enabled=true")
    if cfg["production"]:
        if not cfg["rds_multi_az"]:
            problems.append("data_rds_multi_az=false in production: the metadata database must be Multi-AZ")
        if int(cfg["rds_backup_retention_period"]) < 7:
            problems.append(
                f"data_rds_backup_retention_period={cfg['rds_backup_retention_period']} in production: "
                "at least 7 days"
            )
        if nodes > 1 and not cfg["redis_automatic_failover_enabled"]:
            problems.append(
                f"data_redis_automatic_failover_enabled=false with {nodes - 1} replica(s) in production: "
                "replicas without failover leave the broker down when the primary fails"
            )
    if int(cfg["rds_max_allocated_storage"]) < int(cfg["rds_allocated_storage"]):
        problems.append(
            f"data_rds_max_allocated_storage={cfg['rds_max_allocated_storage']} is below "
            f"data_rds_allocated_storage={cfg['rds_allocated_storage']}"
        )
    for variable in ("dags_bucket_name", "logs_bucket_name"):
        problem = bucket_name_problem(f"data_{variable}", str(cfg[variable]))
        if problem:
            problems.append(problem)
    if cfg["efs_throughput_mode"] == "provisioned" and int(cfg["efs_provisioned_throughput_in_mibps"]) <= 0:
        problems.append(
            "data_efs_throughput_mode=provisioned needs data_efs_provisioned_throughput_in_mibps > 0"
        )
    return problems


def mount_targets(subnet_ids: list, security_groups: list) -> list[dict]:
    """One EFS mount target per subnet, each with the given security groups."""
    return [{"subnet_id": subnet, "security_groups": list(security_groups)} for subnet in subnet_ids]


def log_group_item(name_and_component, kms_key_id: str, retention: int, tags: dict) -> dict:
    """A (log group name, component) pair as a cloudwatch_log_groups entry, tagged with the component."""
    name, component = name_and_component
    return {
        "name": name,
        "kms_key_id": kms_key_id,
        "retention": int(retention),
        "tags": {**tags, "airflow:component": component},
    }


class FilterModule:
    def filters(self):
        return {
            "data_problems": data_problems,
            "mount_targets": mount_targets,
            "log_group_item": log_group_item,
        }
