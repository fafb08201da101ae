"""The alb layer of the plan: what roles/alb sends, judged by cfn-lint, rendered for Terraform."""

from __future__ import annotations

import json

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.alb import execution_api_listener
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_alb
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    ALB_ID,
    TARGET_GROUP_ID,
    by_id,
)
from plan_support import ENVS, cfn_lint, inventory_vars, of_type, terraform, unresolved, with_layers_below


@pytest.mark.parametrize("env", ENVS)
def test_alb_layer_passes_cfn_lint(env):
    v = inventory_vars(env)
    findings = cfn_lint(with_layers_below(v, "alb"), v["airflow_region"], only=plan_alb.alb_resources(v))
    assert findings == [], findings


@pytest.mark.parametrize("env", ENVS)
def test_alb_layer_has_what_the_role_creates(env):
    v = inventory_vars(env)
    resources = plan_alb.alb_resources(v)
    ids = by_id(resources)
    # One internal ALB and one target group (alb.yml), the 443 and execution-API listeners and
    # one rule per execution_api_listener() rule; the certificate only when the role imports one.
    assert len(of_type(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer")) == 1
    assert len(of_type(resources, "AWS::ElasticLoadBalancingV2::TargetGroup")) == 1
    listeners = {r["properties"]["Port"] for r in of_type(resources, "AWS::ElasticLoadBalancingV2::Listener")}
    assert listeners == {443, int(v["alb_execution_api_port"])}
    rules = execution_api_listener(plan_alb.listener_input(v))["rules"]
    assert len(of_type(resources, "AWS::ElasticLoadBalancingV2::ListenerRule")) == len(rules)
    imported = not v["alb_certificate_arn"] and v["alb_self_signed_certificate"]
    assert len(of_type(resources, "AWS::CertificateManager::Certificate")) == int(imported)
    lb = ids[ALB_ID]["properties"]
    assert lb["Name"] == v["alb_name"] and lb["Scheme"] == "internal"
    attributes = {a["Key"]: a["Value"] for a in lb["LoadBalancerAttributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == str(v["alb_idle_timeout"])
    assert attributes["deletion_protection.enabled"] == str(v["alb_deletion_protection"]).lower()
    assert len(lb["Subnets"]) == len(v["network_availability_zones"])
    tg = ids[TARGET_GROUP_ID]["properties"]
    assert tg["HealthCheckPath"] == v["alb_health_check_path"] and tg["TargetType"] == "ip"
    # The api-server serves TLS (its row's `tls`): the ALB forwards and health-checks over HTTPS.
    assert (tg["Protocol"], tg["HealthCheckProtocol"]) == ("HTTPS", "HTTPS")


@pytest.mark.parametrize("env", ENVS)
def test_https_listener_is_the_filters_actions_without_the_secret(env):
    v = inventory_vars(env)
    https = by_id(plan_alb.alb_resources(v))[plan_alb.HTTPS_LISTENER_ID]["properties"]
    kinds = [a["Type"] for a in https["DefaultActions"]]
    assert kinds == (["authenticate-oidc", "forward"] if v["alb_oidc_enabled"] else ["forward"])
    if v["alb_oidc_enabled"]:
        oidc = https["DefaultActions"][0]["AuthenticateOidcConfig"]
        assert oidc["Issuer"] == v["alb_oidc_issuer"] and oidc["ClientId"] == v["alb_oidc_client_id"]
        # The client secret is a dynamic reference to the secret the listener module reads.
        assert oidc["ClientSecret"] == (
            "{{resolve:secretsmanager:" + v["alb_oidc_client_secret_name"] + ":SecretString}}"
        )
    assert https["SslPolicy"] == v["alb_ssl_policy"]
    certificate = https["Certificates"][0]["CertificateArn"]
    assert certificate == (v["alb_certificate_arn"] or {"Ref": plan_alb.CERTIFICATE_ID})


@pytest.mark.parametrize("env", ENVS)
def test_alb_layer_renders_for_terraform(env):
    v = inventory_vars(env)
    plan = terraform(with_layers_below(v, "alb"), v["airflow_region"])
    assert unresolved(plan) == []
    after = {r["address"]: r["change"]["after"] for r in plan["resource_changes"]}
    lb = after[f"aws_lb.{ALB_ID}"]
    assert lb["internal"] is True and lb["drop_invalid_header_fields"] is True
    listener = after[f"aws_lb_listener.{plan_alb.HTTPS_LISTENER_ID}"]
    assert listener["protocol"] == "HTTPS" and listener["ssl_policy"] == v["alb_ssl_policy"]
    for action in listener["default_action"]:
        assert "client_secret" not in json.dumps(action)
    tg = after[f"aws_lb_target_group.{TARGET_GROUP_ID}"]
    assert tg["health_check"][0]["path"] == v["alb_health_check_path"]
    assert tg["protocol"] == "HTTPS" and tg["health_check"][0]["protocol"] == "HTTPS"


def test_terraform_converters_take_what_a_live_account_leaves_out():
    bare = {"properties": {}}
    for rtype, convert in plan_alb.TERRAFORM.items():
        assert convert({**bare, "type": rtype, "id": "X"})[0][0].startswith("aws_")


def test_cfn_lint_sees_a_value_aws_refuses_in_the_inventory():
    v = {**inventory_vars("dev"), "alb_health_check_interval": 1000}
    findings = cfn_lint(with_layers_below(v, "alb"), v["airflow_region"])
    assert any(
        f.startswith("E3034 Resources/AlbTargetGroup/Properties/HealthCheckIntervalSeconds") for f in findings
    )


def test_the_exported_plan_keeps_the_listeners_secret_reference(plan_export):
    """playbooks/plan.yml (through Ansible's templating) exports the alb layer as rendered here: the
    OIDC client secret stays a CloudFormation dynamic reference, never a value."""
    v = inventory_vars("local")
    exported = plan_export("local")["template"]["Resources"]
    for res in plan_alb.alb_resources(v):
        assert exported[res["id"]] == {"Type": res["type"], "Properties": res["properties"]}
