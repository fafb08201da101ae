"""AWX as code: the execution-environment build context is created (no Docker or Podman needed)
with the collection's run-time requirements, and awx/configure.yml is a valid, lint-clean playbook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_run import ROOT

BIN = Path(sys.executable).parent


def test_ansible_builder_create_writes_the_context(tmp_path):
    context = tmp_path / "context"
    done = subprocess.run(
        [str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(context)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (context / "_build" / "requirements.txt").read_text().splitlines()
    python = "\n".join(line for line in lines if not line.startswith("#"))
    for package in ("boto3", "botocore", "regopy", "cryptography", "cfn-lint", "parliament"):
        assert f"{package}==" in python, python
    for tool in ("moto", "pytest", "molecule", "ansible-lint"):
        assert tool not in python, python
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy["collections"]} >= {"amazon.aws", "community.aws"}
    dockerfile = (context / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "requirements.yml" in dockerfile
    # Checkov in a virtualenv of its own, from the pinned requirements-gate.txt, on PATH.
    gate = (context / "_build" / "gate" / "requirements-gate.txt").read_text()
    assert "checkov==" in gate
    assert "/opt/gate-venv/bin/pip install --no-cache-dir -r /tmp/requirements-gate.txt" in dockerfile
    assert "/usr/local/bin/checkov" in dockerfile


def _env():
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), PATH=f"{BIN}:{os.environ['PATH']}")


def test_configure_playbook_syntax_and_lint():
    syntax = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "awx/configure.yml"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr
    lint = subprocess.run(
        [
            str(BIN / "ansible-lint"),
            "--profile",
            "production",
            "awx/configure.yml",
            "execution-environment.yml",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_every_playbook_has_a_job_template():
    play = yaml.safe_load((ROOT / "awx" / "configure.yml").read_text())[0]
    templates = {t["playbook"]: t for t in play["vars"]["awx_templates"]}
    expected = {
        "phase1_foundation",
        "phase2_data",
        "phase3_compute",
        "validate",
        "rollback",
        "destroy",
        "rotate_secrets",
    }
    assert set(templates) == {f"playbooks/{name}.yml" for name in expected}
    for playbook in templates:
        assert (ROOT / playbook).is_file(), playbook
    surveys = {p: {q["variable"] for q in t.get("survey", {}).get("spec", [])} for p, t in templates.items()}
    assert surveys["playbooks/phase3_compute.yml"] == {"compute_airflow_image"}
    assert surveys["playbooks/rollback.yml"] == {"rollback_service", "rollback_revision"}
    assert surveys["playbooks/destroy.yml"] == {"confirm"}
    assert surveys["playbooks/rotate_secrets.yml"] == {"rotate_secrets_kinds", "rotate_secrets_force"}
    scheduled = {p for p, t in templates.items() if "schedule" in t}
    assert scheduled == {"playbooks/rotate_secrets.yml"}
    assert "RRULE:FREQ=WEEKLY" in templates["playbooks/rotate_secrets.yml"]["schedule"]["rrule"]
