"""Run the collection's playbooks against the emulator and read the outcome."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@dataclass
class PlaybookRun:
    rc: int
    output: str

    @property
    def changed(self) -> int:
        match = RECAP.search(self.output)
        assert match, f"no PLAY RECAP in output:\n{self.output[-3000:]}"
        return int(match.group(2))


def run_playbook(
    playbook: str,
    *args: str,
    extra_vars: dict | None = None,
    check: bool = False,
    inventory: str = "inventories/local",
) -> PlaybookRun:
    """ansible-playbook from the repository root, with the test's AWS_ENDPOINT_URL."""
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, playbook, *args]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command += ["--check", "--diff"]
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"
    )
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    return PlaybookRun(done.returncode, done.stdout + done.stderr)
