"""A module runs on the target from an AnsiballZ payload, which carries module_utils only: nothing a
module imports, directly or through module_utils, may come from plugins/filter (validate.yml's live
reading once failed so, while every test of the renderers on the controller passed)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ansible_collections.pathwai.airflow_ecs.plugins"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            yield node.module.split(".")[3:], [alias.name for alias in node.names]


def reaches_filters(module: Path) -> list[str]:
    """The chain of files by which ``module`` imports a filter plugin (empty when it does not)."""
    seen, stack = {module}, [(module, [module.name])]
    while stack:
        path, chain = stack.pop()
        for parts, names in _imports(path):
            if parts[1] == "filter":
                return [*chain, ".".join(parts)]
            for candidate in [ROOT.joinpath(*parts).with_suffix(".py")] + [
                ROOT.joinpath(*parts, name).with_suffix(".py") for name in names
            ]:
                if candidate.exists() and candidate not in seen:
                    seen.add(candidate)
                    stack.append((candidate, [*chain, candidate.name]))
    return []


def test_no_module_imports_a_filter_plugin():
    found = {m.name: reaches_filters(m) for m in sorted((ROOT / "plugins" / "modules").glob("*.py"))}
    assert {name: chain for name, chain in found.items() if chain} == {}


def test_the_check_follows_module_utils(tmp_path):
    """The check sees a filter import two module_utils away (plan_network imports the network filter)."""
    chain = reaches_filters(ROOT / "plugins" / "module_utils" / "plan_network.py")
    assert chain and chain[-1].endswith("filter.network"), chain
