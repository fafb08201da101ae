"""Extensions to moto, each faithful to botocore's service model. Listed in the README's emulator table."""

from __future__ import annotations

import importlib
import pkgutil

_applied = False


def apply() -> None:
    """Import every extension module once; each patches moto when imported."""
    global _applied
    if _applied:
        return
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.apply()
    _applied = True
