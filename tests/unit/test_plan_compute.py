"""The compute layer of the rendered plan (plugins/module_utils/plan_compute.py), from each inventory's
variables as ansible-playbook templates them: cfn-lint (its AWS resource schemas and rules) finds no
error, every resource roles/compute creates is there with what the role sends (the same filters), and
the Terraform-plan rendering is well-formed. No AWS call."""

from __future__ import annotations

import json

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as cf
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_compute as pc
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_model as pm
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_render as pr
from plan_support import ENVS, cfn_lint, inventory_vars, references, terraform, unresolved, with_layers_below


def cfn_errors(v: dict) -> list[str]:
    """cfn-lint's errors on the compute layer with the layers below it."""
    return [f for f in cfn_lint(with_layers_below(v, "compute"), v["airflow_region"]) if f.startswith("E")]


@pytest.mark.parametrize("env", ENVS)
def test_cloudformation_has_no_cfn_lint_error(env):
    assert cfn_errors(inventory_vars(env)) == []


def test_cfn_lint_sees_the_inventory_fargate_size():
    """The renderer feeds cfn-lint: a Fargate size AWS refuses, set in the inventory, is an error."""
    v = inventory_vars("dev")
    v["compute_services"]["worker"]["memory"] = 3000
    errors = cfn_errors(v)
    assert any(e.startswith("E3047") and "TaskdefWorker" in e for e in errors), errors


@pytest.mark.parametrize("env", ENVS)
def test_every_resource_the_role_creates_is_planned(env):
    v = inventory_vars(env)
    resources = pc.compute_resources(v)
    counts: dict[str, int] = {}
    for res in resources:
        counts[res["type"]] = counts.get(res["type"], 0) + 1
    ctx = pc.policy_context(v)
    table = cf.service_table(v["compute_services_defaults"], v["compute_services"])
    pools = cf.autoscaled(table)
    assert counts == {
        "AWS::Logs::LogGroup": 1 + len(ctx["log_groups"]),  # ECS Exec's and the services' groups
        "AWS::ECS::Cluster": 1,
        "AWS::IAM::Role": len(cf.role_names(table, v["compute_name_prefix"])),  # per service: execution, task
        "AWS::ECS::TaskDefinition": 1 + len(table) + 1,  # db-migrate, the rows, dag-sync
        "AWS::ECS::Service": len(cf.service_names(table)),
        "AWS::ApplicationAutoScaling::ScalableTarget": len(pools),
        "AWS::ApplicationAutoScaling::ScalingPolicy": 2 * len(pools),
    }
    names = {r["properties"].get("ServiceName") for r in resources if r["type"] == "AWS::ECS::Service"}
    assert names == {f"{v['compute_name_prefix']}-{s}" for s in cf.service_names(table)}


@pytest.mark.parametrize("env", ENVS)
def test_properties_are_what_the_role_sends(env):
    v = inventory_vars(env)
    planned = pm.by_id(pc.compute_resources(v))
    table = cf.service_table(v["compute_services_defaults"], v["compute_services"])
    worker = planned[pm.task_definition_id("worker")]["properties"]
    assert (worker["Cpu"], worker["Memory"]) == (str(table["worker"]["cpu"]), str(table["worker"]["memory"]))
    assert worker["ExecutionRoleArn"] == pm.get_att(pm.role_id("worker-execution"), "Arn")
    assert worker["TaskRoleArn"] == pm.get_att(pm.role_id("worker-task"), "Arn")
    assert worker["Volumes"][0]["EFSVolumeConfiguration"]["FilesystemId"] == pm.ref(pc.EFS_ID)
    main = worker["ContainerDefinitions"][0]
    assert {"Name": "AIRFLOW__CORE__FERNET_KEY", "ValueFrom": pm.ref(pm.secret_id("fernet_key"))} in main[
        "Secrets"
    ]
    assert main["LogConfiguration"]["Options"]["awslogs-group"] == pm.ref(pm.log_group_id("worker"))
    # The Airflow secrets are references, never values in the environment.
    assert not {e["Name"] for e in main["Environment"]} & set(cf.SECRET_VARIABLES.values())

    # The api-server serves HTTPS: its key and certificate are made at start (serve_tls), not shipped.
    api_task = planned[pm.task_definition_id("api-server")]["properties"]["ContainerDefinitions"][0]
    assert api_task["EntryPoint"] == cf.TLS_ENTRYPOINT and api_task["Command"] == ["api-server"]
    api_env = {e["Name"]: e["Value"] for e in api_task["Environment"]}
    assert {k: api_env[k] for k in cf.TLS_ENVIRONMENT} == cf.TLS_ENVIRONMENT
    assert "EntryPoint" not in main
    assert "AIRFLOW__API__SSL_CERT" not in {e["Name"] for e in main["Environment"]}
    api = planned[pm.service_id("api-server")]["properties"]
    assert api["DesiredCount"] == int(table["api-server"]["desired_count"])
    assert api["LoadBalancers"] == [
        {"TargetGroupArn": pm.ref(pm.TARGET_GROUP_ID), "ContainerName": "api-server", "ContainerPort": 8080}
    ]
    assert api["NetworkConfiguration"]["AwsvpcConfiguration"] == {
        "Subnets": sorted(
            (pm.ref(pm.subnet_id("private", az)) for az in v["network_availability_zones"]),
            key=lambda r: r["Ref"],
        ),
        "SecurityGroups": [pm.ref(pm.sg_id("api-server"))],
        "AssignPublicIp": "DISABLED",
    }
    assert planned[pm.service_id("worker")]["properties"]["CapacityProviderStrategy"] == [
        {"CapacityProvider": table["worker"]["capacity_provider"], "Weight": 1, "Base": 0}
    ]
    cluster = planned[pm.CLUSTER_ID]["properties"]
    assert cluster["CapacityProviders"] == sorted(v["compute_capacity_providers"])
    exec_config = cluster["Configuration"]["ExecuteCommandConfiguration"]
    assert exec_config["KmsKeyId"] == pm.get_att(pm.key_id("logs"), "Arn")
    assert exec_config["LogConfiguration"]["CloudWatchLogGroupName"] == pm.ref(pc.EXEC_LOG_GROUP_ID)
    target = planned[pm.scalable_target_id("worker")]["properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (
        table["worker"]["min_capacity"],
        table["worker"]["max_capacity"],
    )
    role = planned[pm.role_id("dag-sync-task")]["properties"]
    ctx = pc.policy_context(v)
    assert role["Policies"] == [
        {
            "PolicyName": f"{v['compute_name_prefix']}-dag-sync-task",
            "PolicyDocument": cf.task_role_policies(ctx)["dag-sync"],
        }
    ]


@pytest.mark.parametrize("env", ENVS)
def test_policies_are_concrete_documents(env):
    v = inventory_vars(env)
    policies = pc.compute_policies(v)
    roles = [r for r in pc.compute_resources(v) if r["type"] == "AWS::IAM::Role"]
    assert len(policies) == 2 * len(roles)
    assert {p["kind"] for p in policies} == {"identity", "trust"}
    text = json.dumps([p["document"] for p in policies])
    assert "Fn::GetAtt" not in text and '"Ref"' not in text
    account = v.get("airflow_account_id") or pm.PLAN_ACCOUNT
    assert f":{account}:" in text and "arn:aws:kms:" in text
    ctx = pc.policy_context(v)
    for service in ("worker", "dag-sync", "db-migrate"):
        execution = next(
            p for p in policies if p["name"] == f"{v['compute_name_prefix']}-{service}-execution"
        )
        assert execution["document"] == cf.execution_role_policy(ctx, service)
    # Each execution role reads exactly the secrets its task definition names.
    worker = next(p for p in policies if p["name"] == f"{v['compute_name_prefix']}-worker-execution")
    (grant,) = [s for s in worker["document"]["Statement"] if s["Sid"] == "Secrets"]
    assert grant["Resource"] == sorted(
        ctx["secret_arns"][f"{ctx['secret_prefix']}/{s}"] for s in cf.service_secrets(ctx, "worker")
    )
    assert "jwt_secret" not in cf.service_secrets(ctx, "worker")
    sync = next(p for p in policies if p["name"] == f"{v['compute_name_prefix']}-dag-sync-execution")
    assert "secretsmanager:GetSecretValue" not in json.dumps(sync["document"])


@pytest.mark.parametrize("env", ENVS)
def test_terraform_plan_is_well_formed(env):
    v = inventory_vars(env)
    plan = terraform(with_layers_below(v, "compute"), v["airflow_region"])
    changes = plan["resource_changes"]
    addresses = {c["address"] for c in changes}
    assert len(addresses) == len(changes)
    assert all(c["type"].startswith("aws_") and c["change"]["actions"] == ["create"] for c in changes)
    assert references(plan)
    assert unresolved(plan) == []
    json.dumps(plan)  # serialisable as terraform show -json writes it
    by_address = {c["address"]: c["change"]["after"] for c in changes}
    taskdef = by_address[f"aws_ecs_task_definition.{pm.task_definition_id('worker')}"]
    containers = json.loads(taskdef["container_definitions"])
    assert (
        containers[0]["name"] == "worker" and containers[0]["linuxParameters"]["initProcessEnabled"] is True
    )
    assert taskdef["volume"][0]["efs_volume_configuration"][0]["transit_encryption"] == "ENABLED"
    cluster = by_address[f"aws_ecs_cluster.{pm.CLUSTER_ID}"]
    assert cluster["setting"] == [{"name": "containerInsights", "value": v["compute_container_insights"]}]
    assert f"aws_ecs_cluster_capacity_providers.{pm.CLUSTER_ID}CapacityProviders" in addresses
    policies = [c for c in changes if c["type"] == "aws_iam_role_policy"]
    assert policies and all(isinstance(json.loads(p["change"]["after"]["policy"]), dict) for p in policies)


def test_converters_tolerate_absent_optional_properties():
    """A live rendering may lack any optional property: each converter still renders."""
    minimal = {
        "AWS::Logs::LogGroup": {},
        "AWS::ECS::Cluster": {},
        "AWS::IAM::Role": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        "AWS::ECS::TaskDefinition": {"ContainerDefinitions": [{"Name": "x", "Image": "x:1"}]},
        "AWS::ECS::Service": {},
        "AWS::ApplicationAutoScaling::ScalableTarget": {
            "MinCapacity": 0,
            "MaxCapacity": 1,
            "ResourceId": "service/c/s",
            "ScalableDimension": "ecs:service:DesiredCount",
            "ServiceNamespace": "ecs",
        },
        "AWS::ApplicationAutoScaling::ScalingPolicy": {"PolicyName": "p", "PolicyType": "StepScaling"},
    }
    assert set(minimal) == set(pc.TERRAFORM)
    resources = [pm.resource(t, pm.logical_id("x", t), props) for t, props in minimal.items()]
    plan = pr.terraform_plan(resources, pc.TERRAFORM, "us-east-1")
    assert len(plan["resource_changes"]) >= len(resources)
