#!/usr/bin/env python3
"""How long each tool of plan_gate takes, cold (a fresh process, as each module run is), on the test
fixture (16 Terraform resources, 6 CloudFormation resources, 4 policy documents) and on a synthetic
plan of about 300 resources (19 copies: 304 Terraform resources; 50 copies: 300 CloudFormation
resources and 200 policy documents). Checkov's fixed cost is measured on an empty plan. Wall time
depends on what else runs on the machine; CPU seconds (the process and its children) do not.

Run from the repository root, with .gate-venv built (make gate-venv):
``PATH=.venv/bin:$PATH:.gate-venv/bin .venv/bin/python benchmarks/plan_gate_bench.py [--rounds 3]``"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "collections"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

import gate_fixtures as fx  # noqa: E402

SIZES = {
    "empty": lambda: ({"Resources": {}}, fx.plan_from([]), []),
    "fixture": lambda: (fx.template(), fx.plan(), fx.policy_documents()),
    "~300": lambda: (fx.synthetic_template(50), fx.synthetic_plan(19), fx.synthetic_documents(50)),
}
TOOLS = ("cfn-lint", "checkov", "parliament", "rego")


def one(tool: str, size: str) -> dict:
    """Import and run one tool once in this (fresh) process; seconds for each (Checkov's import is
    the subprocess start, counted in run)."""
    began = time.monotonic()
    from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import (
        gate_cfn_lint,
        gate_checkov,
        gate_parliament,
        gate_rego,
    )

    template, plan, documents = SIZES[size]()
    calls = {
        "cfn-lint": lambda: (
            __import__("cfnlint.api"),
            gate_cfn_lint.run(template, ["us-east-1"], {}, {}),
        ),
        "checkov": lambda: gate_checkov.run(plan, "dev", {}, "checkov"),
        "parliament": lambda: (__import__("parliament"), gate_parliament.run(documents, {})),
        "rego": lambda: gate_rego.run(plan, str(ROOT / "policies" / "seed"), None, str(ROOT / "policies")),
    }
    imported = time.monotonic()
    calls[tool]()
    done = time.monotonic()
    return {
        "import": round(imported - began, 2),
        "run": round(done - imported, 2),
        "total": round(done - began, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("TOOL", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return
    print(f"| tool | size | import s | run s | wall s | CPU s | (medians of {args.rounds} cold processes) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for tool in TOOLS:
        for size in SIZES:
            if size == "empty" and tool != "checkov":
                continue
            runs = []
            for _ in range(args.rounds):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                done = subprocess.run(
                    [sys.executable, __file__, "--one", tool, size],
                    check=True,
                    env=dict(os.environ),
                    capture_output=True,
                    text=True,
                )
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                runs.append(dict(json.loads(done.stdout), cpu=cpu))
            cells = [
                f"{statistics.median(r[k] for r in runs):.2f}" for k in ("import", "run", "total", "cpu")
            ]
            print(f"| {tool} | {size} | " + " | ".join(cells) + " | |")


if __name__ == "__main__":
    main()
