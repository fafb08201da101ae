"""playbooks/validate.yml with no AWS access (no credentials, a network namespace with only
loopback): it prints the gate's summary for the plan (cfn-lint, Checkov, parliament, the seed's Rego)
and the policies' verdict, says the live account is not judged and why, passes, and no process it
starts tries to reach anything beyond loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from offline import audited_env, isolated, reaching_out, records

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_validate_judges_the_plan_with_no_aws_access(env, tmp_path):
    prefix = isolated()
    log = tmp_path / "net.jsonl"
    environ = {k: v for k, v in audited_env(log).items() if not k.startswith("AWS_")}
    # "No AWS access": no credentials anywhere. An EC2 host would have them from its metadata
    # service (169.254.169.254), which is not loopback.
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
        [*prefix, playbook, "-i", f"inventories/{env}", "playbooks/validate.yml"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, (out + done.stderr)[-4000:]
    flat = " ".join(out.split())
    assert f"gate (plan, {env}): " in flat and '"checkov": {"' + env + '": {"passed": ' in flat
    assert f"Gate passed: the plan of {env}" in out
    assert "The live account is not judged" in out
    assert "Audit passed: the plan satisfies every policy" in out
    assert os.path.getsize(log) > 0
    assert [r for r in records(log) if reaching_out(r)] == []
