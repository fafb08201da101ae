#!/usr/bin/env python3
"""`make bench-deploy`: site.yml of this checkout against a baseline commit, same machine, same run.

The baseline (default 435f1ef, before the speed work) is exported beside this checkout
(``git archive``); each side runs with its own roles, modules and emulator extensions and this
checkout's venv. For each round, alternating which side goes first, each side gets a fresh emulator
(``python -m local_aws`` in its own process) and runs, with ``-i inventories/local``:

1. ``site.yml`` (the first run), 2. ``site.yml`` again (the no-op re-run), 3. ``site.yml --check
--diff`` (the plan of the converged stack).

Per run: wall seconds, AWS API calls counted by the emulator (total, writes, by service), module
runs (one per module execution; a loop item counts once) and seconds per task (a callback,
benchmarks/callback_plugins/deploy_stats.py). Prints a Markdown table with the medians of both
sides and their ratio (current / baseline), then the 15 slowest tasks of each run of this checkout;
``--json FILE`` writes the raw figures. Run from the repository root:
``.venv/bin/python benchmarks/deploy_bench.py [--baseline REV] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_aws.server import fetch_calls  # noqa: E402
from tools.demo import start_emulator  # noqa: E402

BIN = Path(sys.executable).parent
CALLBACKS = ROOT / "benchmarks" / "callback_plugins"
RUNS = (("first", ()), ("noop", ()), ("check", ("--check", "--diff")))
TOP_TASKS = 15


def export(rev: str, into: Path) -> Path:
    """The baseline's tree as of ``rev`` (git archive: tracked files only, symlinks kept)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_side(tree: Path, work: Path) -> dict:
    """One fresh emulator; the three runs of site.yml into it."""
    process, url = start_emulator(work, tree)
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        ANSIBLE_CONFIG=str(tree / "ansible.cfg"),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="deploy_stats",
        ANSIBLE_NOCOLOR="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    figures = {}
    try:
        for name, extra in RUNS:
            fetch_calls(url, reset=True)
            stats_file = work / f"{name}.stats.json"
            env["DEPLOY_STATS_FILE"] = str(stats_file)
            began = time.monotonic()
            done = subprocess.run(
                [str(BIN / "ansible-playbook"), "-i", "inventories/local", "site.yml", *extra],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.monotonic() - began
            (work / f"{name}.log").write_text(done.stdout + done.stderr)
            if done.returncode != 0:
                sys.exit(f"site.yml {' '.join(extra)} failed in {tree}; see {work / (name + '.log')}")
            made = fetch_calls(url, reset=True)
            stats = json.loads(stats_file.read_text())
            figures[name] = {
                "seconds": round(seconds, 1),
                "calls": len(made),
                "writes": sum(c["write"] for c in made),
                "by_service": dict(collections.Counter(c["service"] for c in made).most_common()),
                "module_runs": stats["module_runs"],
                "tasks": sorted(stats["tasks"], key=lambda t: -t["seconds"])[:TOP_TASKS],
            }
    finally:
        process.terminate()
        process.wait(timeout=30)
    return figures


def median(rounds: list[dict], run: str, key: str) -> float:
    return statistics.median(r[run][key] for r in rounds)


def table(results: dict[str, list[dict]], baseline: str) -> str:
    rows = [
        f"| figure | baseline {baseline} | this checkout | ratio |",
        "|---|---:|---:|---:|",
    ]
    for run, label in (("first", "first run"), ("noop", "no-op re-run"), ("check", "`--check --diff`")):
        for key, unit in (("seconds", "wall s"), ("calls", "API calls"), ("writes", "writes")):
            old, new = median(results["baseline"], run, key), median(results["current"], run, key)
            ratio = f"{new / old:.2f}x" if old else "-"
            rows.append(f"| {label}: {unit} | {old:g} | {new:g} | {ratio} |")
        old, new = (
            median(results["baseline"], run, "module_runs"),
            median(results["current"], run, "module_runs"),
        )
        rows.append(f"| {label}: module runs | {old:g} | {new:g} | {new / old:.2f}x |")
    services = collections.Counter()
    for side in ("baseline", "current"):
        for service, count in results[side][0]["noop"]["by_service"].items():
            services[service] = max(services[service], count)
    for service, _ in services.most_common():
        old = results["baseline"][0]["noop"]["by_service"].get(service, 0)
        new = results["current"][0]["noop"]["by_service"].get(service, 0)
        rows.append(f"| no-op calls: {service} | {old} | {new} | {f'{new / old:.2f}x' if old else '-'} |")
    return "\n".join(rows)


def top_tasks(figures: dict) -> str:
    lines = []
    for run in ("first", "noop"):
        lines.append(
            f"\nSlowest {TOP_TASKS} tasks of this checkout, {run} run (seconds, loop items included):"
        )
        lines += [f"{t['seconds']:7.2f}  {t['task']}" for t in figures[run]["tasks"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="435f1ef", help="commit to compare with (default 435f1ef)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of both sides (default 1)")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    baseline = export(args.baseline, work / "baseline")
    sides = {"current": ROOT, "baseline": baseline}
    results: dict[str, list[dict]] = {"current": [], "baseline": []}
    try:
        for round_no in range(args.rounds):
            order = ["baseline", "current"] if round_no % 2 == 0 else ["current", "baseline"]
            for side in order:
                side_work = work / f"{side}-{round_no}"
                side_work.mkdir()
                print(f"round {round_no + 1}/{args.rounds}: {side} ({sides[side]})", flush=True)
                results[side].append(run_side(sides[side], side_work))
    finally:
        shutil.rmtree(baseline, ignore_errors=True)
    print(f"\n{args.rounds} round(s), medians; ratio = this checkout / baseline\n")
    print(table(results, args.baseline))
    print(top_tasks(results["current"][-1]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
