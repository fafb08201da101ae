"""A tiny Celery app for the worker test: only broker/result backend configuration.

The scale-in protection wiring is the package's own (``connect_worker_signals``), called at
import exactly as ``airflow_ecs_image.celery_config`` does. Broker: kombu's filesystem
transport under ``$PROTECT_TEST_DIR``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from airflow_ecs_image.scale_in_protection import connect_worker_signals
from celery import Celery


def build_app(root: Path) -> Celery:
    queue = root / "broker"
    for sub in ("queue", "processed", "control"):
        (queue / sub).mkdir(parents=True, exist_ok=True)
    app = Celery("protect_test")
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(queue / "queue"),
            "data_folder_out": str(queue / "queue"),
            "processed_folder": str(queue / "processed"),
            "control_folder": str(queue / "control"),  # default: ./control in the working directory
            "store_processed": False,
            "polling_interval": 0.1,
        },
        result_backend=f"file://{root / 'results'}",
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
    )
    (root / "results").mkdir(exist_ok=True)

    @app.task(name="wait_for_file")
    def wait_for_file(path: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while not Path(path).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(path)
            time.sleep(0.05)
        return "released"

    return app


if os.environ.get("PROTECT_TEST_DIR"):
    app = build_app(Path(os.environ["PROTECT_TEST_DIR"]))
    connect_worker_signals()
