# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Evaluate Rego policies with regopy: the collection's (policies/*.rego, package airflow.audit) by
default, or any other package's rule given its query (the seed's data.terraform.analysis.deny)."""

from __future__ import annotations

import json
import os

QUERY = "data.airflow.audit.deny"

try:
    from regopy import Interpreter

    HAS_REGOPY = True
except ImportError:  # reported by the module with missing_required_lib
    HAS_REGOPY = False


def load_policies(policy_dir: str) -> dict[str, str]:
    """Every ``*.rego`` file of ``policy_dir`` by file name."""
    names = sorted(n for n in os.listdir(policy_dir) if n.endswith(".rego"))
    if not names:
        raise ValueError(f"no .rego policy in {policy_dir}")
    policies = {}
    for name in names:
        with open(os.path.join(policy_dir, name), encoding="utf-8") as handle:
            policies[name] = handle.read()
    return policies


def evaluate(policies: dict[str, str], document: dict, query: str = QUERY) -> list[str]:
    """The sorted messages ``query`` (a set rule) gives for ``document``."""
    interpreter = Interpreter()
    for name, text in policies.items():
        interpreter.add_module(name, text)
    interpreter.set_input(document)
    output = json.loads(str(interpreter.query(query)))
    if "expressions" not in output:
        raise RuntimeError(f"Rego evaluation failed: {output}")
    return sorted(output["expressions"][0])
