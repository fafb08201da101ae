"""tests/e2e runs only when asked for (``make test`` passes ``--with-e2e``; ``make e2e`` =
``pytest -m e2e tests/e2e``): it needs .e2e-venv and PostgreSQL/Redis, and takes about 10 minutes on
the session's deployed stack. A plain ``pytest`` deselects it and says so in its summary (it is never
silently skipped)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack

_STARTED = time.time()

DESELECTED_KEY = pytest.StashKey[int]()


def _asked_for(config: pytest.Config) -> bool:
    return "e2e" in (config.option.markexpr or "") or config.getoption("with_e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _asked_for(config):
        return
    mine = [item for item in items if "tests/e2e/" in item.nodeid.replace("\\", "/")]
    if mine:
        items[:] = [item for item in items if item not in mine]
        config.hook.pytest_deselected(items=mine)
        config.stash[DESELECTED_KEY] = len(mine)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    deselected = config.stash.get(DESELECTED_KEY, 0)
    if deselected:
        terminalreporter.write_line(
            f"tests/e2e: {deselected} tests deselected (real Airflow from the deployed task definitions, "
            "~10 min): `make test` runs them (--with-e2e); alone: `make e2e` or `pytest -m e2e tests/e2e`",
            yellow=True,
        )
    report = config.stash.get(stack.REPORT_KEY, None)
    if report is None and stack.REPORT.exists() and stack.REPORT.stat().st_mtime >= _STARTED:
        report = json.loads(stack.REPORT.read_text())  # written by an xdist worker in this run
    if report:
        terminalreporter.section("e2e report")
        terminalreporter.write_line(stack.render(report))
