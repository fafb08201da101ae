"""tests/e2e runs only when asked for (``make e2e`` = ``pytest -m e2e tests/e2e``): it deploys
site.yml, needs .e2e-venv and PostgreSQL/Redis, and takes about 14 minutes. A plain ``pytest``
deselects it and says so in its summary (it is never silently skipped)."""

from __future__ import annotations

import pytest

DESELECTED_KEY = pytest.StashKey[int]()


def _asked_for(config: pytest.Config) -> bool:
    return "e2e" in (config.option.markexpr or "")


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
            "~14 min): `make test` runs them next; alone: `make e2e` or `pytest -m e2e tests/e2e`",
            yellow=True,
        )
    import stack

    report = config.stash.get(stack.REPORT_KEY, None)
    if report:
        terminalreporter.section("e2e report")
        terminalreporter.write_line(stack.render(report))
