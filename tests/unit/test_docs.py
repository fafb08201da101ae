"""ansible-doc documents every module (description, options, examples, return values) and every
role (its argument specs' entry points), as users read them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

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


# What the emulator does belongs in local_aws's docs (README "The local AWS emulator"), not in ansible-doc.
EMULATOR_WORDS = re.compile(r"emulat|\bmoto\b|local_aws|LOCAL_AWS_|Stubber|tests/", re.IGNORECASE)


def test_module_docs_describe_aws_not_the_emulator():
    names = [f"pathwai.airflow_ecs.{p.stem}" for p in sorted((ROOT / "plugins/modules").glob("*.py"))]
    docs = _doc("module", names)
    assert sorted(docs) == sorted(names)
    texts = {name: json.dumps([e["doc"], e.get("examples"), e.get("return")]) for name, e in docs.items()}
    found = {name: sorted(set(EMULATOR_WORDS.findall(text))) for name, text in texts.items()}
    found = {name: words for name, words in found.items() if words}
    assert not found, f"ansible-doc text about the emulator or the tests: {found}"


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


def test_argument_specs_document_every_default():
    """meta/argument_specs.yml is the reference: each variable of defaults/main.yml is an option of
    the role's main entry point, with a description."""
    undocumented = {}
    for defaults in sorted(ROOT.glob("roles/*/defaults/main.yml")):
        role = defaults.parent.parent
        spec = yaml.safe_load((role / "meta/argument_specs.yml").read_text())
        options = spec["argument_specs"]["main"].get("options") or {}
        missing = [
            name
            for name in yaml.safe_load(defaults.read_text()) or {}
            if not (options.get(name) or {}).get("description")
        ]
        if missing:
            undocumented[role.name] = missing
    assert undocumented == {}, f"defaults without an argument_specs option and description: {undocumented}"


def test_no_module_claims_a_release_after_the_collections():
    """``version_added`` (the module's and its options') is never later than galaxy.yml's version."""
    from packaging.version import Version

    release = Version(yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"])
    names = [f"pathwai.airflow_ecs.{p.stem}" for p in sorted((ROOT / "plugins/modules").glob("*.py"))]
    late = []
    for name, entry in _doc("module", names).items():
        found = [entry["doc"].get("version_added")]
        found += [o.get("version_added") for o in (entry["doc"].get("options") or {}).values()]
        late += [f"{name}: {v}" for v in found if v and Version(str(v)) > release]
    assert late == [], late
