"""The renderers feed the gate: an inventory (or, where no variable reaches the rule, a rendered plan)
broken on purpose makes the gate fail naming the rule it breaks, for cfn-lint, Checkov, parliament
and the seed's Rego. The same inventories unbroken pass (test_each_inventory_passes).

The inventory changes below are refused earlier still, by preflight (tests/integration/
test_bad_input.py): these tests call the renderer directly to prove the gate would catch them too.
"""

from __future__ import annotations

import json
from pathlib import Path

import gate_fixtures as fx
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.plan import plan_renderings
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_live, plan_model
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_layers import (
    plan_resources,
    renderings,
)
from conftest import ModuleFailed, run_module
from plan_support import inventory_vars

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def judge(env: str, rendered: dict) -> dict:
    args = {
        "env": env,
        "template": rendered["cloudformation"],
        "plan": rendered["terraform"],
        "policy_documents": rendered["policies"],
        "policy_dir": str(POLICIES),
        "regions": ["us-east-1"],
        "checkov_executable": fx.checkov_executable(),
    }
    try:
        return run_module("plan_gate", args)
    except ModuleFailed as failed:
        return failed.result


def _set(path: str, value):
    """An inventory change: ``a.b.c`` = value in the roles' variables."""

    def change(v: dict) -> None:
        *parents, last = path.split(".")
        node = v
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _open_corporate_range(v: dict) -> None:
    """network_corporate_cidrs as the ALB group's ingress row holds it (the dump is templated)."""
    v["network_security_groups"]["alb"]["ingress"][0]["cidrs"] = ["0.0.0.0/0"]


def _worker_memory(v: dict) -> None:
    v["compute_services"].setdefault("worker", {}).update({"cpu": 1024, "memory": 3000})


# (env, inventory change, the failure line's start). Each rule is one the project relies on.
INVENTORY_MUTATIONS = {
    "sg_description_charset": (
        "dev",
        _set("network_security_groups.dag-sync.description", "DAG sync service (S3 -> EFS)"),
        "cfn-lint E3031 SgDagSync",
    ),
    "retired_postgres_minor": ("dev", _set("data_rds_engine_version", "16.8"), "cfn-lint W3691 DbInstance"),
    "fargate_size": ("dev", _worker_memory, "cfn-lint E3047 TaskdefWorker"),
    "log_retention_not_offered": (
        "dev",
        _set("compute_log_retention_days", 31),
        "cfn-lint E3030 LogsApiServer",
    ),
    "health_check_interval": ("dev", _set("alb_health_check_interval", 400), "cfn-lint E3034 AlbTargetGroup"),
    "key_rotation_off": (
        "dev",
        _set("kms_enable_key_rotation", False),
        "checkov CKV_AWS_7 aws_kms_key.KmsRds",
    ),
    "prod_single_az_database": (
        "prod",
        _set("data_rds_multi_az", False),
        "checkov CKV_AWS_157 aws_db_instance",
    ),
    "prod_database_unprotected": (
        "prod",
        _set("data_rds_deletion_protection", False),
        "checkov CKV_AWS_293 aws_db_instance",
    ),
    "database_logs_not_exported": (
        "dev",
        _set("data_rds_cloudwatch_logs_exports", []),
        "checkov CKV_AWS_129",
    ),
    "invalid_headers_kept": (
        "dev",
        _set("alb_drop_invalid_header_fields", False),
        "checkov CKV_AWS_131 aws_lb.Alb",
    ),
    "container_insights_off": (
        "dev",
        _set("compute_container_insights", "disabled"),
        "checkov CKV_AWS_65 aws_ecs_cluster",
    ),
    "open_corporate_range": ("dev", _open_corporate_range, "rego terraform.analysis.deny"),
}


@pytest.mark.parametrize("name", sorted(INVENTORY_MUTATIONS))
def test_a_broken_inventory_fails_the_gate_naming_the_rule(name):
    env, change, expected = INVENTORY_MUTATIONS[name]
    v = inventory_vars(env)
    change(v)
    result = judge(env, plan_renderings(v))
    assert result["passed"] is False
    assert any(line.startswith(expected) for line in result["failures"]), result["failures"]


def test_the_open_range_is_the_seeds_rule():
    v = inventory_vars("dev")
    _open_corporate_range(v)
    failures = judge("dev", plan_renderings(v))["failures"]
    seed = "rego terraform.analysis.deny aws_security_group_rule.SgAlbIngress"
    assert any(f.startswith(seed) and "with 0.0.0.0/0 not allowed" in f for f in failures), failures


def test_a_nat_gateway_in_the_plan_fails_the_seeds_rule():
    """No variable makes the roles create a NAT gateway (preflight refuses network_nat_gateway):
    the rendered plan gets one, as a live account could hold."""
    v = inventory_vars("dev")
    nat = plan_model.resource(
        "AWS::EC2::NatGateway",
        "Nat",
        {
            "SubnetId": plan_model.ref(plan_model.subnet_id("private", "us-east-1a")),
            "ConnectivityType": "public",
        },
    )
    rendered = renderings([*plan_resources(v), nat], "us-east-1", "nat", plan_live.TERRAFORM)
    rendered["policies"] = []
    failures = judge("dev", rendered)["failures"]
    seed = "rego terraform.analysis.deny aws_nat_gateway.Nat: NAT Gateway not allowed"
    assert any(f.startswith(seed) for f in failures), failures


def test_a_writable_root_file_system_in_the_plan_fails_checkov():
    """No variable gives a container a writable root (compute sets readonlyRootFilesystem on every
    container): the rendered plan's worker gets one, as a hand-registered revision could."""
    rendered = plan_renderings(inventory_vars("dev"))
    address = "aws_ecs_task_definition.TaskdefWorker"
    plan = rendered["terraform"]
    planned = plan["planned_values"]["root_module"]["resources"]
    for values in [
        *(r["change"]["after"] for r in plan["resource_changes"] if r["address"] == address),
        *(r["values"] for r in planned if r["address"] == address),
    ]:
        containers = json.loads(values["container_definitions"])
        containers[0]["readonlyRootFilesystem"] = False
        values["container_definitions"] = json.dumps(containers)
    failures = judge("dev", rendered)["failures"]
    expected = "checkov CKV_AWS_336 aws_ecs_task_definition.TaskdefWorker"
    assert any(f.startswith(expected) for f in failures), failures


def test_an_unknown_action_in_a_role_policy_fails_parliament():
    v = inventory_vars("dev")
    rendered = plan_renderings(v)
    document = next(p for p in rendered["policies"] if p["kind"] == "identity")
    statement = document["document"]["Statement"][0]
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    statement["Action"] = [*actions, "s3:GetObjekt"]
    failures = judge("dev", rendered)["failures"]
    assert any(f.startswith(f"parliament UNKNOWN_ACTION {document['name']}") for f in failures), failures


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_each_inventory_passes(env):
    result = judge(env, plan_renderings(inventory_vars(env)))
    assert result["passed"] is True, result["failures"]
    assert result["summary"]["checkov"][env]["failed"] == 0
    assert result["summary"]["checkov"][env]["passed"] > 400
