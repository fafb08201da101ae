"""Time the steps of `make test` and print where the time went.

    python tools/step_times.py start             # forget the steps of an earlier run
    python tools/step_times.py run NAME -- CMD   # run CMD, record its wall seconds under NAME
    python tools/step_times.py summary           # the steps, then pytest's slowest test files

The record is reports/make-steps.tsv; pytest writes reports/test-times.json (tests/conftest.py).
A failing step is recorded too, and its exit code is passed on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ROOT / "reports" / "make-steps.tsv"
TESTS = ROOT / "reports" / "test-times.json"
TOP_FILES = 12


def run(name: str, command: list[str]) -> int:
    began = time.monotonic()
    code = subprocess.call(command)
    STEPS.parent.mkdir(exist_ok=True)
    with STEPS.open("a") as record:
        record.write(f"{name}\t{time.monotonic() - began:.1f}\t{code}\n")
    return code


def summary() -> None:
    rows = [line.split("\t") for line in STEPS.read_text().splitlines()] if STEPS.exists() else []
    print("\n== make test: where the time went ==")
    for name, seconds, code in rows:
        print(f"{float(seconds):8.1f} s  {name}{'' if code == '0' else f'  (exit {code})'}")
    print(f"{sum(float(s) for _, s, _ in rows):8.1f} s  in all")
    if TESTS.exists():
        data = json.loads(TESTS.read_text())
        files = sorted(data["files"].items(), key=lambda kv: -kv[1]["seconds"])
        print(f"\npytest: {data['wall_seconds']} s of wall time; slowest test files (seconds of test time):")
        for path, entry in files[:TOP_FILES]:
            print(f"{entry['seconds']:8.1f} s  {entry['tests']:4d} tests  {path}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        STEPS.unlink(missing_ok=True)
        return 0
    if argv[:1] == ["summary"]:
        summary()
        return 0
    if len(argv) >= 4 and argv[0] == "run" and argv[2] == "--":
        return run(argv[1], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
