"""Shared fixtures: a fresh local AWS emulator on a free loopback port, one deployed stack per
session for the tests that only read it, and how the suite is spread over pytest-xdist workers."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from ansible_run import run_playbook  # noqa: E402

from local_aws.server import Emulator, start  # noqa: E402

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Tests that share the session's deployed stack (`deployed_stack`): one xdist worker runs them
# all, in this order (the e2e proof first, on the fresh stack; the live plan rendering, which only
# reads; test_site's destroy last).
STACK_GROUP = "stack"
STACK_MODULES = ("tests/e2e/", "tests/integration/test_plan_live.py", "tests/integration/test_site.py")
# Scenarios run one per scope (each has its own emulator), slowest first.
MOLECULE = "tests/integration/test_molecule.py"
TIMES_FILE = ROOT / "reports" / "test-times.json"


def _emulator(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator = start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_URL"):
        monkeypatch.delenv(name, raising=False)
    return emulator


@pytest.fixture
def aws_endpoint(monkeypatch: pytest.MonkeyPatch):
    """A fresh emulator for one test; AWS_ENDPOINT_URL and dummy credentials are set."""
    emulator = _emulator(monkeypatch)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def module_aws_endpoint():
    """One emulator shared by the tests of a module (for expensive setups)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        emulator = _emulator(monkeypatch)
        yield emulator
        emulator.stop()


@pytest.fixture(scope="session")
def deployed_stack():
    """site.yml applied once (with -vvv, for the secret-leak check) into one emulator, shared by the
    tests of the `stack` group: the e2e proof reads it, test_site re-runs, audits, mutates and undoes,
    then rolls out and finally destroys it. Returns the emulator, the first run and its seconds."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        emulator = _emulator(monkeypatch)
        began = time.monotonic()
        first = run_playbook("site.yml", "-vvv")
        assert first.rc == 0, first.output[-6000:]
        yield {"emulator": emulator, "first": first, "seconds": round(time.monotonic() - began, 1)}
        emulator.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--with-e2e",
        action="store_true",
        help="also run tests/e2e (real Airflow from the deployed task definitions; make test does)",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))


def work_unit(nodeid: str) -> str:
    """What one xdist worker runs as a unit: the stack tests together (they share the session's
    deployed stack), each molecule scenario alone (each has its own emulator), every other test
    module whole (a module-scoped emulator must not be reset by another test's emulator in the same
    process: moto keeps its state per process)."""
    path = nodeid.split("::", 1)[0].replace("\\", "/")
    if path.startswith(STACK_MODULES):
        return STACK_GROUP
    return nodeid if path == MOLECULE else path


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadscope` with the work units above (xdist's own `loadgroup` renames node ids, which
    pytest 9 no longer allows). With `--no-loadscope-reorder` the units go out in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class SuiteScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SuiteScheduling(config, log)


def _order(item: pytest.Item) -> tuple[int, int]:
    path = item.nodeid.split("::", 1)[0]
    if path.startswith(STACK_MODULES):
        return (0, STACK_MODULES.index(next(p for p in STACK_MODULES if path.startswith(p))))
    if path == MOLECULE:
        slowest = ("compute", "monitoring", "data", "alb", "network", "endpoints", "kms")
        role = item.callspec.params.get("role", "") if hasattr(item, "callspec") else ""
        return (1, slowest.index(role) if role in slowest else len(slowest))
    return (2, 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long units first (the stack, then the molecule scenarios, slowest first), so that the
    two workers finish together; collection order otherwise."""
    items.sort(key=_order)


# Seconds per test file (setup + call + teardown), gathered on the controller (under xdist too).
_TIMES: dict[str, dict] = {}
_STARTED = time.monotonic()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _TIMES.setdefault(report.nodeid.split("::", 1)[0], {"seconds": 0.0, "tests": 0})
    entry["seconds"] += report.duration
    entry["tests"] += report.when == "call"


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    if not _TIMES or hasattr(config, "workerinput"):
        return
    wall = time.monotonic() - _STARTED
    total = sum(entry["seconds"] for entry in _TIMES.values())
    terminalreporter.section("time per test file (setup + call + teardown)")
    for path, entry in sorted(_TIMES.items(), key=lambda kv: -kv[1]["seconds"]):
        share = 100 * entry["seconds"] / total if total else 0
        line = f"{entry['seconds']:8.1f} s {share:5.1f} % {entry['tests']:4d} tests  {path}"
        terminalreporter.write_line(line)
    workers = getattr(config.option, "numprocesses", None) or 1
    terminalreporter.write_line(f"{total:8.1f} s of tests in {wall:.1f} s of wall time, {workers} worker(s)")
    TIMES_FILE.parent.mkdir(exist_ok=True)
    TIMES_FILE.write_text(json.dumps({"wall_seconds": round(wall, 1), "files": _TIMES}, indent=2) + "\n")
