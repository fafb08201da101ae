"""CloudWatch metrics, published from a background thread so a slow or missing
``monitoring`` endpoint never delays a sync.

Namespace ``Airflow/DagSync`` (``DAG_SYNC_METRIC_NAMESPACE``), dimension
``Environment=<ENV>``:

- ``SyncLagSeconds``: seconds between the start of this cycle and the last moment the tree
  was known to match S3 (start of the last good listing; in event mode also the last
  successful queue poll). Steady state ~ interval + jitter; grows while S3 fails or a plan
  is refused. Published by every full cycle and event batch.
- ``PickupLatencySeconds``: for cycles that installed files, the largest
  (install time - S3 LastModified): how long a put took to become visible.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time

from airflow_dag_sync.log import log

LAG = "SyncLagSeconds"
PICKUP = "PickupLatencySeconds"
_STOP = object()


class MetricsPublisher:
    def __init__(self, session, namespace: str, environment: str, enabled: bool = True):
        self.namespace = namespace
        self.dimensions = [{"Name": "Environment", "Value": environment}]
        self.enabled = enabled
        self._queue: queue.Queue = queue.Queue(maxsize=100)
        self._last_error_log = 0.0
        self.sent = 0
        self._thread = None
        if enabled:
            from botocore.config import Config as BotoConfig

            self._client = session.client(
                "cloudwatch",
                config=BotoConfig(
                    retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=3, read_timeout=5
                ),
            )
            self._thread = threading.Thread(target=self._run, name="metrics", daemon=True)
            self._thread.start()

    def publish(self, lag_s: float | None, pickup_s: float | None) -> None:
        if not self.enabled:
            return
        data = []
        now = time.time()
        if lag_s is not None:
            data.append(self._datum(LAG, lag_s, now))
        if pickup_s is not None:
            data.append(self._datum(PICKUP, pickup_s, now))
        if data:
            # CloudWatch unreachable for a long time: drop, never block the sync.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(data)

    def _datum(self, name: str, value: float, now: float) -> dict:
        return {
            "MetricName": name,
            "Dimensions": self.dimensions,
            "Timestamp": now,
            "Value": round(max(value, 0.0), 3),
            "Unit": "Seconds",
        }

    def _run(self) -> None:
        while True:
            data = self._queue.get()
            if data is _STOP:
                return
            try:
                self._client.put_metric_data(Namespace=self.namespace, MetricData=data)
                self.sent += 1
            except Exception as exc:
                if time.monotonic() - self._last_error_log > 600 or not self._last_error_log:
                    self._last_error_log = time.monotonic()
                    log("metrics_failed", level="warning", error=f"{type(exc).__name__}: {exc}"[:300])

    def close(self, timeout: float = 3.0) -> None:
        """Flush what is queued (bounded by ``timeout``) and stop the thread."""
        if self._thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
