"""The collection's own ``plugins/module_utils`` modules, for extensions that share their rules.

Those modules are imported by Ansible as ``ansible_collections.pathwai.airflow_ecs.plugins.
module_utils.<name>``; the emulator runs outside Ansible, so it loads the file of the same
checkout by path. Only self-contained modules (no Ansible imports) can be loaded this way.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FOLDER = Path(__file__).resolve().parents[1] / "plugins" / "module_utils"


def load(name: str) -> ModuleType:
    """``plugins/module_utils/<name>.py`` of this checkout, imported once."""
    qualified = f"local_aws.module_utils.{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(qualified, FOLDER / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
    return sys.modules[qualified]
