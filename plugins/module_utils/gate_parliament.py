# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""parliament, in-process, on every policy document (identity, resource and trust policies).

Findings that AWS would refuse or that make a statement mean something else fail the gate: unknown
actions and service prefixes, actions whose resource types do not match the statement's resources,
malformed conditions (unknown operator, a key the action does not support, a mismatched value type)
and malformed documents. Every other finding (Resource "*", old version, ...) is listed.

Offline by construction: parliament reads the IAM definitions it ships (parliament/iam_definition.json)
and its config.yaml; analyze_policy_string makes no call (its data refresh is a maintainer script not
in the package, and the CLI's --aws-managed-policies reads a local directory). Community auditors
(which import policy_sentry's local database) stay off: include_community_auditors=False."""

from __future__ import annotations

import json

try:
    import parliament

    HAS_PARLIAMENT = True
except ImportError:  # reported by the module with missing_required_lib
    HAS_PARLIAMENT = False

TOOL = "parliament"
FAILING = frozenset(
    {
        # unknown actions
        "UNKNOWN_ACTION",
        "UNKNOWN_PREFIX",
        # actions whose resource types do not match the Resource element
        "RESOURCE_MISMATCH",
        # malformed conditions
        "UNKNOWN_OPERATOR",
        "UNKNOWN_CONDITION_FOR_ACTION",
        "MISMATCHED_TYPE",
        "MISMATCHED_TYPE_OPERATION_TO_NULL",
        # malformed documents
        "MALFORMED",
        "MALFORMED_JSON",
        "INVALID_ARN",
        "INVALID_SID",
        "INVALID_VERSION",
        "DUPLICATE_SID",
        "EXCEPTION",
    }
)
# A trust policy has no Resource element by definition (the role is the resource).
TRUST_NO_RESOURCE = "Statement contains neither Resource nor NotResource"


def _action(finding) -> str | None:
    location = finding.location or {}
    return location.get("string") if finding.issue == "UNKNOWN_ACTION" else None


def _detail(detail) -> str:
    if isinstance(detail, list):
        head = ", ".join(str(d) for d in detail[:5])
        return head + (f" (+{len(detail) - 5} more)" if len(detail) > 5 else "")
    return str(detail)


def run(documents: list[dict], known_actions: dict[str, str]) -> dict:
    """Lint each ``{name, kind, document}``; ``known_actions`` are real actions parliament's data lacks."""
    failures, warnings, allowed = [], [], []
    for item in documents:
        text = item["document"] if isinstance(item["document"], str) else json.dumps(item["document"])
        for finding in parliament.analyze_policy_string(text).findings:
            if (
                item["kind"] == "trust"
                and finding.issue == "MALFORMED"
                and finding.detail == TRUST_NO_RESOURCE
            ):
                continue
            action = _action(finding)
            line = f"{TOOL} {finding.issue} {item['name']}: {_detail(finding.detail)}"
            if action in known_actions:
                allowed.append(f"{line} (allowed: {known_actions[action]})")
            elif finding.issue in FAILING:
                failures.append(line)
            else:
                warnings.append(line)
    return {
        "failures": failures,
        "warnings": warnings + allowed,
        "summary": {
            "documents": len(documents),
            "failed": len(failures),
            "listed": len(warnings) + len(allowed),
        },
    }
