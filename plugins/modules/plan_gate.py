#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: plan_gate
short_description: Judge a rendered plan with cfn-lint, Checkov, parliament and the seed's Rego before any AWS call
version_added: 0.1.0
description:
  - Runs the rulebooks AWS users already rely on over the plan of one environment, rendered twice (as a
    CloudFormation template and as the JSON of C(terraform show -json)) plus every IAM policy document in
    it, and fails when any of them refuses the plan.
  - B(cfn-lint) (in-process) on O(template) with its AWS resource schemas (property patterns, lengths,
    enumerations, engine versions). Every error fails; warnings are listed, except the rules the
    O(cfn_lint_rules) file promotes to failures (for example W3691, a deprecated RDS engine version that
    cannot be used for a new instance). Rules that file ignores are not run.
  - B(Checkov) (a subprocess, framework C(terraform_plan)) on O(plan), every check that applies to the
    plan's resource types, graph checks (C(CKV2_AWS_*)) included. A failed check fails unless the
    O(checkov_skips) file names it for O(env) with a reason. Skip entries that match nothing are warned.
  - B(parliament) (in-process) on every document of O(policy_documents). Unknown actions or service
    prefixes, actions whose resource types do not match the statement's resources, malformed conditions
    (unknown operator, a key the action does not support, a mismatched type) and malformed documents fail;
    any other finding is listed. The O(parliament_exceptions) file lists, with reasons, real actions that
    parliament's bundled IAM data predates and (operator, condition key) pairs AWS documents but parliament
    types otherwise; the findings they alone cause are listed instead of failing.
  - B(Rego) (regopy, in-process) - the seed's policy (O(policy_dir)C(/seed/*.rego), package
    C(terraform.analysis), rule C(deny)) on O(plan) and, when O(audit) is given, the collection's own
    policies (O(policy_dir)C(/*.rego), package C(airflow.audit)) as M(pathwai.airflow_ecs.airflow_audit) runs them.
  - Makes no AWS call and no network connection at all. Every download, update check, telemetry and platform
    call of these tools is switched off (Checkov runs with C(--skip-download), without any API key, with
    C(CKV_SKIP_PACKAGE_UPDATE_CHECK=true), and only its C(terraform_plan) framework).
  - Only reads, so it runs the same in check mode and never reports a change.
author:
  - pathwai platform engineering
requirements:
  - cfn-lint
  - parliament
  - regopy
  - checkov (an executable, O(checkov_executable); it may live in its own virtual environment)
options:
  env:
    description: The environment judged (the Checkov skip list's C(environments) are matched against it).
    type: str
    required: true
  template:
    description: The plan as a CloudFormation template (C(AWSTemplateFormatVersion), C(Resources)).
    type: dict
    required: true
  plan:
    description:
      - The plan as the JSON of C(terraform show -json) (C(resource_changes), C(planned_values),
        C(configuration)).
    type: dict
    required: true
  policy_documents:
    description: Every policy document of the plan.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: What the document belongs to, used in messages (for example C(airflow-dev-worker-task/s3)).
        type: str
        required: true
      kind:
        description: C(identity) (a role's policy), C(resource) (bucket, key, topic, endpoint, file-system policy) or C(trust).
        type: str
        required: true
        choices: [identity, resource, trust]
      document:
        description: The policy document (a dict or its JSON text).
        type: raw
        required: true
  policy_dir:
    description:
      - The collection's C(policies/) directory. The seed's Rego is read from its C(seed/) folder, the
        collection's own policies from the directory itself, the tools' lists from its C(gate/) folder
        unless given below.
    type: path
    required: true
  regions:
    description: The regions cfn-lint validates the template for (the environment's region).
    type: list
    elements: str
    default: [us-east-1]
  checkov_executable:
    description: The Checkov executable (a name looked up in C(PATH), or a path).
    type: str
    default: checkov
  checkov_timeout:
    description: Seconds Checkov may take before the gate fails.
    type: int
    default: 600
  cfn_lint_rules:
    description: YAML file with C(ignore) and C(promote) lists, each entry C(rule) and C(reason).
    type: path
  checkov_skips:
    description: YAML file with a C(skips) list, each entry C(id), C(environments) (names, or C(all)), C(reason) and optionally C(resources) (the only Checkov resource addresses it covers).
    type: path
  parliament_exceptions:
    description:
      - YAML file with a C(known_actions) list (each entry C(action), C(reason)) and a C(condition_types)
        list (each entry C(operator), C(key), C(reason)).
    type: path
  audit:
    description:
      - Also evaluate the collection's own policies on O(plan), with the inputs
        M(pathwai.airflow_ecs.airflow_audit) gives them. Omitted, only the seed's policy runs.
    type: dict
    suboptions:
      name_prefix: {description: The resource-name prefix (C(<project>-<env>)), type: str, required: true}
      required_interface_endpoints: {description: Services that must have an interface endpoint, type: list, elements: str, default: []}
      required_gateway_endpoints: {description: Services that must have a gateway endpoint, type: list, elements: str, default: []}
      required_kms_purposes: {description: Purposes that must have a customer-managed key, type: list, elements: str, default: []}
      data: {description: Whether the plan carries the data layer, type: bool, default: false}
      compute: {description: Whether the plan carries the compute layer, type: bool, default: false}
  report_only:
    description: Return the verdict without failing the task when the plan does not pass.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Judge the plan rendered from the inventory
  pathwai.airflow_ecs.plan_gate:
    env: "{{ airflow_env }}"
    template: "{{ rendered.template }}"
    plan: "{{ rendered.plan }}"
    policy_documents: "{{ rendered.policy_documents }}"
    policy_dir: "{{ playbook_dir }}/../policies"
    regions: ["{{ airflow_region }}"]
    checkov_executable: "{{ playbook_dir }}/../.gate-venv/bin/checkov"
  register: gate

- name: Print the summary
  ansible.builtin.debug:
    var: gate.summary
"""

RETURN = r"""
passed:
  description: True when no tool refused the plan.
  returned: always
  type: bool
failures:
  description: "Every refusal, as C(<tool> <rule-id> <resource>: <message>)."
  returned: always
  type: list
  elements: str
  sample: ["checkov CKV_AWS_19 aws_s3_bucket.dags: Ensure all data stored in the S3 bucket is securely encrypted at rest",
           "cfn-lint E3031 DagSyncSg: 'DAG sync service (S3 -> EFS)' does not match '^([a-z,A-Z,0-9,. _...])*$'",
           "parliament UNKNOWN_ACTION airflow-dev-worker-task/s3: Unknown action s3:GetObjekt",
           "rego terraform.analysis.deny aws_nat_gateway.a: NAT Gateway not allowed"]
listed:
  description:
    - Findings listed without failing (cfn-lint warnings, other parliament findings, Checkov skip entries
      that match nothing), same format. (Not C(warnings), a key Ansible reserves for its own.)
  returned: always
  type: list
  elements: str
skipped:
  description: Checkov checks that failed but are skipped for this environment, with the skip's reason.
  returned: always
  type: list
  elements: str
summary:
  description: Counts per tool; Checkov's are keyed by environment.
  returned: always
  type: dict
  sample:
    cfn-lint: {errors: 0, warnings: 1, ignored_rules: 1}
    checkov: {dev: {passed: 46, failed: 0, skipped: 4, resources: 16}}
    parliament: {documents: 4, failed: 0, listed: 1}
    rego: {seed_policies: 1, audit_policies: 0, denied: 0}
seconds:
  description: Wall time each tool took (Checkov's, from its start to its report, overlaps the others').
  returned: always
  type: dict
  sample: {cfn-lint: 1.2, checkov: 2.3, parliament: 0.1, rego: 0.05}
"""

import os
import time

try:
    import yaml
except ImportError:
    pass  # ansible-core requires PyYAML

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import (
    gate_cfn_lint,
    gate_checkov,
    gate_parliament,
    gate_rego,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import HAS_REGOPY


def _entries(path: str, key: str, *fields: str) -> dict:
    """The ``key`` list of the YAML file at ``path``, by its ``fields`` (one, or a tuple of several);
    every entry must have them all and a one-line reason."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    out = {}
    for entry in data.get(key) or []:
        if not isinstance(entry, dict) or not all(entry.get(f) for f in (*fields, "reason")):
            raise ValueError(
                f"{path}: every {key} entry needs {', '.join(fields)} and a one-line reason: {entry!r}"
            )
        if key == "skips" and not entry.get("environments"):
            raise ValueError(f"{path}: skip {entry['id']} names no environments (a list, or [all])")
        ident = tuple(str(entry[f]) for f in fields)
        out[ident[0] if len(ident) == 1 else ident] = entry
    return out


def _timed(seconds: dict, tool: str, call, *args):
    began = time.monotonic()
    try:
        return call(*args)
    finally:
        seconds[tool] = round(time.monotonic() - began, 2)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            env=dict(type="str", required=True),
            template=dict(type="dict", required=True),
            plan=dict(type="dict", required=True),
            policy_documents=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    kind=dict(type="str", required=True, choices=["identity", "resource", "trust"]),
                    document=dict(type="raw", required=True),
                ),
            ),
            policy_dir=dict(type="path", required=True),
            regions=dict(type="list", elements="str", default=["us-east-1"]),
            checkov_executable=dict(type="str", default="checkov"),
            checkov_timeout=dict(type="int", default=600),
            cfn_lint_rules=dict(type="path"),
            checkov_skips=dict(type="path"),
            parliament_exceptions=dict(type="path"),
            audit=dict(
                type="dict",
                options=dict(
                    name_prefix=dict(type="str", required=True),
                    required_interface_endpoints=dict(type="list", elements="str", default=[]),
                    required_gateway_endpoints=dict(type="list", elements="str", default=[]),
                    required_kms_purposes=dict(type="list", elements="str", default=[]),
                    data=dict(type="bool", default=False),
                    compute=dict(type="bool", default=False),
                ),
            ),
            report_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    for present, lib in (
        (gate_cfn_lint.HAS_CFN_LINT, "cfn-lint"),
        (gate_parliament.HAS_PARLIAMENT, "parliament"),
        (HAS_REGOPY, "regopy"),
    ):
        if not present:
            module.fail_json(msg=missing_required_lib(lib))
    p = module.params
    if not p["plan"].get("resource_changes") or not p["template"].get("Resources"):
        module.fail_json(
            msg="Nothing to judge: the plan has no resource_changes or the template no Resources"
        )
    gate_dir = os.path.join(p["policy_dir"], "gate")
    try:
        cfn_ignore = _entries(
            p["cfn_lint_rules"] or os.path.join(gate_dir, "cfn-lint-ignore.yml"), "ignore", "rule"
        )
        cfn_promote = _entries(
            p["cfn_lint_rules"] or os.path.join(gate_dir, "cfn-lint-ignore.yml"), "promote", "rule"
        )
        skips = _entries(p["checkov_skips"] or os.path.join(gate_dir, "checkov-skips.yml"), "skips", "id")
        exceptions = p["parliament_exceptions"] or os.path.join(gate_dir, "parliament-exceptions.yml")
        known = _entries(exceptions, "known_actions", "action")
        condition_types = {
            pair: entry["reason"]
            for pair, entry in _entries(exceptions, "condition_types", "operator", "key").items()
        }
    except (OSError, ValueError, yaml.YAMLError) as e:
        module.fail_json(msg=f"Cannot read the gate's lists: {e}")

    audit = None
    if p["audit"] is not None:
        a = p["audit"]
        audit = {
            "env": p["env"],
            "name_prefix": a["name_prefix"],
            "required": {
                "interface_endpoints": a["required_interface_endpoints"],
                "gateway_endpoints": a["required_gateway_endpoints"],
                "kms_purposes": a["required_kms_purposes"],
                "data": a["data"],
                "compute": a["compute"],
            },
        }
    seconds, results, scan = {}, {}, None
    try:
        # Checkov (a subprocess, mostly start-up) runs while the in-process tools do.
        scan = gate_checkov.Scan(p["plan"], p["checkov_executable"], p["checkov_timeout"])
        results["cfn-lint"] = _timed(
            seconds, "cfn-lint", gate_cfn_lint.run, p["template"], p["regions"], cfn_ignore, cfn_promote
        )
        known_reasons = {action: entry["reason"] for action, entry in known.items()}
        results["parliament"] = _timed(
            seconds, "parliament", gate_parliament.run, p["policy_documents"], known_reasons, condition_types
        )
        results["rego"] = _timed(
            seconds,
            "rego",
            gate_rego.run,
            p["plan"],
            os.path.join(p["policy_dir"], "seed"),
            audit,
            p["policy_dir"],
        )
        results["checkov"] = gate_checkov.judge(
            scan.reports(), p["env"], skips, gate_checkov.managed_count(p["plan"])
        )
        seconds["checkov"] = round(time.monotonic() - scan.began, 2)
    except Exception as e:  # OSError, RuntimeError, a tool's own crash: none may pass the gate
        if scan is not None and "checkov" not in results:
            scan.abort()
        module.fail_json(msg=f"The gate could not run: {type(e).__name__}: {e}", seconds=seconds)

    failures = [line for r in results.values() for line in r["failures"]]
    result = dict(
        changed=False,
        passed=not failures,
        failures=failures,
        listed=[line for r in results.values() for line in r["warnings"]],
        skipped=results["checkov"]["skipped"],
        summary={tool: r["summary"] for tool, r in results.items()},
        seconds=seconds,
    )
    if failures and not p["report_only"]:
        module.fail_json(msg=f"The plan for {p['env']} fails the gate: " + "; ".join(failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
