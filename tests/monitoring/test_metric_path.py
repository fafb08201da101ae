"""The metrics the monitoring role's alarms read really exist: data goes through the real code
(StatsD bridge process, queue-depth publisher against a real Redis with TLS and AUTH, the DAG
sync program's publisher) into the emulator and is read back with each alarm's own namespace,
metric, dimensions and statistic, taken from the role's defaults through the role's filter."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml
from ansible.utils.vars import merge_hash

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT / "files" / "images" / "airflow"
for path in (IMAGE_DIR, ROOT / "files" / "sidecar" / "src", ROOT / "collections"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from airflow_ecs_image import queue_depth, statsd_bridge  # noqa: E402
from ansible_collections.pathwai.airflow_ecs.plugins.filter import monitoring  # noqa: E402

ENV = "mtest"
DEFAULTS = yaml.safe_load((ROOT / "roles" / "monitoring" / "defaults" / "main.yml").read_text())
CONTEXT = {
    "prefix": "airflow-mtest",
    "environment": ENV,
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:airflow-mtest-alerts",
    "pools": {"worker": {"service": "w", "scale_out_arn": "arn:out", "scale_in_arn": "arn:in"}},
    "alb": "app/a/1",
    "target_group": "targetgroup/t/1",
    "db_instance": "db",
    "db_allocated_storage_gib": 200,
    "redis_nodes": ["r-001"],
    "efs": "fs-1",
    "cluster": "c",
}
ALARMS = {
    alarm["name"].removeprefix("airflow-mtest-"): alarm
    for alarm in monitoring.alarm_list(merge_hash(DEFAULTS["monitoring_alarms_defaults"], {}), CONTEXT)
}


def _alarms(namespace: str) -> list[dict]:
    return [a for a in ALARMS.values() if a["namespace"] == namespace]


def read_back(cloudwatch, alarm: dict, dimensions: dict | None = None, timeout: float = 20.0) -> float | None:
    """The alarm's statistic over the last hour for its metric and dimensions (None: no data),
    polled until data appears or ``timeout`` passes."""
    now = datetime.datetime.now(datetime.UTC)
    dims = dimensions if dimensions is not None else alarm["dimensions"]
    deadline = time.monotonic() + timeout
    while True:
        points = cloudwatch.get_metric_statistics(
            Namespace=alarm["namespace"],
            MetricName=alarm["metric_name"],
            Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
            StartTime=now - datetime.timedelta(hours=1),
            EndTime=now + datetime.timedelta(minutes=10),
            Period=3600,
            Statistics=[alarm["statistic"]],
        )["Datapoints"]
        if points:
            return points[0][alarm["statistic"]]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


@pytest.fixture(scope="module")
def cloudwatch(module_aws_endpoint):
    return boto3.client("cloudwatch", endpoint_url=module_aws_endpoint.url, region_name="us-east-1")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _image_env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(IMAGE_DIR), AIRFLOW_ECS_METRICS_ENVIRONMENT=ENV)
    env.update(extra)
    return env


# ---- StatsD bridge ----------------------------------------------------------------------------


def test_statsd_lines_aggregate_per_interval():
    agg = statsd_bridge.Aggregator()
    packet = (
        b"airflow.scheduler_heartbeat:1|c\nairflow.scheduler_heartbeat:1|c|@0.5\n"
        b"airflow.executor.running_tasks:4|g\nairflow.executor.running_tasks:+2|g\n"
        b"airflow.ti_failures:1|c|#dag_id:x\nairflow.dagrun.duration.success.x:12|ms\n"
        b"other.scheduler_heartbeat:1|c\nnot a metric\n"
    )
    for sample in statsd_bridge.parse_packet(packet):
        agg.add(sample)
    dims = [{"Name": "Environment", "Value": ENV}]
    datums = {d["MetricName"]: d for d in agg.flush(dims, timestamp=0)}
    assert datums["SchedulerHeartbeat"]["Value"] == 3  # 1 + 1/0.5
    assert datums["RunningTasks"]["Value"] == 6
    assert datums["TaskFailures"]["Value"] == 1
    assert set(datums) == {"SchedulerHeartbeat", "RunningTasks", "TaskFailures"}  # unmapped names dropped
    assert all(d["Dimensions"] == dims for d in datums.values())
    # Nothing received in an interval -> nothing published (missing data, not a zero).
    assert agg.flush(dims) == []


def test_bridge_process_publishes_what_the_airflow_alarms_read(cloudwatch, module_aws_endpoint):
    port = _free_udp_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow_ecs_image.statsd_bridge"],
        env=_image_env(AIRFLOW_ECS_STATSD_PORT=str(port), AIRFLOW_ECS_METRICS_INTERVAL="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert '"listening"' in proc.stdout.readline()
        sent = {"SchedulerHeartbeat": 3, "TaskFailures": 6}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            # What Airflow's StatsD client sends with [metrics] statsd_prefix = airflow.
            for _ in range(sent["SchedulerHeartbeat"]):
                sock.sendto(b"airflow.scheduler_heartbeat:1|c", ("127.0.0.1", port))
            for _ in range(sent["TaskFailures"]):
                sock.sendto(b"airflow.ti_failures:1|c", ("127.0.0.1", port))
        airflow_alarms = _alarms("Airflow")
        assert {a["metric_name"] for a in airflow_alarms} == set(sent)
        for alarm in airflow_alarms:
            assert read_back(cloudwatch, alarm) == sent[alarm["metric_name"]], alarm["name"]
        # The emulator filters by dimensions: another environment's value finds nothing.
        assert read_back(cloudwatch, airflow_alarms[0], {"Environment": "other"}, timeout=0) is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()


def test_bridge_needs_the_environment():
    result = subprocess.run(
        [sys.executable, "-m", "airflow_ecs_image.statsd_bridge"],
        env=_image_env(AIRFLOW_ECS_METRICS_ENVIRONMENT=""),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "AIRFLOW_ECS_METRICS_ENVIRONMENT" in result.stdout


# ---- Celery queue depth from Redis (TLS + AUTH) -------------------------------------------------


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "redis.crt", tmp / "redis.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


PASSWORD = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    """redis-server on loopback: TLS only (no plain port), requirepass, no persistence."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    tmp = tmp_path_factory.mktemp("redis")
    cert, key = _self_signed(tmp)
    port = _free_tcp_port()
    proc = subprocess.Popen(
        [server, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--tls-cert-file", str(cert),
         "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no",
         "--requirepass", PASSWORD, "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    context = ssl.create_default_context(cafile=str(cert))
    while True:
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=1) as raw,
                context.wrap_socket(raw, server_hostname="localhost"),
            ):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start with TLS")
            time.sleep(0.1)
    yield {
        "url": f"rediss://:{PASSWORD}@localhost:{port}/0?ssl_cert_reqs=required",
        "ca": str(cert),
        "port": port,
    }
    proc.terminate()
    proc.wait(timeout=10)


def _celery_send(url: str, ca: str, count: int, queue: str = "default") -> None:
    """Queue ``count`` tasks the way Airflow's CeleryExecutor does: Celery's Redis transport."""
    from celery import Celery

    app = Celery("airflow_test", broker=f"{url}&ssl_ca_certs={ca}")
    try:
        for i in range(count):
            app.send_task("execute_workload", args=[f"task {i}"], queue=queue)
    finally:
        app.close()


def test_queue_depth_publishes_llen_of_the_celery_queue(tls_redis, cloudwatch):
    _celery_send(tls_redis["url"], tls_redis["ca"], 7)
    _celery_send(tls_redis["url"], tls_redis["ca"], 2, queue="other")  # not a watched queue
    result = subprocess.run(
        [sys.executable, "-m", "airflow_ecs_image.queue_depth", "--once"],
        env=_image_env(
            AIRFLOW__CELERY__BROKER_URL=tls_redis["url"], AIRFLOW_ECS_REDIS_CA_FILE=tls_redis["ca"]
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"depth": 7' in result.stdout
    celery_alarms = _alarms("Airflow/Celery")
    assert {a["name"].removeprefix("airflow-mtest-") for a in celery_alarms} == {
        "queue-depth-high",
        "worker-scale-out",
        "worker-scale-in",
    }
    for alarm in celery_alarms:
        value = read_back(cloudwatch, dict(alarm, statistic="Maximum"))
        assert value == 7, alarm["name"]


def test_queue_depth_counts_priority_lists(tls_redis):
    client = queue_depth.redis_from_url(tls_redis["url"], tls_redis["ca"])
    client.delete(*queue_depth.queue_keys("prio"))
    client.lpush("prio", "a", "b")
    client.lpush("prio\x06\x169", "c")
    assert queue_depth.depth(client, ["prio"]) == 3


def test_queue_depth_wrong_password_publishes_nothing(tls_redis, cloudwatch):
    wrong = tls_redis["url"].replace(PASSWORD, "wrong")
    result = subprocess.run(
        [sys.executable, "-m", "airflow_ecs_image.queue_depth", "--once"],
        env=_image_env(
            AIRFLOW__CELERY__BROKER_URL=wrong,
            AIRFLOW_ECS_REDIS_CA_FILE=tls_redis["ca"],
            AIRFLOW_ECS_METRICS_ENVIRONMENT="wrongpass",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "queue_depth_failed" in result.stdout
    alarm = ALARMS["worker-scale-out"]
    assert read_back(cloudwatch, alarm, {"Environment": "wrongpass"}, timeout=0) is None


def test_queue_depth_refuses_an_unverified_certificate(tls_redis):
    """No CA given: the self-signed certificate fails verification (ssl_cert_reqs=required)."""
    client = queue_depth.redis_from_url(tls_redis["url"])
    with pytest.raises(Exception, match=r"(?i)certificate"):
        queue_depth.depth(client, ["default"])


# ---- DAG sync lag (files/sidecar) --------------------------------------------------------------


def test_dag_sync_publisher_matches_the_lag_alarm(cloudwatch, module_aws_endpoint):
    from airflow_dag_sync.metrics import MetricsPublisher

    alarm = ALARMS["dag-sync-lag"]
    session = boto3.session.Session(region_name="us-east-1")
    publisher = MetricsPublisher(session, alarm["namespace"], ENV)
    publisher.publish(42.0, None)
    publisher.close()
    assert read_back(cloudwatch, alarm) == 42.0
