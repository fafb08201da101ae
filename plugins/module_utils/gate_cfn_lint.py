# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""cfn-lint, in-process, on the CloudFormation rendering of the plan.

Offline by construction: cfn-lint reads the resource schemas it ships (cfnlint/data). Its network
calls are all maintenance commands of its CLI (--update-specs and --update-specs --force: the enhanced
schemas zip and its version file; --update-iam-policies: the IAM service reference;
--update-documentation), reached only through cfnlint.runner.cli; cfnlint.api.lint never calls them.
The ManualArgs below still name them off, so a future default cannot turn them on silently."""

from __future__ import annotations

import json

try:
    from cfnlint.api import ManualArgs, lint

    HAS_CFN_LINT = True
except ImportError:  # reported by the module with missing_required_lib
    HAS_CFN_LINT = False

TOOL = "cfn-lint"
# The CLI's maintenance switches (each would fetch from AWS); lint() does not read them.
OFFLINE = {"update_specs": False, "update_iam_policies": False, "update_documentation": False}


def _resource(path: list) -> str:
    if len(path) > 1 and path[0] == "Resources":
        return str(path[1])
    return "/".join(str(p) for p in path) or "template"


def run(template: dict, regions: list[str], ignore: dict[str, str], promote: dict[str, str]) -> dict:
    """Lint ``template``: errors and promoted warnings fail, other warnings are listed."""
    config = ManualArgs(regions=regions, ignore_checks=sorted(ignore), **OFFLINE)
    seen, failures, warnings = set(), [], []
    for match in lint(json.dumps(template), config=config):
        rule = match.rule.id
        line = f"{TOOL} {rule} {_resource(list(match.path))}: {match.message}"
        if line in seen:
            continue
        seen.add(line)
        if rule.startswith("E") or rule in promote:
            failures.append(line)
        elif rule.startswith("W"):
            warnings.append(line)
    return {
        "failures": failures,
        "warnings": warnings,
        "summary": {"errors": len(failures), "warnings": len(warnings), "ignored_rules": len(ignore)},
    }
