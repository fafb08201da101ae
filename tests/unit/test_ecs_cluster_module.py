"""pathwai.airflow_ecs.ecs_cluster against the emulator: create, no-op, each kind of change, check
mode, diff, delete (refused while services exist)."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import ecs_cluster as utils


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for this file; each test names its own cluster."""
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


@pytest.fixture
def name(request) -> str:
    return ("c-" + request.node.name.replace("[", "-").replace("]", ""))[:255]


@pytest.fixture
def ecs(aws_endpoint):
    return boto3.client("ecs", endpoint_url=aws_endpoint.url)


def writes(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def failure(module_runner, args: dict) -> dict:
    with pytest.raises(Exception) as failed:
        module_runner("ecs_cluster", args)
    assert type(failed.value).__name__ == "ModuleFailed", failed.value
    return failed.value.result


def full_args(name, **overrides):
    args = {
        "name": name,
        "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
        "default_capacity_provider_strategy": [
            {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
            {"capacity_provider": "FARGATE_SPOT", "weight": 3},
        ],
        "container_insights": "enabled",
        "execute_command_configuration": {
            "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "logging": "OVERRIDE",
            "log_configuration": {
                "cloud_watch_log_group_name": "/airflow/test/ecs-exec",
                "cloud_watch_encryption_enabled": True,
            },
        },
        "tags": {"airflow:env": "test", "airflow:component": "compute"},
    }
    return {**args, **overrides}


def live(ecs, name) -> dict:
    return ecs.describe_clusters(clusters=[name], include=["CONFIGURATIONS", "SETTINGS", "TAGS"])["clusters"][
        0
    ]


def test_create_then_noop(module_runner, name, aws_endpoint, ecs):
    created = module_runner("ecs_cluster", full_args(name))
    assert created["changed"] is True
    cluster = created["cluster"]
    assert cluster["arn"] == f"arn:aws:ecs:us-east-1:123456789012:cluster/{name}"
    assert cluster["status"] == "ACTIVE"
    assert cluster["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["default_capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]
    assert cluster["container_insights"] == "enabled"
    assert cluster["execute_command_configuration"]["logging"] == "OVERRIDE"
    assert cluster["execute_command_configuration"]["log_configuration"]["cloud_watch_log_group_name"] == (
        "/airflow/test/ecs-exec"
    )
    assert cluster["tags"] == {"airflow:env": "test", "airflow:component": "compute"}
    assert created["diff"]["before"] == {}
    assert writes(aws_endpoint) == ["CreateCluster"]
    raw = live(ecs, name)
    assert raw["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert raw["configuration"]["executeCommandConfiguration"]["kmsKeyId"].endswith("1234567890ab")

    aws_endpoint.reset_calls()
    again = module_runner("ecs_cluster", full_args(name))
    assert again["changed"] is False
    assert again["cluster"] == cluster
    assert writes(aws_endpoint) == []
    assert [c["action"] for c in aws_endpoint.calls()] == ["DescribeClusters"]


@pytest.mark.parametrize(
    "change, plan, expected_writes",
    [
        ({"container_insights": "enhanced"}, ["settings"], ["UpdateCluster"]),
        (
            {"execute_command_configuration": {"logging": "NONE"}},
            ["configuration"],
            ["UpdateCluster"],
        ),
        (
            {"default_capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]},
            ["capacity_providers"],
            ["PutClusterCapacityProviders"],
        ),
        (
            {"capacity_providers": ["FARGATE"], "default_capacity_provider_strategy": []},
            ["capacity_providers"],
            None,
        ),
        ({"tags": {"airflow:env": "test", "owner": "data"}}, ["tags"], ["UntagResource", "TagResource"]),
        ({"tags": {"owner": "data"}, "purge_tags": False}, ["tags"], ["TagResource"]),
    ],
    ids=["insights", "exec", "strategy", "providers", "tags-purge", "tags-keep"],
)
def test_each_change_is_applied(module_runner, name, aws_endpoint, ecs, change, plan, expected_writes):
    module_runner("ecs_cluster", full_args(name))
    aws_endpoint.reset_calls()
    changed = module_runner("ecs_cluster", full_args(name, **change))
    assert changed["changed"] is True
    assert changed["plan"] == plan
    if expected_writes:
        assert writes(aws_endpoint) == expected_writes
    assert changed["diff"]["before"] != changed["diff"]["after"]
    # what the emulator now holds is what the module reports, and a re-run is a no-op
    assert utils.normalise_cluster(live(ecs, name)) == changed["cluster"]
    aws_endpoint.reset_calls()
    assert module_runner("ecs_cluster", full_args(name, **change))["changed"] is False
    assert writes(aws_endpoint) == []
    cluster = changed["cluster"]
    if "container_insights" in change:
        assert cluster["container_insights"] == "enhanced"
    if "execute_command_configuration" in change:
        assert cluster["execute_command_configuration"] == {
            "kms_key_id": None,
            "logging": "NONE",
            "log_configuration": None,
        }
    if plan == ["capacity_providers"]:
        assert cluster["capacity_providers"] == sorted(
            change.get("capacity_providers", ["FARGATE", "FARGATE_SPOT"])
        )
    if "tags" in change:
        expected = (
            change["tags"]
            if change.get("purge_tags", True)
            else {**full_args(name)["tags"], **change["tags"]}
        )
        assert cluster["tags"] == expected


def test_unset_options_are_left_alone(module_runner, name, aws_endpoint):
    module_runner("ecs_cluster", full_args(name))
    aws_endpoint.reset_calls()
    result = module_runner("ecs_cluster", {"name": name})
    assert result["changed"] is False
    assert result["cluster"]["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]
    assert result["cluster"]["tags"]["airflow:env"] == "test"
    assert writes(aws_endpoint) == []


def test_check_mode_writes_nothing(module_runner, name, aws_endpoint, ecs):
    planned = module_runner("ecs_cluster", full_args(name), check_mode=True)
    assert planned["changed"] is True
    assert planned["cluster"]["arn"] is None
    assert writes(aws_endpoint) == []
    assert ecs.describe_clusters(clusters=[name])["clusters"] == []

    module_runner("ecs_cluster", full_args(name))
    aws_endpoint.reset_calls()
    planned = module_runner("ecs_cluster", full_args(name, container_insights="disabled"), check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"]["before"]["container_insights"] == "enabled"
    assert planned["diff"]["after"]["container_insights"] == "disabled"
    assert writes(aws_endpoint) == []
    assert live(ecs, name)["settings"] == [{"name": "containerInsights", "value": "enabled"}]


def test_no_diff_unless_asked(module_runner, name):
    assert "diff" not in module_runner("ecs_cluster", full_args(name), diff=False)


def test_absent_deletes_and_refuses_while_services_exist(module_runner, name, aws_endpoint, ecs):
    module_runner("ecs_cluster", full_args(name))
    family = ecs.register_task_definition(
        family=f"{name}-td",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=name, serviceName="web", taskDefinition=family, desiredCount=0)

    refused = failure(module_runner, {"name": name, "state": "absent"})
    assert "still has 1 service(s): web" in refused["msg"]
    assert refused["services"] == [f"arn:aws:ecs:us-east-1:123456789012:service/{name}/web"]
    assert live(ecs, name)["status"] == "ACTIVE"

    ecs.delete_service(cluster=name, service="web", force=True)
    aws_endpoint.reset_calls()
    checked = module_runner("ecs_cluster", {"name": name, "state": "absent"}, check_mode=True)
    assert checked["changed"] is True and writes(aws_endpoint) == []
    deleted = module_runner("ecs_cluster", {"name": name, "state": "absent"})
    assert deleted["changed"] is True
    assert deleted["diff"]["after"] == {}
    assert live(ecs, name)["status"] == "INACTIVE"
    assert module_runner("ecs_cluster", {"name": name, "state": "absent"})["changed"] is False


def test_bad_strategy_fails_before_any_call(module_runner, name, aws_endpoint):
    result = failure(
        module_runner,
        full_args(name, default_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 0}]),
    )
    assert "weight greater than zero" in result["msg"]
    result = failure(
        module_runner,
        full_args(
            name,
            capacity_providers=["FARGATE"],
            default_capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
        ),
    )
    assert "FARGATE_SPOT, which is not in capacity_providers" in result["msg"]
    assert aws_endpoint.calls() == []


def test_normalise_cluster_defaults():
    assert utils.normalise_cluster(None) is None
    assert utils.normalise_cluster({"clusterName": "x", "clusterArn": "a", "status": "INACTIVE"}) is None
    plain = utils.normalise_cluster({"clusterName": "x", "clusterArn": "a", "status": "ACTIVE"})
    assert plain["container_insights"] == "disabled"
    assert plain["default_capacity_provider_strategy"] == []
    assert plain["execute_command_configuration"] is None
