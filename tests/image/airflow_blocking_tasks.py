"""Imported by the real ``airflow celery worker`` in the e2e test (``[celery] extra_celery_config``
``{"imports": [...]}``): one task on Airflow's own Celery app that blocks until a file appears."""

from __future__ import annotations

import time
from pathlib import Path

from airflow.providers.celery.executors.celery_executor_utils import app


@app.task(name="wait_for_file")
def wait_for_file(path: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.05)
    return "released"
