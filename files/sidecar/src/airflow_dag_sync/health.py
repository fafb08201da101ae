"""The container health check: is the health file fresher than the allowed age?

``airflow-dag-sync --health`` exits 0 when the file named by ``DAG_SYNC_HEALTH_FILE`` was
touched less than ``DAG_SYNC_HEALTH_MAX_AGE`` seconds ago, 1 otherwise. It imports no AWS
SDK, so it costs a few tens of milliseconds per probe.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from airflow_dag_sync.config import DEFAULT_HEALTH_FILE, Config, ConfigError


def touch(path: Path, status: dict) -> None:
    """Atomically replace the health file with ``status`` (its mtime is what counts)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status, default=str) + "\n")
    os.replace(tmp, path)


def check(env=None) -> int:
    env = os.environ if env is None else env
    try:
        config = Config.from_env(env)
        path, max_age = config.health_file, config.health_max_age
    except ConfigError:
        path = Path(env.get("DAG_SYNC_HEALTH_FILE") or DEFAULT_HEALTH_FILE)
        max_age = float(env.get("DAG_SYNC_HEALTH_MAX_AGE") or 300)
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        print(f"unhealthy: no health file {path}", file=sys.stderr)
        return 1
    if age > max_age:
        print(f"unhealthy: last good cycle {age:.0f}s ago (max {max_age:.0f}s)", file=sys.stderr)
        return 1
    print(f"healthy: last good cycle {age:.0f}s ago")
    return 0
