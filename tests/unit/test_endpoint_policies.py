"""Endpoint policies (issue 15): what the endpoints role sends is quiet under policies/endpoints.rego
(evaluated with regopy as airflow_audit does) on the plan rendered from each inventory; each way of
widening a policy is denied, naming the endpoint; preflight refuses a wide inventory unless it opts in;
and every action the roles' own IAM policies grant for a service behind an endpoint passes that
endpoint's policy (so a narrowed endpoint does not silently break a task on AWS)."""

from __future__ import annotations

import copy
import fnmatch
from pathlib import Path

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.endpoints import (
    NO_ENDPOINT_POLICY,
    endpoint_policy_problems,
)
from ansible_collections.pathwai.airflow_ecs.plugins.filter.plan import plan_document
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_layers import plan_policies
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies
from plan_support import inventory_vars

POLICIES = load_policies(str(Path(__file__).resolve().parents[2] / "policies"))
SERVICE_OF_PREFIX = {"ecr": ["ecr.api", "ecr.dkr"], "cloudwatch": ["monitoring"]}


def document(v: dict) -> dict:
    network = {"name_prefix": v["network_name_prefix"], "vpc_cidr": v["network_vpc_cidr"],
               "availability_zones": [], "security_groups": {}, "private_subnet_cidrs": [],
               "data_subnet_cidrs": [], "alb_subnet_cidrs": [],
               "flow_logs_log_group_name": "/vpc/p", "flow_logs_traffic_type": "ALL"}  # fmt: skip
    endpoints = {
        "interface_services": v["endpoints_interface_services"],
        "private_dns_enabled": v["endpoints_private_dns_enabled"],
        "policy_actions": v["endpoints_policy_actions"],
        "policy_buckets": v["endpoints_s3_policy_buckets"],
        "account_id": v.get("airflow_account_id", ""),
    }
    doc = plan_document(network, endpoints, {"keys": {}, "name_prefix": "p"}, v["airflow_region"])
    return {**doc, "required": {}, "name_prefix": v["network_name_prefix"]}


def endpoint(doc: dict, suffix: str) -> dict:
    return next(
        r["change"]["after"]
        for r in doc["resource_changes"]
        if r["type"] == "aws_vpc_endpoint" and r["change"]["after"]["service_name"].endswith("." + suffix)
    )


@pytest.mark.parametrize("env", ["local", "prod"])
def test_each_inventorys_endpoint_policies_pass_the_audit(env):
    v = inventory_vars(env)
    doc = document(v)
    assert evaluate(POLICIES, doc) == []
    s3 = endpoint(doc, "s3")["policy"]["Statement"]
    buckets = {r.split(":::")[1].split("/")[0] for r in s3[0]["Resource"]}
    assert buckets == {
        v["data_dags_bucket_name"],
        v["data_logs_bucket_name"],
        v["alb_access_logs_bucket_name"],
    }
    assert s3[1]["Resource"] == f"arn:aws:s3:::prod-{v['airflow_region']}-starport-layer-bucket/*"
    assert endpoint(doc, "ecs")["policy"] is None  # ECS takes no endpoint policy


def _no_policy(p):
    p.clear()


def _wide(p):
    p["Statement"][0]["Action"] = "kms:*"


def _no_resource_account(p):
    del p["Statement"][0]["Condition"]["StringEquals"]["aws:ResourceAccount"]


def _no_principal_account(p):
    del p["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalAccount"]


def _any_bucket(p):
    p["Statement"][0]["Resource"] = ["arn:aws:s3:::*"]


def _layer_bucket_widened(p):
    p["Statement"][1]["Resource"] = "arn:aws:s3:::*/*"


MUTATIONS = {
    "policy_removed": ("kms", _no_policy, "Endpoint without a policy"),
    "every_action": ("kms", _wide, "Endpoint policy allows every action (kms:*)"),
    "foreign_resources": ("logs", _no_resource_account, "not limited to this account's resources"),
    "foreign_principals": (
        "secretsmanager",
        _no_principal_account,
        "not limited to this account's principals",
    ),
    "any_bucket": ("s3", _any_bucket, "S3 endpoint policy reaches buckets it does not name"),
    "layer_statement_widened": ("s3", _layer_bucket_widened, "not limited to this account's principals"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_widened_endpoint_policy_fails_the_audit(name):
    service, change, expected = MUTATIONS[name]
    doc = copy.deepcopy(document(inventory_vars("local")))
    after = endpoint(doc, service)
    change(after["policy"])
    if not after["policy"]:
        after["policy"] = None
    found = evaluate(POLICIES, doc)
    assert any(expected in f and f.endswith(f".{service}") for f in found), found


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"policy_actions": {"kms": ["kms:*"]}},
            "endpoints_policy_actions[kms] allows every action with kms:*",
        ),
        ({"policy_actions": {}}, "endpoints_policy_actions has no actions for kms"),
        ({"policy_buckets": ["pathwai-*"]}, "endpoints_s3_policy_buckets holds 'pathwai-*'"),
    ],
)
def test_preflight_refuses_a_wide_policy_unless_opted_in(change, expected):
    v = inventory_vars("local")
    cfg = {"services": ["kms", "ecs"], "policy_actions": v["endpoints_policy_actions"],
           "policy_buckets": ["b"], **change}  # fmt: skip
    assert any(p.startswith(expected) for p in endpoint_policy_problems(cfg))
    assert endpoint_policy_problems({**cfg, "allow_wide": True}) == []
    assert (
        endpoint_policy_problems({**cfg, "services": list(NO_ENDPOINT_POLICY), "policy_buckets": ["b"]}) == []
    )


def test_every_action_the_roles_grant_passes_its_endpoint():
    v = inventory_vars("dev")
    allowed = {s: v["endpoints_policy_actions"].get(s, []) for s in v["endpoints_interface_services"]}
    missing = []
    for policy in plan_policies(v):
        if policy["kind"] != "identity":
            continue
        for statement in policy["document"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                prefix = action.split(":")[0]
                for service in SERVICE_OF_PREFIX.get(prefix, [prefix]):
                    checked = service in allowed and service not in NO_ENDPOINT_POLICY
                    if checked and not any(fnmatch.fnmatchcase(action, a) for a in allowed[service]):
                        missing.append(f"{policy['name']}: {action} via {service}")
    assert missing == []
