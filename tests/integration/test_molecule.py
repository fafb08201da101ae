"""Each role's molecule scenario (roles/<role>/molecule/default) against a fresh emulator.

A scenario runs converge, idempotence and verify (endpoints: prepare first, which applies the
network role). verify.yml reads the resources back with amazon.aws *_info modules and asserts
what the role promises, so a green run here is more than "the playbook did not crash".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The repository's venv (make venv); else the one running pytest.
VENV_BIN = (
    ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "molecule").exists() else Path(sys.executable).parent
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TAIL_LINES = 150
TIMEOUT_SECONDS = 1800

# Role -> the steps its scenario must report as executed successfully, in order.
SCENARIOS = {
    "network": ["converge", "idempotence", "verify"],
    "kms": ["converge", "idempotence", "verify"],
    "endpoints": ["prepare", "converge", "idempotence", "verify"],
    "data": ["prepare", "converge", "idempotence", "verify"],
    "alb": ["prepare", "converge", "idempotence", "verify"],
    "compute": ["prepare", "converge", "idempotence", "verify"],
    "monitoring": ["prepare", "converge", "idempotence", "verify"],
}
# Role -> a write call that proves the scenario reached this emulator (not some other endpoint).
WRITES = {
    "network": "CreateVpc",
    "kms": "CreateKey",
    "endpoints": "CreateVpcEndpoint",
    "data": "CreateDBInstance",
    "alb": "CreateListener",
    "compute": "CreateService",
    "monitoring": "PutMetricAlarm",
}


def _run_molecule(role: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)  # AWS_ENDPOINT_URL and the dummy credentials come from aws_endpoint
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    # Molecule's state (and generated inventory) per test run: a concurrent or earlier run of
    # the same scenario cannot make this one skip a step as "already prepared".
    env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(tmp_path / "molecule")
    env.update({"NO_COLOR": "1", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0"})
    return subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", "default"],
        cwd=ROOT / "roles" / role,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream: molecule's step log interleaved with ansible's output
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _step_line(step: str, outcome: str) -> re.Pattern:
    """Molecule's log line for a step of the default scenario, plain or coloured:
    "INFO [default > verify] Executed: Successful" or "default ➜ verify: Executed: Successful"."""
    return re.compile(rf"default\s*(?:>|➜)\s*{step}(?:\]|:)\s+{outcome}")


def _tail(output: str) -> str:
    return "\n".join(output.splitlines()[-TAIL_LINES:])


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(SCENARIOS))
def test_molecule_scenario(role: str, aws_endpoint, tmp_path: Path) -> None:
    result = _run_molecule(role, tmp_path)
    output = ANSI.sub("", result.stdout)
    assert result.returncode == 0, (
        f"molecule test in roles/{role} exited {result.returncode}; last lines:\n{_tail(output)}"
    )

    # Every step ran and succeeded: a step skipped as "already done" or a missing playbook
    # would still exit 0, so read molecule's own report of each step.
    for step in SCENARIOS[role]:
        assert _step_line(step, "Executed: Successful").search(output), (
            f"molecule did not report '{step}' as executed successfully in roles/{role}:\n{_tail(output)}"
        )
    # The idempotence step ran a second converge and found nothing changed: its own output
    # holds a PLAY RECAP with changed=0 (an empty or skipped step would hold none).
    parts = _step_line("idempotence", "Executing").split(output, maxsplit=1)
    assert len(parts) == 2, f"no idempotence step in roles/{role}:\n{_tail(output)}"
    second_run = _step_line("idempotence", "Executed").split(parts[1], maxsplit=1)[0]
    assert "PLAY RECAP" in second_run, f"the idempotence step of roles/{role} ran no play:\n{_tail(output)}"
    assert re.search(r"localhost\s+: ok=[1-9]\d*\s+changed=0\s", second_run), (
        f"the idempotence run of roles/{role} has no PLAY RECAP with changed=0:\n{_tail(output)}"
    )

    actions = {call["action"] for call in aws_endpoint.calls()}
    assert WRITES[role] in actions, f"{WRITES[role]} never reached the emulator: {sorted(actions)}"
