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
# IAM's policy grammar (identity and trust policies) limits a Sid to [0-9A-Za-z]; resource-based
# policies of other services take any Sid (KMS's default "Enable IAM User Permissions", SNS's default
# "__default_statement_ID"), so there the finding is listed.
IAM_GRAMMAR_ONLY = frozenset({"INVALID_SID"})
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


TYPE_ISSUES = ("MISMATCHED_TYPE", "MISMATCHED_TYPE_BUT_USABLE")


def _findings(text: str) -> list:
    return parliament.analyze_policy_string(text).findings


def _without(document: dict, condition_types: dict[tuple[str, str], str]) -> dict:
    """``document`` without the (operator, key) conditions that ``condition_types`` allows."""
    copy = json.loads(json.dumps(document))
    statements = copy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        if not isinstance(condition, dict):
            continue
        for operator, keys in list(condition.items()):
            if isinstance(keys, dict):
                for key in list(keys):
                    if (operator, key) in condition_types:
                        del keys[key]
                if not keys:
                    del condition[operator]
        if not condition:
            del statement["Condition"]
    return copy


def _type_exceptions(item: dict, findings: list, condition_types: dict[tuple[str, str], str]) -> dict:
    """The type findings that the allowed (operator, key) conditions alone cause: the document is
    linted again without them, and a type finding that goes away is theirs."""
    none = {"pairs": [], "reason": ""}
    if not condition_types or not any(f.issue in TYPE_ISSUES for f in findings):
        return none  # (a document parliament could not parse has no type finding)
    document = item["document"]
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement") or []
    used = {
        (op, key)
        for statement in (statements if isinstance(statements, list) else [statements])
        if isinstance(statement, dict)
        for op, keys in (statement.get("Condition") or {}).items()
        if isinstance(keys, dict)
        for key in keys
    }
    reasons = sorted({reason for pair, reason in condition_types.items() if pair in used})
    if not reasons:
        return none
    remaining = [(f.issue, str(f.detail)) for f in _findings(json.dumps(_without(document, condition_types)))]
    explained = []  # one entry per finding explained: identical findings count one by one
    for finding in findings:
        pair = (finding.issue, str(finding.detail))
        if pair in remaining:
            remaining.remove(pair)
        elif finding.issue in TYPE_ISSUES:
            explained.append(pair)
    return {"pairs": explained, "reason": "; ".join(reasons)}


def run(
    documents: list[dict],
    known_actions: dict[str, str],
    condition_types: dict[tuple[str, str], str] | None = None,
) -> dict:
    """Lint each ``{name, kind, document}``. ``known_actions``: real actions parliament's data lacks;
    ``condition_types``: (operator, key) pairs AWS documents but parliament types otherwise."""
    condition_types = condition_types or {}
    failures, warnings, allowed = [], [], []
    for item in documents:
        text = item["document"] if isinstance(item["document"], str) else json.dumps(item["document"])
        findings = _findings(text)
        typed = _type_exceptions(item, findings, condition_types)
        for finding in findings:
            if item["kind"] == "trust" and (finding.issue, finding.detail) == (
                "MALFORMED",
                TRUST_NO_RESOURCE,
            ):
                continue
            action = _action(finding)
            detail = finding.detail or (finding.location or {}).get("string", "")
            line = f"{TOOL} {finding.issue} {item['name']}: {_detail(detail)}"
            if action in known_actions:
                allowed.append(f"{line} (allowed: {known_actions[action]})")
            elif (finding.issue, str(finding.detail)) in typed["pairs"]:
                typed["pairs"].remove((finding.issue, str(finding.detail)))
                allowed.append(f"{line} (allowed: {typed['reason']})")
            elif finding.issue in FAILING and not (
                item["kind"] == "resource" and finding.issue in IAM_GRAMMAR_ONLY
            ):
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
