"""`make molecule ROLE=<role>`: one role's molecule scenario against a fresh local AWS emulator.

Starts ``python -m local_aws`` on a free loopback port, points AWS at it (AWS_ENDPOINT_URL,
dummy credentials), runs ``molecule test -s default`` in roles/<role> with molecule's state in a
temporary directory (an earlier run cannot make this one skip a step), then stops the emulator.
The same environment tests/integration/test_molecule.py gives a scenario. Exits with molecule's
status.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo import BIN, ROOT, emulator_env, start_emulator


def scenarios() -> list[str]:
    return sorted(p.parents[2].name for p in ROOT.glob("roles/*/molecule/default/molecule.yml"))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in scenarios():
        print(f"usage: make molecule ROLE=<role>, one of: {' '.join(scenarios())}", file=sys.stderr)
        return 2
    role = argv[0]
    with tempfile.TemporaryDirectory(prefix=f"airflow-ecs-molecule-{role}-") as tmp:
        workdir = Path(tmp)
        process, url = start_emulator(workdir)
        print(f"local AWS emulator: {url}", flush=True)
        env = emulator_env(url)
        env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(workdir / "molecule")
        started = time.monotonic()
        try:
            done = subprocess.run(
                [str(BIN / "molecule"), "test", "-s", "default"],
                cwd=ROOT / "roles" / role,
                env=env,
                check=False,
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
    verdict = "passed" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
    print(f"\nmolecule test of roles/{role}: {verdict} in {time.monotonic() - started:.0f} s")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
