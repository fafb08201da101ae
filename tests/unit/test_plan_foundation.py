"""The plan's foundation (network, kms, endpoints), rendered from each inventory with no AWS call,
is what the roles send: the same groups and rules, subnets, endpoints and key policies."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.pathwai.airflow_ecs.plugins.filter.kms import key_policy
from plan_support import ENVS, ROOT, references, unresolved


def _inventory(env: str) -> dict:
    return yaml.safe_load((ROOT / f"inventories/{env}/group_vars/all/main.yml").read_text())


def _of_type(template: dict, rtype: str) -> dict:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == rtype}


@pytest.mark.parametrize("env", ENVS)
def test_security_groups_and_rules_are_the_roles(env, plan_export):
    template = plan_export(env)["template"]
    groups = _of_type(template, "AWS::EC2::SecurityGroup")
    defaults = yaml.safe_load((ROOT / "roles/network/defaults/main.yml").read_text())
    defaults = defaults["network_security_groups"]
    assert {g["GroupName"].rsplit(f"-{env}-", 1)[1] for g in groups.values()} == set(defaults)
    dag_sync = groups["SgDagSync"]
    assert dag_sync["GroupDescription"] == defaults["dag-sync"]["description"]
    rules = _of_type(template, "AWS::EC2::SecurityGroupIngress")
    rules |= _of_type(template, "AWS::EC2::SecurityGroupEgress")
    # api-server: ingress 8080 from the ALB's group, by reference to the planned group.
    ingress = [r for r in rules.values() if r["GroupId"] == {"Ref": "SgApiServer"}]
    ingress = [r for r in ingress if "SourceSecurityGroupId" in r]
    assert [(r["FromPort"], r["SourceSecurityGroupId"]) for r in ingress] == [(8080, {"Ref": "SgAlb"})]
    assert all(r["Description"].startswith(tuple(defaults)) for r in rules.values())


@pytest.mark.parametrize("env", ENVS)
def test_subnets_endpoints_and_keys(env, plan_export):
    exported = plan_export(env)
    template = exported["template"]
    inventory = _inventory(env)
    zones = inventory.get("network_availability_zones", ["us-east-1a", "us-east-1b"])
    subnets = _of_type(template, "AWS::EC2::Subnet")
    assert len(subnets) == 3 * len(zones)
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets.values())
    endpoints = _of_type(template, "AWS::EC2::VPCEndpoint")
    interface = [e for e in endpoints.values() if e["VpcEndpointType"] == "Interface"]
    assert len(interface) >= 11 and all(e["PrivateDnsEnabled"] for e in interface)
    keys = _of_type(template, "AWS::KMS::Key")
    assert len(keys) == 7 and all(k["EnableKeyRotation"] for k in keys.values())
    region = inventory.get("airflow_region", "us-east-1")
    expected = key_policy(
        "rds", {"service_principal": "rds.amazonaws.com", "via_service": "rds"}, "111122223333", region, ""
    )
    if not inventory.get("airflow_account_id"):
        assert keys["KmsRds"]["KeyPolicy"] == expected
    names = {p["name"] for p in exported["policies"]}
    assert {f"kms key policy alias/airflow-{env}-{p}" for p in ("rds", "logs", "sns")} <= names


@pytest.mark.parametrize("env", ENVS)
def test_terraform_plan_references_resolve(env, plan_export):
    plan = plan_export(env)["terraform"]
    assert references(plan), "the plan carries the references between resources"
    assert unresolved(plan) == []
    rules = [r for r in plan["resource_changes"] if r["type"] == "aws_security_group_rule"]
    assert rules and all(r["change"]["after"]["type"] in ("ingress", "egress") for r in rules)
    assert any(r["type"] == "aws_default_security_group" for r in plan["resource_changes"])
    json.dumps(plan)  # JSON all through
