# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The names the roles give what they build, from one name prefix (``<project>-<env>``).

One place for the naming convention: the role that creates a resource and every later role,
playbook and plan builder that finds it take the name from here (filter
``pathwai.airflow_ecs.airflow_names``), never by writing ``<prefix>-alb`` again.
"""

from __future__ import annotations

PATTERNS = {
    "vpc": "{p}-vpc",
    "idp_gateway": "{p}-idp-vgw",
    "flow_logs_group": "/vpc/{p}-flow-logs",
    "flow_logs_role": "{p}-flow-logs",
    "flow_log": "{p}-flow-logs",
    "db": "{p}-db",
    "rds_monitoring_role": "{p}-rds-monitoring",
    "redis": "{p}-redis",
    "dags_file_system": "{p}-dags",
    "access_point": "{p}-airflow",
    "dag_events_queue": "{p}-dag-events",
    "dag_events_dlq": "{p}-dag-events-dlq",
    "alb": "{p}-alb",
    "target_group": "{p}-api",
    "cluster": "{p}",
    "service_prefix": "{p}-",
    "exec_log_group": "/ecs/{p}-exec",
    "alert_topic": "{p}-alerts",
}


def names(prefix: str) -> dict:
    """Every name of :data:`PATTERNS` for ``prefix``."""
    return {key: pattern.format(p=prefix) for key, pattern in PATTERNS.items()}
