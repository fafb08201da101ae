"""Celery queue depth -> CloudWatch: the metric the worker autoscaling and queue alarms read.

Celery's Redis transport keeps each queue as a Redis list named after the queue (Airflow's
``[operators] default_queue`` is ``default``); messages sent with a priority go to the lists
``<queue>\\x06\\x163``, ``\\x06\\x166``, ``\\x06\\x169`` (kombu's default ``priority_steps`` and
``sep``). One cycle reads ``LLEN`` of those keys for every configured queue (one pipelined round
trip) and puts the total and one datum per worker pool (the sum of the queues that pool serves):

``Namespace=Airflow/Celery``  ``MetricName=QueueDepth``  ``Dimensions=[Environment=<env>]``
``Namespace=Airflow/Celery``  ``MetricName=QueueDepth``  ``Dimensions=[Environment=<env>, WorkerPool=<pool>]``
``Unit=Count``  ``Value=<messages waiting>``

Each pool's autoscaling alarms read its own datum.

It connects with the broker URL the Airflow containers get
(``rediss://:<token>@<primary>:6379/0?ssl_cert_reqs=required``: TLS, certificate checked, AUTH).
A failed cycle (Redis or CloudWatch unreachable) is logged and publishes nothing, so the
alarms see missing data rather than a wrong zero.

Run alone (``python -m airflow_ecs_image.queue_depth``, every interval until SIGTERM;
``--once`` for one cycle) or inside the StatsD bridge (``statsd_bridge --queue-depth``).

Settings (environment):

``AIRFLOW__CELERY__BROKER_URL``        required (the task definition's secret)
``AIRFLOW_ECS_METRICS_ENVIRONMENT``    required: the ``Environment`` dimension
``AIRFLOW_ECS_QUEUE_NAMESPACE``        default ``Airflow/Celery``
``AIRFLOW_ECS_QUEUE_POOLS``            JSON ``{"<pool>": ["<queue>", ...]}`` (the task definition sets it
                                       from the service table); unset: one pool ``worker`` serving
                                       ``AIRFLOW_ECS_QUEUE_NAMES``
``AIRFLOW_ECS_QUEUE_NAMES``            comma-separated, default ``default`` (without QUEUE_POOLS)
``AIRFLOW_ECS_METRICS_INTERVAL``       seconds between cycles, default 60
``AIRFLOW_ECS_REDIS_CA_FILE``          optional CA bundle for the broker's certificate
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger("airflow_ecs_image.queue_depth")

NAMESPACE = "Airflow/Celery"
METRIC = "QueueDepth"
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)  # kombu's default steps; step 0 is the bare queue name


def queue_keys(queue: str) -> list[str]:
    """The Redis lists kombu's Redis transport keeps ``queue``'s messages in."""
    return [queue] + [f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


def depths(redis_client, queues: list[str]) -> dict[str, int]:
    """Queue -> messages waiting (all priorities), read in one pipelined round trip."""
    pipe = redis_client.pipeline(transaction=False)
    for queue in queues:
        for key in queue_keys(queue):
            pipe.llen(key)
    counts = iter(int(n) for n in pipe.execute())
    return {queue: sum(next(counts) for _ in queue_keys(queue)) for queue in queues}


def depth(redis_client, queues: list[str]) -> int:
    """Messages waiting in ``queues`` (all priorities), read in one pipelined round trip."""
    return sum(depths(redis_client, queues).values())


def redis_from_url(url: str, ca_file: str | None = None):
    """A Redis client for the broker URL (``rediss://`` -> TLS; ``ssl_cert_reqs`` honoured)."""
    import redis

    kwargs = {"socket_timeout": 10, "socket_connect_timeout": 10}
    if ca_file:
        kwargs["ssl_ca_certs"] = ca_file
    return redis.Redis.from_url(url, **kwargs)


class Publisher:
    def __init__(self, redis_client, cloudwatch, environment: str, pools=None, namespace=NAMESPACE):
        self.redis = redis_client
        self.cloudwatch = cloudwatch
        self.environment = environment
        self.pools = {pool: list(queues) for pool, queues in (pools or {"worker": ["default"]}).items()}
        self.queues = list(dict.fromkeys(q for queues in self.pools.values() for q in queues))
        self.namespace = namespace

    @classmethod
    def from_environment(cls, cloudwatch, environment: str | None = None) -> Publisher:
        url = os.environ.get("AIRFLOW__CELERY__BROKER_URL", "")
        if not url:
            raise SystemExit("AIRFLOW__CELERY__BROKER_URL is not set")
        environment = environment or os.environ.get("AIRFLOW_ECS_METRICS_ENVIRONMENT", "")
        if not environment:
            raise SystemExit("AIRFLOW_ECS_METRICS_ENVIRONMENT is not set")
        pools = json.loads(os.environ.get("AIRFLOW_ECS_QUEUE_POOLS") or "null") or {
            "worker": [
                q.strip()
                for q in os.environ.get("AIRFLOW_ECS_QUEUE_NAMES", "default").split(",")
                if q.strip()
            ]
        }
        client = redis_from_url(url, os.environ.get("AIRFLOW_ECS_REDIS_CA_FILE") or None)
        return cls(
            client, cloudwatch, environment, pools, os.environ.get("AIRFLOW_ECS_QUEUE_NAMESPACE", NAMESPACE)
        )

    def _datum(self, value: int, pool: str | None, now: float) -> dict:
        dimensions = [{"Name": "Environment", "Value": self.environment}]
        if pool:
            dimensions.append({"Name": "WorkerPool", "Value": pool})
        return {
            "MetricName": METRIC,
            "Dimensions": dimensions,
            "Timestamp": now,
            "Unit": "Count",
            "Value": float(value),
        }

    def publish(self) -> int:
        """One cycle: read every queue's depth, put the total and each pool's; returns the total."""
        per_queue = depths(self.redis, self.queues)
        now = time.time()
        total = sum(per_queue.values())
        data = [self._datum(total, None, now)] + [
            self._datum(sum(per_queue[q] for q in queues), pool, now) for pool, queues in self.pools.items()
        ]
        self.cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=data)
        return total

    def publish_safely(self) -> int | None:
        try:
            value = self.publish()
        except Exception as exc:
            log.error(json.dumps({"event": "queue_depth_failed", "error": f"{type(exc).__name__}: {exc}"}))
            return None
        log.info(json.dumps({"event": "queue_depth", "pools": self.pools, "depth": value}))
        return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_ecs_image.queue_depth", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--once", action="store_true", help="one cycle, exit 1 if it failed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import boto3

    publisher = Publisher.from_environment(boto3.client("cloudwatch"))
    if args.once:
        return 0 if publisher.publish_safely() is not None else 1
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    interval = float(os.environ.get("AIRFLOW_ECS_METRICS_INTERVAL", "60"))
    while True:
        publisher.publish_safely()
        if stopping.wait(interval):
            return 0


if __name__ == "__main__":
    sys.exit(main())
