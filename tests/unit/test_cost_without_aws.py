"""playbooks/cost.yml with no AWS access (no credentials, a network namespace with only loopback):
it prints the estimate and writes its reports, and no process it starts tries to reach anything
beyond loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from offline import audited_env, isolated, reaching_out, records

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("env", ["local"])
def test_cost_needs_only_the_inventory(env, tmp_path):
    prefix = isolated()
    log = tmp_path / "net.jsonl"
    environ = {k: v for k, v in audited_env(log).items() if not k.startswith("AWS_")}
    environ.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_ENDPOINT_URL="http://127.0.0.1:9",  # the local inventory's emulator: nothing listens
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
    )
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    done = subprocess.run(
        [
            *prefix,
            playbook,
            "-i",
            f"inventories/{env}",
            "playbooks/cost.yml",
            "-e",
            f"cost_report_dir={tmp_path}",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    report = json.loads((tmp_path / f"cost-{env}.json").read_text())
    assert f"TOTAL {report['total']:,.2f}" in " ".join(done.stdout.split())
    assert os.path.getsize(log) > 0
    assert [r for r in records(log) if reaching_out(r)] == []
