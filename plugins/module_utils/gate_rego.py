# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Rego on the Terraform-plan rendering, with regopy (in-process, no network): the seed's own policy
(policies/seed/*.rego, package terraform.analysis, unmodified) and, when asked, the collection's
policies (policies/*.rego, package airflow.audit) with the inputs airflow_audit gives them."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

TOOL = "rego"
SEED_QUERY = "data.terraform.analysis.deny"


def _lines(query: str, messages: list[str]) -> list[str]:
    rule = query.removeprefix("data.")
    out = []
    for message in messages:
        # The policies' messages end with the resource address ("...: aws_nat_gateway.a").
        text, _, resource = message.rpartition(": ")
        out.append(f"{TOOL} {rule} {resource}: {text}" if text else f"{TOOL} {rule} plan: {message}")
    return out


def run(plan: dict, seed_dir: str, audit: dict | None, audit_dir: str) -> dict:
    """Deny messages of the seed's policy, and of the collection's when ``audit`` is given."""
    seed = load_policies(seed_dir)
    failures = _lines(SEED_QUERY, evaluate(seed, plan, SEED_QUERY))
    summary = {"seed_policies": len(seed), "audit_policies": 0}
    if audit is not None:
        policies = load_policies(audit_dir)
        document = dict(audit, source="plan", resource_changes=plan.get("resource_changes", []))
        failures += _lines("data.airflow.audit.deny", evaluate(policies, document))
        summary["audit_policies"] = len(policies)
    summary["denied"] = len(failures)
    return {"failures": failures, "warnings": [], "summary": summary}
