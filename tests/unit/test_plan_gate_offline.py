"""The gate makes no connection beyond loopback: ansible-playbook runs plan_gate in a network namespace
that has only loopback (unshare -n), with an audit hook (net_audit/sitecustomize.py) in every Python
process it starts (Ansible, the module, Checkov). The gate must pass there, and no process may even try
to resolve or reach anything but loopback or a unix socket. The hook is shown to catch what each of
Checkov's offline switches stops: without the switch, the attempt is recorded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gate_fixtures as fx
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import gate_checkov
from offline import audited_env, isolated, reaching_out, records

ROOT = Path(__file__).resolve().parents[2]
HOOK_DIR = Path(__file__).resolve().parent / "net_audit"

PLAYBOOK = """\
- name: The gate, offline
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Judge the fixture plan
      pathwai.airflow_ecs.plan_gate:
        env: dev
        template: "{{ gate_template }}"
        plan: "{{ gate_plan }}"
        policy_documents: "{{ gate_documents }}"
        policy_dir: "{{ gate_policy_dir }}"
        checkov_executable: "{{ gate_checkov }}"
        checkov_skips: "{{ gate_checkov_skips }}"
"""


def test_the_gate_passes_with_only_loopback_and_tries_nothing_else(tmp_path):
    prefix = isolated()
    log = tmp_path / "net.jsonl"
    variables = {
        "gate_template": fx.template(),
        "gate_plan": fx.plan(),
        "gate_documents": fx.policy_documents(),
        "gate_policy_dir": str(ROOT / "policies"),
        "gate_checkov": fx.checkov_executable(),
        "gate_checkov_skips": str(HOOK_DIR.parent / "gate_fixture_skips.yml"),
    }
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    (tmp_path / "gate.yml").write_text(PLAYBOOK)
    extra = ["-e", f"@{tmp_path / 'vars.json'}"]
    env = audited_env(log)
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    done = subprocess.run(
        [*prefix, str(Path(sys.executable).parent / "ansible-playbook"), str(tmp_path / "gate.yml"), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    task = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert task["passed"] is True and task["summary"]["checkov"]["dev"]["passed"] > 30, task

    seen = records(log)
    started = [r["cmdline"] for r in seen if r["event"] == "start"]
    # the hook was in every kind of process the gate starts, so silence means something
    assert any("ansible-playbook" in c for c in started), started
    # the module's interpreter, its payload piped on stdin
    assert any(c.split("/")[-1] in ("python", "python3") for c in started), started
    assert any("checkov" in c and "AnsiballZ" not in c for c in started), started
    attempts = [r for r in seen if reaching_out(r)]
    assert attempts == [], attempts


@pytest.mark.parametrize(
    ("dropped", "peer"),
    [("--skip-download", "prismacloud.io"), ("CKV_SKIP_PACKAGE_UPDATE_CHECK", "pypi.org")],
)
def test_the_hook_catches_what_each_checkov_switch_stops(tmp_path, monkeypatch, dropped, peer):
    """Checkov with one offline switch removed: the attempt it then makes is recorded (and fails)."""
    prefix = isolated()
    log = tmp_path / "net.jsonl"
    plan = tmp_path / "tfplan.json"
    plan.write_text(json.dumps(fx.plan()))
    args = [a for a in gate_checkov.OFFLINE_ARGS if a != dropped]
    env = gate_checkov.offline_env(audited_env(log), str(tmp_path))
    env.pop(dropped, None)
    done = subprocess.run(
        [*prefix, fx.checkov_executable(), "--file", str(plan), "--output", "json", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    attempts = [r for r in records(log) if reaching_out(r)]
    assert any(peer in json.dumps(r) for r in attempts), records(log)
