"""Health checks: HTTP probes against a local server, command probes against real subprocesses."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from airflow_ecs_image import healthcheck
from airflow_ecs_image.healthcheck import Unhealthy

IMAGE_DIR = healthcheck.__file__.rsplit("/airflow_ecs_image/", 1)[0]


@pytest.fixture
def http_server():
    answers = {"status": 200, "body": b'{"metadatabase": {"status": "healthy"}}'}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            return None

        def do_GET(self) -> None:
            self.send_response(answers["status"])
            self.send_header("Content-Length", str(len(answers["body"])))
            self.end_headers()
            self.wfile.write(answers["body"])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, answers
    server.shutdown()
    server.server_close()


def test_http_check_passes_on_200(http_server):
    port, _ = http_server
    assert "healthy" in healthcheck.http_check(f"http://localhost:{port}/health", 5)


def test_http_check_fails_on_503_with_a_one_line_reason(http_server):
    port, answers = http_server
    answers.update(status=503, body=b'{"status":\n"unhealthy"}')
    with pytest.raises(Unhealthy, match=r"answered 503 \"unhealthy\"}$"):
        healthcheck.http_check(f"http://localhost:{port}/health", 5)


def test_http_check_fails_when_nothing_listens():
    with pytest.raises(Unhealthy, match="unreachable"):
        healthcheck.http_check("http://localhost:9/health", 2)


def test_only_local_urls_are_probed():
    with pytest.raises(Unhealthy, match="refusing"):
        healthcheck.http_check("http://example.com/", 1)


def test_scheduler_url_follows_the_airflow_port_setting():
    assert healthcheck.scheduler_url({}) == "http://localhost:8974/health"
    env = {"AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": "9000"}
    assert healthcheck.scheduler_url(env) == "http://localhost:9000/health"


def test_commands_match_the_runtime_contract(monkeypatch):
    monkeypatch.setattr(healthcheck.socket, "gethostname", lambda: "ip-10-0-1-5.ec2.internal")
    assert healthcheck.command_for("dag-processor") == [
        "airflow", "jobs", "check", "--job-type", "DagProcessorJob", "--local",
    ]  # fmt: skip
    assert healthcheck.command_for("triggerer")[4] == "TriggererJob"
    assert healthcheck.command_for("worker") == [
        "celery", "--app", "airflow.providers.celery.executors.celery_executor.app",
        "inspect", "ping", "-d", "celery@ip-10-0-1-5.ec2.internal", "--timeout", "10",
    ]  # fmt: skip


def test_command_check_reports_exit_code_and_last_line():
    healthcheck.command_check([sys.executable, "-c", "pass"], 10)
    script = "import sys; print('noise'); sys.exit('No alive jobs found.')"
    with pytest.raises(Unhealthy, match=r"exited 1: No alive jobs found\.$"):
        healthcheck.command_check([sys.executable, "-c", script], 10)


def test_command_check_times_out():
    with pytest.raises(Unhealthy, match=r"timed out after 0\.5s"):
        healthcheck.command_check([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)


def test_missing_command():
    with pytest.raises(Unhealthy, match="not found"):
        healthcheck.command_check(["no-such-airflow-binary"], 1)


def test_cli_exit_codes_and_one_line_reason():
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "airflow_ecs_image.healthcheck", *args],
            capture_output=True,
            text=True,
            cwd=IMAGE_DIR,
            env={"PATH": "/nonexistent", "AIRFLOW_ECS_HEALTHCHECK_TIMEOUT": "2"},
            timeout=30,
            check=False,
        )

    done = run("nope")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("unhealthy: unknown component 'nope'")
    done = run("triggerer")  # no airflow on PATH
    assert (done.returncode, done.stderr.count("\n")) == (1, 1)
    assert done.stderr == "unhealthy: airflow not found\n"
    assert run().returncode == 1
