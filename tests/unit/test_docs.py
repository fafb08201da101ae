"""ansible-doc documents every module (description, options, examples, return values) and every
role (its argument specs' entry points), as users read them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = str(Path(sys.executable).parent / "ansible-doc")


def _doc(kind: str, names: list[str]) -> dict:
    done = subprocess.run(
        [DOC, "--json", "-t", kind, *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_every_module_is_documented():
    names = [f"pathwai.airflow_ecs.{p.stem}" for p in sorted((ROOT / "plugins/modules").glob("*.py"))]
    docs = _doc("module", names)
    assert sorted(docs) == sorted(names)
    for name, entry in docs.items():
        doc = entry["doc"]
        assert doc.get("short_description") and doc.get("description"), name
        assert entry.get("examples", "").strip(), f"{name} has no EXAMPLES"
        assert entry.get("return"), f"{name} has no RETURN"


def test_every_role_is_documented():
    names = [
        f"pathwai.airflow_ecs.{p.parent.parent.name}"
        for p in sorted(ROOT.glob("roles/*/meta/argument_specs.yml"))
    ]
    assert len(names) == len(list(ROOT.glob("roles/*/tasks/main.yml")))
    docs = _doc("role", names)
    for name in names:
        entry_points = docs[name]["entry_points"]
        assert "main" in entry_points, name
        assert entry_points["main"].get("short_description"), name
