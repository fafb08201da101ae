"""Names come from one helper (module_utils/layer_names.py, filter airflow_names): no role, playbook
or plugin writes ``<prefix>-alb``, ``<prefix>-db``, ... again, so a layer and the later layers
that find it cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import PATTERNS, names

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = sorted(
    {p.split("{p}", 1)[1] for p in PATTERNS.values() if p.split("{p}", 1)[1].strip("-")},
    key=len,
    reverse=True,
)
# `{{ x_name_prefix }}-alb`, `x_name_prefix ~ '-alb'`, f"{prefix}-alb", f"{live.prefix}-alb", ...
WRITTEN = re.compile(
    r"(?:name_prefix\s*}}|name_prefix\s*~\s*'|\{(?:v\['\w*name_prefix'\]|prefix|live\.prefix|params\['name_prefix'\])\})"
    r"(?:" + "|".join(re.escape(s) for s in SUFFIXES) + r")\b"
)


def _sources():
    for top in ("roles", "playbooks", "plugins", "site.yml"):
        path = ROOT / top
        for file in [path] if path.is_file() else path.rglob("*"):
            if (
                file.suffix in (".yml", ".py")
                and "molecule" not in file.parts
                and file.name != "layer_names.py"
            ):
                yield file


def test_every_layer_name_comes_from_the_helper():
    found = [
        f"{file.relative_to(ROOT)}:{n}: {line.strip()}"
        for file in _sources()
        for n, line in enumerate(file.read_text().splitlines(), 1)
        if WRITTEN.search(line)
    ]
    assert found == []


def test_the_check_finds_a_name_written_out():
    assert WRITTEN.search('compute_alb_name: "{{ compute_name_prefix }}-alb"')
    assert WRITTEN.search('    instance = live_reads.db_instance(rds, f"{live.prefix}-db")')
    assert not WRITTEN.search('compute_alb_name: "{{ compute_names.alb }}"')


def test_names():
    assert names("airflow-prod")["alb"] == "airflow-prod-alb"
    assert names("airflow-prod")["exec_log_group"] == "/ecs/airflow-prod-exec"
