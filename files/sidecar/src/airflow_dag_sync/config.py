"""Configuration from the environment (the container's task-definition ``environment``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DEST = "/opt/airflow/dags"
DEFAULT_HEALTH_FILE = "/tmp/airflow-dag-sync.health"  # noqa: S108 - container-local, documented
STATE_DIR_NAME = ".dag-sync"
STRAY_POLICIES = ("delete", "keep")


class ConfigError(ValueError):
    """The environment does not describe a runnable configuration (exit 1)."""


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be >= {minimum}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    value = _float(env, name, default, minimum)
    if value != int(value):
        raise ConfigError(f"{name}={env.get(name)!r} must be an integer")
    return int(value)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (true/false)")


@dataclass(frozen=True)
class Config:
    """Every setting of the program. ``from_env`` documents the variable for each."""

    bucket: str
    prefix: str  # always ends with "/"
    environment: str  # the metric dimension
    dest: Path
    state_dir: Path
    interval: float = 30.0
    jitter: float = 10.0
    backoff_after: int = 5
    backoff_min: float = 60.0
    backoff_max: float = 90.0
    max_delete_fraction: float = 0.5
    workers: int = 8
    stray_policy: str = "delete"
    reconcile_interval: float = 300.0
    auth_failures_before_exit: int = 3
    health_file: Path = field(default_factory=lambda: Path(DEFAULT_HEALTH_FILE))
    health_max_age: float = 300.0
    metrics: bool = True
    metric_namespace: str = "Airflow/DagSync"
    queue_url: str | None = None
    sqs_wait: int = 20
    fsync: bool = False

    @property
    def event_mode(self) -> bool:
        return bool(self.queue_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        bucket = env.get("DAGS_BUCKET", "").strip()
        if not bucket:
            raise ConfigError("DAGS_BUCKET is required")
        if bucket.startswith("s3://") or "/" in bucket:
            raise ConfigError(f"DAGS_BUCKET={bucket!r} must be a bare bucket name")

        name = env.get("ENV", "").strip()
        prefix = env.get("DAG_SYNC_PREFIX", "").strip()
        if not prefix:
            if not name:
                raise ConfigError("set ENV (prefix <ENV>/) or DAG_SYNC_PREFIX")
            prefix = name
        prefix = prefix.strip("/")
        if not prefix:
            raise ConfigError("the prefix must not be the bucket root")
        prefix += "/"
        environment = env.get("DAG_SYNC_ENVIRONMENT", "").strip() or name or prefix.rstrip("/")

        dest = Path(env.get("DAG_SYNC_DEST", "").strip() or DEFAULT_DEST)
        if not dest.is_absolute():
            raise ConfigError(f"DAG_SYNC_DEST={str(dest)!r} must be an absolute path")
        state_dir = Path(env.get("DAG_SYNC_STATE_DIR", "").strip() or dest / STATE_DIR_NAME)

        interval = _float(env, "DAG_SYNC_INTERVAL", 30.0, 0.0)
        jitter = _float(env, "DAG_SYNC_JITTER", 10.0, 0.0)
        backoff_min = _float(env, "DAG_SYNC_BACKOFF_MIN", 60.0, 0.0)
        backoff_max = _float(env, "DAG_SYNC_BACKOFF_MAX", 90.0, 0.0)
        if backoff_max < backoff_min:
            raise ConfigError("DAG_SYNC_BACKOFF_MAX must be >= DAG_SYNC_BACKOFF_MIN")
        fraction = _float(env, "DAG_SYNC_MAX_DELETE_FRACTION", 0.5, 0.0)
        if fraction > 1.0:
            raise ConfigError("DAG_SYNC_MAX_DELETE_FRACTION must be between 0 and 1")
        stray = env.get("DAG_SYNC_STRAY_POLICY", "").strip().lower() or "delete"
        if stray not in STRAY_POLICIES:
            raise ConfigError(f"DAG_SYNC_STRAY_POLICY={stray!r}: use one of {', '.join(STRAY_POLICIES)}")
        queue_url = env.get("DAG_SYNC_QUEUE_URL", "").strip() or None
        reconcile = _float(env, "DAG_SYNC_RECONCILE_INTERVAL", 300.0, 0.0)
        default_health = max(300.0, 3 * backoff_max, 3 * (interval + jitter))
        if queue_url:
            default_health = max(default_health, 2 * reconcile)
        return cls(
            bucket=bucket,
            prefix=prefix,
            environment=environment,
            dest=dest,
            state_dir=state_dir,
            interval=interval,
            jitter=jitter,
            backoff_after=_int(env, "DAG_SYNC_BACKOFF_AFTER", 5, 1),
            backoff_min=backoff_min,
            backoff_max=backoff_max,
            max_delete_fraction=fraction,
            workers=_int(env, "DAG_SYNC_WORKERS", 8, 1),
            stray_policy=stray,
            reconcile_interval=reconcile,
            auth_failures_before_exit=_int(env, "DAG_SYNC_AUTH_FAILURES_BEFORE_EXIT", 3, 1),
            health_file=Path(env.get("DAG_SYNC_HEALTH_FILE", "").strip() or DEFAULT_HEALTH_FILE),
            health_max_age=_float(env, "DAG_SYNC_HEALTH_MAX_AGE", default_health, 1.0),
            metrics=_bool(env, "DAG_SYNC_METRICS", True),
            metric_namespace=env.get("DAG_SYNC_METRIC_NAMESPACE", "").strip() or "Airflow/DagSync",
            queue_url=queue_url,
            sqs_wait=_int(env, "DAG_SYNC_SQS_WAIT", 20, 0),
            fsync=_bool(env, "DAG_SYNC_FSYNC", False),
        )
