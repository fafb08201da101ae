"""Run our modules in-process (real module code, real emulator) and read their result."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))


class ModuleFailed(Exception):
    def __init__(self, result: dict):
        super().__init__(result.get("msg"))
        self.result = result


def run_module(name: str, args: dict, check_mode: bool = False, diff: bool = True) -> dict:
    """Run pathwai.airflow_ecs.<name> with ``args``; return its result or raise ModuleFailed."""
    module = importlib.import_module(f"ansible_collections.pathwai.airflow_ecs.plugins.modules.{name}")
    full = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    out = io.StringIO()
    with patch_module_args(full), redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    result = json.loads(out.getvalue())
    if result.get("failed"):
        raise ModuleFailed(result)
    return result


@pytest.fixture
def module_runner(aws_endpoint):
    """``run_module`` bound to a fresh emulator (its URL passed as endpoint_url)."""

    def run(name: str, args: dict, **kwargs) -> dict:
        return run_module(name, {"endpoint_url": aws_endpoint.url, "region": "us-east-1", **args}, **kwargs)

    return run


@pytest.fixture(scope="session")
def plan_export(tmp_path_factory):
    """``plan_export(env)``: playbooks/plan.yml's renderings of inventories/<env> (template,
    terraform, policies), rendered once per session with no AWS endpoint at all."""
    cache: dict[str, dict] = {}

    def export(env: str) -> dict:
        if env not in cache:
            out = tmp_path_factory.mktemp(f"plan-{env}")
            environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", f"inventories/{env}"]
            command += ["playbooks/plan.yml", "-e", f"gate_export_dir={out}"]
            run = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, check=False)
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
            cache[env] = {
                "template": json.loads((out / "template.json").read_text()),
                "terraform": json.loads((out / "terraform-plan.json").read_text()),
                "policies": json.loads((out / "policies.json").read_text()),
            }
        return cache[env]

    return export
