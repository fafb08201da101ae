"""The image's package against REAL Airflow 3.1.8 (the pinned image requirements).

Runs only where the image requirements are installed in /work/main/.e2e-venv
(``python3 -m venv .e2e-venv && .e2e-venv/bin/pip install -r files/images/airflow/requirements.txt``);
skipped otherwise. Airflow uses a throwaway SQLite database here; the broker is kombu's
filesystem transport; the ECS agent is the local stand-in.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from celery import Celery
from ecs_agent_standin import enabled_values, running_standin

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
IMAGE_DIR = ROOT / "files" / "images" / "airflow"
E2E_BIN = ROOT / ".e2e-venv" / "bin"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (E2E_BIN / "airflow").exists(), reason="no .e2e-venv with the image requirements"),
]


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    queue = home / "broker"
    for sub in ("queue", "processed", "control"):
        (queue / sub).mkdir(parents=True)
    (home / "results").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ECS_"))}
    env.update(
        PATH=f"{E2E_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join([str(IMAGE_DIR), str(HERE)]),
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__AUTH_MANAGER="airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
        AIRFLOW__FAB__CONFIG_FILE=str(IMAGE_DIR / "airflow_ecs_image" / "webserver_config.py"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__API__SECRET_KEY="e2e-secret-key-e2e-secret-key-e2e-secret-key-e2e-secret-key-0123",
        AIRFLOW__API_AUTH__JWT_SECRET="e2e-jwt-secret-e2e-jwt-secret-e2e-jwt-secret-e2e-jwt-secret-0123",
        AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS="airflow_ecs_image.celery_config.CELERY_CONFIG",
        AIRFLOW__CELERY__BROKER_URL="filesystem://",
        AIRFLOW__CELERY__RESULT_BACKEND=f"file://{home / 'results'}",
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__DATA_FOLDER_IN=str(queue / "queue"),
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__DATA_FOLDER_OUT=str(queue / "queue"),
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__PROCESSED_FOLDER=str(queue / "processed"),
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__CONTROL_FOLDER=str(queue / "control"),
        AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__POLLING_INTERVAL="0.1",
        AIRFLOW_ECS_AUTH_ADMINS="boss@example.com",
        AIRFLOW_ECS_AUTH_ADMIN_GROUPS="airflow-admins",
        PYTHONUNBUFFERED="1",
    )
    done = subprocess.run(
        [str(E2E_BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return env, home


def _python(env, code: str) -> str:
    done = subprocess.run(
        [str(E2E_BIN / "python"), "-c", code], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_celery_config_options_load_our_config(airflow_env):
    env, _ = airflow_env
    out = _python(
        env,
        "import json\n"
        "from celery import signals\n"
        "from airflow.providers.celery.executors.celery_executor import app\n"
        "uids = [str(key[0]) for key, _ in signals.worker_ready.receivers]\n"
        "c = app.conf\n"
        "print(json.dumps({'prefetch': c.worker_prefetch_multiplier, 'acks_late': c.task_acks_late,"
        " 'broker': c.broker_url, 'ready': uids}))",
    )
    conf = json.loads(out.strip().splitlines()[-1])
    assert conf["prefetch"] == 1
    assert conf["acks_late"] is True
    assert conf["broker"] == "filesystem://"
    assert "airflow-ecs-protect-ready" in conf["ready"]


def test_fab_login_from_alb_headers(airflow_env):
    env, _ = airflow_env
    out = json.loads(_python(env, "import airflow_fab_login_probe as p; p.main()").strip().splitlines()[-1])
    assert out["viewer"] == {"status": 302, "token": True}
    assert out["admin"] == {"status": 302, "token": True}
    assert out["viewer_reads_users"] == 403
    assert out["viewer_dags"] == 200
    assert [r["name"] for r in out["alice"]["roles"]] == ["Viewer"]
    assert (out["alice"]["username"], out["alice"]["first_name"], out["alice"]["last_name"]) == (
        "alice@example.com",
        "Alice",
        "Liddell",
    )
    assert [r["name"] for r in out["bob"]["roles"]] == ["Admin"]
    assert out["no_headers"]["token"] is False
    assert out["mismatch"]["token"] is False


def test_healthcheck_reports_a_missing_triggerer(airflow_env):
    env, _ = airflow_env
    done = subprocess.run(
        [str(E2E_BIN / "python"), "-m", "airflow_ecs_image.healthcheck", "triggerer"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("unhealthy: airflow jobs check --job-type TriggererJob --local exited 1: ")
    assert "No alive jobs found" in done.stderr
    assert done.stderr.count("\n") == 1


def test_airflow_celery_worker_protects_itself(airflow_env, tmp_path):
    env, home = airflow_env
    queue = home / "broker"
    with running_standin() as standin:
        worker_env = dict(
            env,
            ECS_AGENT_URI=standin.url,
            AIRFLOW_ECS_PROTECTION_POLL_SECONDS="0.2",
            AIRFLOW__CELERY__EXTRA_CELERY_CONFIG='{"imports": ["airflow_blocking_tasks"]}',
        )
        log_path = tmp_path / "worker.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(E2E_BIN / "airflow"), "celery", "worker", "--skip-serve-logs", "--concurrency", "2"],
                env=worker_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                standin_wait = standin.wait_for

                def logged(text):
                    def check(_calls):
                        assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
                        return text in log_path.read_text(errors="replace")

                    return check

                standin_wait(logged(" ready."), timeout=120, what="the Airflow worker")
                assert "scale-in protection: polling every 0.2s" in log_path.read_text()
                ping = subprocess.run(
                    [str(E2E_BIN / "python"), "-m", "airflow_ecs_image.healthcheck", "worker"],
                    env=worker_env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert (ping.returncode, ping.stderr) == (0, ""), "the worker health check (inspect ping)"

                producer = Celery("producer")
                producer.conf.update(
                    broker_url="filesystem://",
                    broker_transport_options={
                        "data_folder_in": str(queue / "queue"),
                        "data_folder_out": str(queue / "queue"),
                        "processed_folder": str(queue / "processed"),
                        "control_folder": str(queue / "control"),
                    },
                    result_backend=f"file://{home / 'results'}",
                )
                release = tmp_path / "release"
                result = producer.send_task("wait_for_file", args=[str(release)], queue="default")
                standin_wait(lambda c: True in enabled_values(c), what="ProtectionEnabled true")
                release.touch()
                assert result.get(timeout=60) == "released"
                standin_wait(lambda c: enabled_values(c)[-1:] == [False], what="ProtectionEnabled false")
                assert [c.body for c in standin.puts()] == [
                    {"ProtectionEnabled": True, "ExpiresInMinutes": 60},
                    {"ProtectionEnabled": False},
                ]
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
