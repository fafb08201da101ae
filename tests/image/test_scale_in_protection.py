"""Scale-in protection with a REAL Celery worker (prefork pool, kombu filesystem broker).

The worker runs as a subprocess with the package's signal wiring (tests/image/celery_protect_app.py);
a local stand-in for the ECS agent endpoint records every PUT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow_ecs_image.scale_in_protection import (
    AgentClient,
    ProtectionError,
    Protector,
    Settings,
    desired_call,
    parse_response,
    protection_body,
)
from celery_protect_app import build_app
from ecs_agent_standin import STATE_PATH, enabled_values, running_standin

HERE = Path(__file__).resolve().parent
IMAGE_DIR = HERE.parents[1] / "files" / "images" / "airflow"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Worker:
    """``celery worker`` (prefork, concurrency 2) in a subprocess; output goes to a log file."""

    def __init__(self, root: Path, agent_url: str | None) -> None:
        self.root = root
        self.log_path = root / "worker.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ECS_", "AIRFLOW_ECS_"))}
        env.update(
            PROTECT_TEST_DIR=str(root),
            PYTHONPATH=os.pathsep.join([str(HERE), str(IMAGE_DIR)]),
            AIRFLOW_ECS_PROTECTION_POLL_SECONDS="0.2",
            AIRFLOW_ECS_PROTECTION_EXPIRES_MINUTES="30",
            PYTHONUNBUFFERED="1",
        )
        if agent_url:
            env["ECS_AGENT_URI"] = agent_url
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "celery_protect_app:app",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--hostname",
                f"protect-{os.getpid()}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=HERE,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited {self.proc.returncode}:\n{self.text()}")
            return " ready." in self.text()

        _wait(ready, timeout, "the worker to be ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def standin():
    with running_standin() as state:
        yield state


@pytest.fixture
def start_worker(tmp_path):
    workers: list[Worker] = []

    def start(agent_url: str | None) -> Worker:
        worker = Worker(tmp_path, agent_url)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def app(tmp_path):
    return build_app(tmp_path)


def _send_blocking_task(app, tmp_path: Path, name: str):
    release = tmp_path / f"release-{name}"
    return app.send_task("wait_for_file", args=[str(release)]), release


# --- the real worker --------------------------------------------------------------------------


def test_worker_protects_itself_while_a_task_runs(standin, start_worker, app, tmp_path):
    worker = start_worker(standin.url)
    assert standin.puts() == [], "an idle worker must not call the endpoint"

    result, release = _send_blocking_task(app, tmp_path, "one")
    calls = standin.wait_for(lambda c: True in enabled_values(c), what="ProtectionEnabled true")
    first = calls[0]
    assert first.path == STATE_PATH
    assert first.body == {"ProtectionEnabled": True, "ExpiresInMinutes": 30}
    assert first.status == 200
    assert not result.ready()

    release.touch()
    assert result.get(timeout=30) == "released"
    calls = standin.wait_for(lambda c: enabled_values(c)[-1:] == [False], what="ProtectionEnabled false")
    assert [c.body for c in calls] == [
        {"ProtectionEnabled": True, "ExpiresInMinutes": 30},
        {"ProtectionEnabled": False},
    ], "one call on, one call off: no repeats while the state holds"
    assert worker.proc.poll() is None


def test_warm_shutdown_keeps_protection_until_the_last_task_ends(standin, start_worker, app, tmp_path):
    worker = start_worker(standin.url)
    result, release = _send_blocking_task(app, tmp_path, "shutdown")
    standin.wait_for(lambda c: True in enabled_values(c), what="ProtectionEnabled true")

    worker.proc.send_signal(signal.SIGTERM)  # what ECS sends on scale-in/stop
    _wait(lambda: "Warm shutdown" in worker.text() or "warm shutdown" in worker.text(), 30, "warm shutdown")
    # Observe a window of many poll periods (0.2 s): protection must stay on while the task runs.
    window_end = time.monotonic() + 1.5
    while time.monotonic() < window_end:
        assert False not in enabled_values(standin.puts()), "protection dropped while a task still runs"
        assert worker.proc.poll() is None, "the worker must wait for its running task"
        time.sleep(0.05)

    release.touch()
    assert result.get(timeout=30) == "released"
    assert worker.proc.wait(timeout=30) == 0
    assert enabled_values(standin.puts()) == [True, False], "protection switched off after the last task"


def test_endpoint_errors_do_not_kill_the_worker(standin, start_worker, app, tmp_path):
    standin.fail_with = 500
    worker = start_worker(standin.url)
    result, release = _send_blocking_task(app, tmp_path, "errors")

    # Failed attempts are retried every poll, and the worker keeps running.
    standin.wait_for(lambda c: sum(x.status == 500 for x in c) >= 3, what="three failed attempts")
    assert worker.proc.poll() is None
    assert "failed" in worker.text()

    standin.fail_with = None  # the agent recovers
    standin.wait_for(lambda c: True in enabled_values(c, status=200), what="protection after recovery")
    release.touch()
    assert result.get(timeout=30) == "released"
    standin.wait_for(lambda c: enabled_values(c)[-1:] == [False], what="ProtectionEnabled false")
    assert worker.proc.poll() is None


def test_no_calls_without_ecs_agent_uri(standin, start_worker, app, tmp_path):
    worker = start_worker(None)
    result, release = _send_blocking_task(app, tmp_path, "unset")
    _wait(lambda: "wait_for_file" in worker.text(), 30, "the task to be received")
    release.touch()
    assert result.get(timeout=30) == "released"
    worker.stop()
    assert standin.puts() == []
    assert worker.text().count("ECS_AGENT_URI is not set") == 1


def test_worker_shutdown_signal_switches_protection_off_at_once(standin, monkeypatch):
    """The final step on ``worker_shutdown`` does not wait for the next poll (60 s here)."""
    import airflow_ecs_image.scale_in_protection as sip
    from celery import signals
    from celery.worker import state

    class FakeRequest:  # stands for a celery Request held in the worker's state
        pass

    monkeypatch.setenv("ECS_AGENT_URI", standin.url)
    monkeypatch.setenv("AIRFLOW_ECS_PROTECTION_POLL_SECONDS", "60")
    sip.connect_worker_signals()
    request = FakeRequest()
    state.reserved_requests.add(request)
    try:
        signals.worker_ready.send(sender=None)
        standin.wait_for(lambda c: enabled_values(c) == [True], what="protection on the first poll")
        thread = sip.current()._thread
        signals.worker_shutting_down.send(sender="test", sig="SIGTERM", how="Warm", exitcode=0)
        assert enabled_values(standin.puts()) == [True], "kept while the task runs"
        state.reserved_requests.discard(request)
        signals.worker_shutdown.send(sender=None)
        assert enabled_values(standin.puts()) == [True, False]
        assert not thread.is_alive()
        assert sip.current() is None
    finally:
        state.reserved_requests.discard(request)
        if sip.current() is not None:
            sip.current().stop(final=False)
            sip._protector = None


# --- the protector against the stand-in, with a controlled clock -------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_protector_renews_at_half_the_expiry_and_unprotects_when_idle(standin):
    tasks = [0]
    clock = FakeClock()
    settings = Settings(agent_uri=standin.url, poll_seconds=5, expires_minutes=10)
    protector = Protector(settings, count_tasks=lambda: tasks[0], clock=clock)

    assert protector.step() is None  # idle, unprotected: nothing to say
    tasks[0] = 2
    assert protector.step() is True
    clock.now += 299  # 10 min expiry: renew after 5 min
    assert protector.step() is None
    clock.now += 1
    assert protector.step() is True
    tasks[0] = 0
    assert protector.step() is False
    assert protector.step() is None
    assert [c.body for c in standin.puts()] == [
        {"ProtectionEnabled": True, "ExpiresInMinutes": 10},
        {"ProtectionEnabled": True, "ExpiresInMinutes": 10},
        {"ProtectionEnabled": False},
    ]


def test_protector_retries_after_an_error_and_resends_when_the_state_is_unknown(standin):
    tasks = [1]
    protector = Protector(Settings(agent_uri=standin.url), count_tasks=lambda: tasks[0])
    standin.fail_with = 503
    assert protector.step() is None
    assert protector.protected is None
    tasks[0] = 0
    standin.fail_with = None
    # The failed "on" may or may not have reached ECS: idle now, so say "off" to be sure.
    assert protector.step() is False
    assert [(c.status, c.body["ProtectionEnabled"]) for c in standin.puts()] == [(503, True), (200, False)]


def test_protector_survives_an_unreachable_agent():
    protector = Protector(Settings(agent_uri="http://127.0.0.1:9"), count_tasks=lambda: 1)
    assert protector.step() is None
    assert protector.protected is None


def test_agent_client_rejects_failure_answers(standin):
    client = AgentClient(standin.url)
    assert client.put(True, 5)["ProtectionEnabled"] is True
    standin.fail_with = 403
    with pytest.raises(ProtectionError, match="HTTP 403 ServerException"):
        client.put(False, 5)


# --- pure functions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("busy", "protected", "renew_at", "now", "expected"),
    [
        (False, False, None, 0, None),
        (False, True, 100, 0, False),
        (False, None, None, 0, False),
        (True, False, None, 0, True),
        (True, None, None, 0, True),
        (True, True, 100, 50, None),
        (True, True, 100, 100, True),
    ],
)
def test_desired_call(busy, protected, renew_at, now, expected):
    assert desired_call(busy, protected, renew_at, now) is expected


def test_protection_body_has_only_the_fields_the_agent_accepts():
    assert protection_body(True, 60) == {"ProtectionEnabled": True, "ExpiresInMinutes": 60}
    assert protection_body(False, 60) == {"ProtectionEnabled": False}


def test_parse_response_shapes():
    ok = b'{"protection":{"ExpirationDate":"2026-01-01T00:00:00Z","ProtectionEnabled":true,"TaskArn":"a"}}'
    assert parse_response(200, ok)["ProtectionEnabled"] is True
    failure = b'{"failure":{"Arn":"a","Reason":"TASK_NOT_VALID","Detail":"standalone"}}'
    with pytest.raises(ProtectionError, match="TASK_NOT_VALID"):
        parse_response(200, failure)  # the agent answers 200 when ECS refused
    with pytest.raises(ProtectionError, match="HTTP 500"):
        parse_response(500, b"not json")


def test_settings_from_env():
    assert Settings.from_env({}) == Settings(agent_uri=None, poll_seconds=5.0, expires_minutes=60)
    settings = Settings.from_env(
        {
            "ECS_AGENT_URI": "http://169.254.170.2/api/abc-123/",
            "AIRFLOW_ECS_PROTECTION_POLL_SECONDS": "2.5",
            "AIRFLOW_ECS_PROTECTION_EXPIRES_MINUTES": "5000",
        }
    )
    assert settings == Settings("http://169.254.170.2/api/abc-123", 2.5, 2880)
    assert Settings.from_env({"AIRFLOW_ECS_PROTECTION_POLL_SECONDS": "x"}).poll_seconds == 5.0
