"""Shared fixtures: a fresh local AWS emulator on a free loopback port."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_aws.server import Emulator, start  # noqa: E402

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


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


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
