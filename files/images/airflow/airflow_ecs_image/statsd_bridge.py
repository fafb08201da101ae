"""StatsD -> CloudWatch bridge: the path that turns Airflow's StatsD metrics into the CloudWatch
metrics the monitoring role's alarms read.

Runs as a second, non-essential container next to the scheduler (and the worker) in the same
ECS task: Airflow sends UDP StatsD lines to ``127.0.0.1:8125`` (``AIRFLOW__METRICS__STATSD_ON``,
``..._HOST``, ``..._PORT``, ``..._PREFIX``), this program aggregates them per interval and calls
``cloudwatch:PutMetricData`` once per interval, through the ``monitoring`` interface endpoint.

Only the metrics in :data:`METRICS` are published (Airflow emits hundreds of per-DAG and
per-task names; each CloudWatch custom metric costs money and the alarms need few). Each one
is published under ``AIRFLOW_ECS_METRICS_NAMESPACE`` (default ``Airflow``) with the single
dimension ``Environment=<AIRFLOW_ECS_METRICS_ENVIRONMENT>``:

=========================== ==================== ========= ==========================
StatsD name (after prefix)  CloudWatch metric    kind      published per interval
=========================== ==================== ========= ==========================
scheduler_heartbeat         SchedulerHeartbeat   counter   sum (Count)
ti_failures                 TaskFailures         counter   sum (Count)
ti_successes                TaskSuccesses        counter   sum (Count)
executor.running_tasks      RunningTasks         gauge     last value (Count)
executor.queued_tasks       QueuedTasks          gauge     last value (Count)
executor.open_slots         OpenSlots            gauge     last value (Count)
scheduler.tasks.starving    StarvingTasks        gauge     last value (Count)
=========================== ==================== ========= ==========================

Counters are scaled by their sample rate (``|@0.1``); timers (``|ms``) are published as
statistic sets (count, sum, min, max) when mapped. A metric that received nothing in an
interval is not published at all: a dead scheduler shows as *missing* heartbeat data, which
the heartbeat alarm treats as breaching. DogStatsD tags (``|#k:v``) are ignored.

With ``--queue-depth`` the same process also runs :mod:`airflow_ecs_image.queue_depth`
(Celery queue length from Redis -> ``Airflow/Celery QueueDepth``) every interval.

Settings (environment):

``AIRFLOW_ECS_METRICS_ENVIRONMENT``  required: the ``Environment`` dimension (e.g. ``prod``)
``AIRFLOW_ECS_METRICS_NAMESPACE``    default ``Airflow``
``AIRFLOW_ECS_METRICS_INTERVAL``     seconds per aggregation interval, default 60
``AIRFLOW_ECS_STATSD_HOST``          listen address, default ``127.0.0.1``
``AIRFLOW_ECS_STATSD_PORT``          default 8125
``AIRFLOW_ECS_STATSD_PREFIX``        default ``airflow`` (Airflow's ``[metrics] statsd_prefix``)

AWS region and credentials come from the task (``AWS_REGION``, the task role). A failed
PutMetricData is logged and its data dropped (the next interval carries on); SIGTERM flushes
the current interval and exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger("airflow_ecs_image.statsd_bridge")

# StatsD name (after the prefix) -> (CloudWatch metric name, unit).
METRICS: dict[str, tuple[str, str]] = {
    "scheduler_heartbeat": ("SchedulerHeartbeat", "Count"),
    "ti_failures": ("TaskFailures", "Count"),
    "ti_successes": ("TaskSuccesses", "Count"),
    "executor.running_tasks": ("RunningTasks", "Count"),
    "executor.queued_tasks": ("QueuedTasks", "Count"),
    "executor.open_slots": ("OpenSlots", "Count"),
    "scheduler.tasks.starving": ("StarvingTasks", "Count"),
}
MAX_DATUMS_PER_CALL = 1000  # PutMetricData limit


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    kind: str  # c, g, ms, h, s
    rate: float = 1.0
    delta: bool = False  # a gauge "+N" / "-N"


def parse_packet(data: bytes) -> list[Sample]:
    """StatsD lines (``name:value|type[|@rate][|#tags]``, newline-separated) -> samples.
    Malformed lines are skipped."""
    samples = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or ":" not in line or "|" not in line:
            continue
        name, rest = line.split(":", 1)
        fields = rest.split("|")
        if len(fields) < 2:
            continue
        raw, kind = fields[0], fields[1]
        rate = 1.0
        for extra in fields[2:]:
            if extra.startswith("@"):
                try:
                    rate = float(extra[1:]) or 1.0
                except ValueError:
                    rate = 1.0
        try:
            value = float(raw)
        except ValueError:
            continue
        samples.append(Sample(name, value, kind, rate, delta=kind == "g" and raw[:1] in "+-"))
    return samples


@dataclass
class Aggregator:
    """One interval of samples for the mapped metrics, turned into PutMetricData datums."""

    prefix: str = "airflow"
    metrics: dict = field(default_factory=lambda: dict(METRICS))
    counters: dict = field(default_factory=dict)
    gauges: dict = field(default_factory=dict)
    timers: dict = field(default_factory=dict)
    last_gauges: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _short(self, name: str) -> str | None:
        if self.prefix:
            if not name.startswith(self.prefix + "."):
                return None
            name = name[len(self.prefix) + 1 :]
        return name if name in self.metrics else None

    def add(self, sample: Sample) -> None:
        short = self._short(sample.name)
        if short is None:
            return
        with self.lock:
            if sample.kind == "c":
                self.counters[short] = self.counters.get(short, 0.0) + sample.value / sample.rate
            elif sample.kind == "g":
                base = self.gauges.get(short, self.last_gauges.get(short, 0.0)) if sample.delta else 0.0
                self.gauges[short] = base + sample.value
            elif sample.kind in ("ms", "h"):
                self.timers.setdefault(short, []).append(sample.value)

    def flush(self, dimensions: list[dict], timestamp: float | None = None) -> list[dict]:
        """The interval's datums (empty when nothing mapped arrived); starts a new interval."""
        with self.lock:
            counters, gauges, timers = self.counters, self.gauges, self.timers
            self.counters, self.gauges, self.timers = {}, {}, {}
            self.last_gauges.update(gauges)
        stamp = timestamp if timestamp is not None else time.time()
        datums = []
        for short, value in sorted(counters.items()):
            datums.append(self._datum(short, dimensions, stamp, Value=value))
        for short, value in sorted(gauges.items()):
            datums.append(self._datum(short, dimensions, stamp, Value=value))
        for short, values in sorted(timers.items()):
            stats = {
                "SampleCount": len(values),
                "Sum": sum(values),
                "Minimum": min(values),
                "Maximum": max(values),
            }
            datums.append(self._datum(short, dimensions, stamp, StatisticValues=stats, unit="Milliseconds"))
        return datums

    def _datum(
        self, short: str, dimensions: list[dict], stamp: float, unit: str | None = None, **value
    ) -> dict:
        metric, default_unit = self.metrics[short]
        return {
            "MetricName": metric,
            "Dimensions": dimensions,
            "Timestamp": stamp,
            "Unit": unit or default_unit,
            **value,
        }


def put_datums(cloudwatch, namespace: str, datums: list[dict]) -> int:
    """PutMetricData in chunks of 1000; returns how many datums were sent."""
    for start in range(0, len(datums), MAX_DATUMS_PER_CALL):
        cloudwatch.put_metric_data(
            Namespace=namespace, MetricData=datums[start : start + MAX_DATUMS_PER_CALL]
        )
    return len(datums)


class Bridge:
    """A UDP listener thread feeding an :class:`Aggregator`, flushed by :meth:`run` every interval."""

    def __init__(
        self, cloudwatch, namespace: str, environment: str, host="127.0.0.1", port=8125, prefix="airflow"
    ):
        self.cloudwatch = cloudwatch
        self.namespace = namespace
        self.dimensions = [{"Name": "Environment", "Value": environment}]
        self.aggregator = Aggregator(prefix=prefix)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.received = 0
        self._listener = threading.Thread(target=self._listen, name="statsd-listener", daemon=True)

    def start(self) -> Bridge:
        self._listener.start()
        return self

    def _listen(self) -> None:
        while not self.stopping.is_set():
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                raise
            for sample in parse_packet(data):
                self.received += 1
                self.aggregator.add(sample)

    def flush(self) -> int:
        datums = self.aggregator.flush(self.dimensions)
        if not datums:
            return 0
        try:
            return put_datums(self.cloudwatch, self.namespace, datums)
        except Exception as exc:
            log.error(
                json.dumps({"event": "put_metric_data_failed", "error": str(exc), "datums": len(datums)})
            )
            return 0

    def run(self, interval: float, every_interval=None) -> None:
        """Flush every ``interval`` seconds until :meth:`stop`; a last flush on the way out."""
        next_flush = time.monotonic() + interval
        while not self.stopping.wait(max(0.0, next_flush - time.monotonic())):
            next_flush += interval
            sent = self.flush()
            log.info(json.dumps({"event": "flush", "datums": sent, "received": self.received}))
            if every_interval is not None:
                every_interval()
        self.flush()

    def stop(self) -> None:
        self.stopping.set()
        self._listener.join(timeout=2)
        self.sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_ecs_image.statsd_bridge", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--queue-depth", action="store_true", help="also publish the Celery queue depth each interval"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    environment = os.environ.get("AIRFLOW_ECS_METRICS_ENVIRONMENT", "")
    if not environment:
        log.error(
            json.dumps({"event": "config_error", "error": "AIRFLOW_ECS_METRICS_ENVIRONMENT is not set"})
        )
        return 2
    import boto3

    cloudwatch = boto3.client("cloudwatch")
    bridge = Bridge(
        cloudwatch,
        os.environ.get("AIRFLOW_ECS_METRICS_NAMESPACE", "Airflow"),
        environment,
        host=os.environ.get("AIRFLOW_ECS_STATSD_HOST", "127.0.0.1"),
        port=int(os.environ.get("AIRFLOW_ECS_STATSD_PORT", "8125")),
        prefix=os.environ.get("AIRFLOW_ECS_STATSD_PREFIX", "airflow"),
    ).start()
    every_interval = None
    if args.queue_depth:
        from airflow_ecs_image import queue_depth

        publisher = queue_depth.Publisher.from_environment(cloudwatch, environment)
        every_interval = publisher.publish_safely
    signal.signal(signal.SIGTERM, lambda *_: bridge.stopping.set())
    log.info(json.dumps({"event": "listening", "port": bridge.port, "environment": environment}))
    try:
        bridge.run(float(os.environ.get("AIRFLOW_ECS_METRICS_INTERVAL", "60")), every_interval)
    except KeyboardInterrupt:
        bridge.flush()
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
