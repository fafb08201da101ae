"""The Makefile's .PHONY is honest: it names exactly the targets that make no file of their name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def _database() -> str:
    """make's own reading of the Makefile (-p), running nothing (-q, with no goal)."""
    if not MAKEFILE.exists():
        pytest.skip("no Makefile: the built collection leaves the developer commands out")
    done = subprocess.run(
        ["make", "-pRrq", "-f", str(MAKEFILE), "-C", str(MAKEFILE.parent), ":"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout


def test_phony_lists_every_command_and_nothing_else() -> None:
    database = _database()
    (phony_line,) = re.findall(r"^\.PHONY: (.*)$", database, re.MULTILINE)
    phony = set(phony_line.split())
    text = MAKEFILE.read_text()
    # Targets written by name (not the $(STAMP)-style file targets): the commands.
    commands = set(re.findall(r"^([a-z][a-z0-9-]*):(?!=)", text, re.MULTILINE))
    assert not phony - commands, f".PHONY names targets the Makefile lacks: {sorted(phony - commands)}"
    assert not commands - phony, f"commands missing from .PHONY: {sorted(commands - phony)}"
    # Every command does something: a recipe, or prerequisites that have one (venv -> its stamp).
    for name in sorted(commands):
        entry = re.search(rf"^{re.escape(name)}:(.*)\n((?:\t.*\n)*)", text, re.MULTILINE)
        assert entry.group(1).strip() or entry.group(2), f"make {name} has neither a recipe nor prerequisites"
