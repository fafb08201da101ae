"""Celery queue depth -> CloudWatch: the metric the worker autoscaling and queue alarms read.

Celery's Redis transport keeps each queue as a Redis list named after the queue (Airflow's
``[operators] default_queue`` is ``default``); messages sent with a priority go to the lists
``<queue>\\x06\\x163``, ``\\x06\\x166``, ``\\x06\\x169`` (kombu's default ``priority_steps`` and
``sep``). One cycle sums ``LLEN`` of those keys for every configured queue (one pipelined round
trip) and puts one datum:

``Namespace=Airflow/Celery``  ``MetricName=QueueDepth``  ``Dimensions=[Environment=<env>]``
``Unit=Count``  ``Value=<messages waiting>``

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
``AIRFLOW_ECS_QUEUE_NAMES``            comma-separated, default ``default``
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


def depth(redis_client, queues: list[str]) -> int:
    """Messages waiting in ``queues`` (all priorities), read in one pipelined round trip."""
    pipe = redis_client.pipeline(transaction=False)
    for queue in queues:
        for key in queue_keys(queue):
            pipe.llen(key)
    return sum(int(n) for n in pipe.execute())


def redis_from_url(url: str, ca_file: str | None = None):
    """A Redis client for the broker URL (``rediss://`` -> TLS; ``ssl_cert_reqs`` honoured)."""
    import redis

    kwargs = {"socket_timeout": 10, "socket_connect_timeout": 10}
    if ca_file:
        kwargs["ssl_ca_certs"] = ca_file
    return redis.Redis.from_url(url, **kwargs)


class Publisher:
    def __init__(self, redis_client, cloudwatch, environment: str, queues=("default",), namespace=NAMESPACE):
        self.redis = redis_client
        self.cloudwatch = cloudwatch
        self.environment = environment
        self.queues = list(queues)
        self.namespace = namespace

    @classmethod
    def from_environment(cls, cloudwatch, environment: str | None = None) -> Publisher:
        url = os.environ.get("AIRFLOW__CELERY__BROKER_URL", "")
        if not url:
            raise SystemExit("AIRFLOW__CELERY__BROKER_URL is not set")
        environment = environment or os.environ.get("AIRFLOW_ECS_METRICS_ENVIRONMENT", "")
        if not environment:
            raise SystemExit("AIRFLOW_ECS_METRICS_ENVIRONMENT is not set")
        queues = [
            q.strip() for q in os.environ.get("AIRFLOW_ECS_QUEUE_NAMES", "default").split(",") if q.strip()
        ]
        client = redis_from_url(url, os.environ.get("AIRFLOW_ECS_REDIS_CA_FILE") or None)
        return cls(
            client, cloudwatch, environment, queues, os.environ.get("AIRFLOW_ECS_QUEUE_NAMESPACE", NAMESPACE)
        )

    def publish(self) -> int:
        """One cycle: read the depth, put it; returns the depth."""
        value = depth(self.redis, self.queues)
        self.cloudwatch.put_metric_data(
            Namespace=self.namespace,
            MetricData=[
                {
                    "MetricName": METRIC,
                    "Dimensions": [{"Name": "Environment", "Value": self.environment}],
                    "Timestamp": time.time(),
                    "Unit": "Count",
                    "Value": float(value),
                }
            ],
        )
        return value

    def publish_safely(self) -> int | None:
        try:
            value = self.publish()
        except Exception as exc:
            log.error(json.dumps({"event": "queue_depth_failed", "error": f"{type(exc).__name__}: {exc}"}))
            return None
        log.info(json.dumps({"event": "queue_depth", "queues": self.queues, "depth": value}))
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
