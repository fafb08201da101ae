"""pathwai.airflow_ecs.ecs_service against the emulator (with local_aws/extensions/ecs_services.py):
create, no-op, each kind of change, autoscaling-owned desired count, rollback with wait, check mode,
diff, absent."""

from __future__ import annotations

import time

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import ecs_service as utils

CLUSTER = "svc-tests"


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for this file; each test names its own service."""
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


@pytest.fixture
def name(request) -> str:
    return ("s-" + request.node.name.replace("[", "-").replace("]", ""))[:255]


@pytest.fixture(scope="module")
def env(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"svc{i}", Description="d", VpcId=vpc_id)["GroupId"]
        for i in (1, 2)
    ]
    ecs.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    revisions = [
        ecs.register_task_definition(
            family="airflow-test-web",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="512",
            memory="1024",
            containerDefinitions=[
                {
                    "name": "web",
                    "image": f"nginx:1.2{i}",
                    "essential": True,
                    "portMappings": [{"containerPort": 80}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        for i in range(2)
    ]
    return {"ecs": ecs, "subnets": subnets, "groups": groups, "revisions": revisions}


def writes(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def failure(module_runner, args: dict, **kwargs) -> dict:
    with pytest.raises(Exception) as failed:
        module_runner("ecs_service", args, **kwargs)
    assert type(failed.value).__name__ == "ModuleFailed", failed.value
    return failed.value.result


def svc_args(env, name, **overrides):
    args = {
        "cluster": CLUSTER,
        "name": name,
        "task_definition": "airflow-test-web:1",
        "desired_count": 2,
        "launch_type": "FARGATE",
        "network_configuration": {"subnets": env["subnets"], "security_groups": [env["groups"][0]]},
        "deployment_configuration": {
            "minimum_healthy_percent": 100,
            "maximum_percent": 200,
            "circuit_breaker": {"enable": True, "rollback": True},
        },
        "health_check_grace_period_seconds": 60,
        "enable_execute_command": True,
        "propagate_tags": "SERVICE",
        "tags": {"airflow:env": "test"},
    }
    merged = {**args, **overrides}
    # an override of None removes the option (Ansible counts a null option in mutually_exclusive)
    return {k: v for k, v in merged.items() if not (v is None and k in overrides)}


def live(env, name) -> dict:
    return env["ecs"].describe_services(cluster=CLUSTER, services=[name], include=["TAGS"])["services"][0]


def test_create_then_noop(module_runner, env, name, aws_endpoint):
    created = module_runner("ecs_service", svc_args(env, name))
    assert created["changed"] is True
    service = created["service"]
    assert created["service_arn"] == f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{name}"
    assert created["task_definition"] == env["revisions"][0]
    assert service["launch_type"] == "FARGATE"
    assert service["capacity_provider_strategy"] == []
    assert service["platform_version"] == "LATEST"
    assert service["network_configuration"] == {
        "subnets": sorted(env["subnets"]),
        "security_groups": [env["groups"][0]],
        "assign_public_ip": False,
    }
    assert service["deployment_configuration"]["circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["health_check_grace_period_seconds"] == 60
    assert service["enable_execute_command"] is True
    assert service["propagate_tags"] == "SERVICE"
    assert service["tags"] == {"airflow:env": "test"}
    assert created["diff"]["before"] == {}
    assert writes(aws_endpoint) == ["CreateService"]
    raw = live(env, name)
    assert raw["launchType"] == "FARGATE"
    assert raw["enableExecuteCommand"] is True
    assert raw["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}

    aws_endpoint.reset_calls()
    again = module_runner("ecs_service", svc_args(env, name))
    assert again["changed"] is False
    assert "diff" not in again
    assert writes(aws_endpoint) == []


SPOT = [
    {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
    {"capacity_provider": "FARGATE_SPOT", "weight": 3},
]


@pytest.mark.parametrize(
    "change, field, expected",
    [
        ({"task_definition": "airflow-test-web:2"}, "task_definition", "rev2"),
        (
            {
                "network_configuration": {
                    "subnets": ["sub0"],
                    "security_groups": ["g1"],
                    "assign_public_ip": True,
                }
            },
            None,
            None,
        ),
        ({"launch_type": None, "capacity_provider_strategy": SPOT}, "capacity_provider_strategy", None),
        (
            {
                "deployment_configuration": {
                    "minimum_healthy_percent": 50,
                    "circuit_breaker": {"rollback": False},
                }
            },
            "deployment_configuration",
            {
                "minimum_healthy_percent": 50,
                "maximum_percent": 200,
                "circuit_breaker": {"enable": True, "rollback": False},
            },
        ),
        ({"enable_execute_command": False}, "enable_execute_command", False),
        ({"health_check_grace_period_seconds": 300}, "health_check_grace_period_seconds", 300),
        ({"propagate_tags": "TASK_DEFINITION"}, "propagate_tags", "TASK_DEFINITION"),
        ({"platform_version": "1.4.0"}, "platform_version", "1.4.0"),
        ({"desired_count": 3}, "desired_count", 3),
        (
            {"tags": {"airflow:env": "test", "owner": "data"}},
            "tags",
            {"airflow:env": "test", "owner": "data"},
        ),
    ],
    ids=[
        "taskdef",
        "network",
        "capacity",
        "deployment",
        "exec",
        "grace",
        "propagate",
        "platform",
        "count",
        "tags",
    ],
)
def test_each_change_is_applied(module_runner, env, name, aws_endpoint, change, field, expected):
    module_runner("ecs_service", svc_args(env, name))
    if "network_configuration" in change:  # the fixture's ids are known only now
        change = {
            "network_configuration": {
                "subnets": [env["subnets"][0]],
                "security_groups": env["groups"],
                "assign_public_ip": True,
            }
        }
        field = "network_configuration"
        expected = {
            "subnets": [env["subnets"][0]],
            "security_groups": sorted(env["groups"]),
            "assign_public_ip": True,
        }
    if expected == "rev2":
        expected = env["revisions"][1]
    if field == "capacity_provider_strategy":
        expected = utils.strategy_from_params(SPOT)
    aws_endpoint.reset_calls()
    changed = module_runner("ecs_service", svc_args(env, name, **change))
    assert changed["changed"] is True
    assert field in changed["changes"]
    assert changed["service"][field] == expected
    assert changed["diff"]["before"][field] != changed["diff"]["after"][field]
    expected_writes = ["TagResource"] if field == "tags" else ["UpdateService"]
    assert writes(aws_endpoint) == expected_writes
    assert utils.normalise_service(live(env, name))[field] == expected
    if field == "capacity_provider_strategy":
        assert changed["service"]["launch_type"] is None
        assert "launchType" not in live(env, name)
    # converged: the same task again writes nothing
    aws_endpoint.reset_calls()
    assert module_runner("ecs_service", svc_args(env, name, **change))["changed"] is False
    assert writes(aws_endpoint) == []


def test_capacity_strategy_change_forces_a_new_deployment(module_runner, env, name):
    module_runner(
        "ecs_service", svc_args(env, name, launch_type=None, capacity_provider_strategy=SPOT, wait=True)
    )
    other = [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    # AWS (and the emulator) refuse this change without forceNewDeployment
    with pytest.raises(Exception, match="must force a new deployment"):
        env["ecs"].update_service(
            cluster=CLUSTER,
            service=name,
            capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        )
    changed = module_runner(
        "ecs_service", svc_args(env, name, launch_type=None, capacity_provider_strategy=other)
    )
    assert changed["service"]["capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    assert changed["service"]["deployments"] == 2


def test_launch_type_cannot_change_in_place(module_runner, env, name, aws_endpoint):
    module_runner("ecs_service", svc_args(env, name, launch_type=None, capacity_provider_strategy=SPOT))
    aws_endpoint.reset_calls()
    result = failure(module_runner, svc_args(env, name))
    assert "uses a capacity provider strategy" in result["msg"]
    assert "Delete the service" in result["msg"]
    result = failure(module_runner, svc_args(env, name, launch_type="EC2", capacity_provider_strategy=None))
    assert writes(aws_endpoint) == []


def test_desired_count_managed_externally(module_runner, env, name, aws_endpoint):
    args = svc_args(env, name, desired_count=1, desired_count_managed_externally=True)
    assert module_runner("ecs_service", args)["service"]["desired_count"] == 1
    env["ecs"].update_service(cluster=CLUSTER, service=name, desiredCount=4)  # what autoscaling does
    aws_endpoint.reset_calls()
    again = module_runner("ecs_service", args)
    assert again["changed"] is False
    assert again["service"]["desired_count"] == 4
    assert writes(aws_endpoint) == []
    # other changes still apply, and leave the count alone
    changed = module_runner("ecs_service", {**args, "task_definition": "airflow-test-web:2"})
    assert changed["changes"] == ["task_definition"]
    assert live(env, name)["desiredCount"] == 4
    # without the flag the module would set the count back
    reset = module_runner(
        "ecs_service",
        {**args, "task_definition": "airflow-test-web:2", "desired_count_managed_externally": False},
    )
    assert reset["changes"] == ["desired_count"]
    assert live(env, name)["desiredCount"] == 1


def test_rollback_with_wait_reaches_a_steady_state(module_runner, env, name):
    module_runner("ecs_service", svc_args(env, name, task_definition="airflow-test-web:2", wait=True))
    # without wait the module returns while the new deployment rolls out
    started = time.monotonic()
    rolled = module_runner("ecs_service", svc_args(env, name, task_definition="airflow-test-web:1"))
    assert rolled["service"]["deployments"] == 2
    assert rolled["service"]["rollout_state"] == "IN_PROGRESS"
    waited = module_runner(
        "ecs_service", svc_args(env, name, task_definition="airflow-test-web:1", wait=True)
    )
    assert waited["changed"] is False
    assert waited["service"]["deployments"] == 1
    assert waited["service"]["rollout_state"] == "COMPLETED"
    assert waited["service"]["running_count"] == 2
    assert time.monotonic() - started < 30
    # a rollback in one task: update to the older revision and wait
    forward = module_runner(
        "ecs_service", svc_args(env, name, task_definition="airflow-test-web:2", wait=True)
    )
    assert forward["task_definition"] == env["revisions"][1]
    back = module_runner("ecs_service", svc_args(env, name, task_definition=env["revisions"][0], wait=True))
    assert back["changed"] is True and back["changes"] == ["task_definition"]
    assert back["task_definition"] == env["revisions"][0]
    assert utils.is_steady(back["service"])
    assert live(env, name)["deployments"][0]["taskDefinition"] == env["revisions"][0]


def test_wait_times_out(module_runner, env, name, monkeypatch):
    monkeypatch.setenv("LOCAL_AWS_ECS_DEPLOYMENT_SECONDS", "60")
    result = failure(module_runner, svc_args(env, name, wait=True, wait_timeout=2))
    assert "steady state" in result["msg"] and "timed out" in result["msg"]


def test_force_new_deployment(module_runner, env, name, aws_endpoint):
    module_runner("ecs_service", svc_args(env, name, wait=True))
    aws_endpoint.reset_calls()
    forced = module_runner("ecs_service", svc_args(env, name, force_new_deployment=True))
    assert forced["changed"] is True and forced["changes"] == ["force_new_deployment"]
    assert writes(aws_endpoint) == ["UpdateService"]
    assert forced["service"]["deployments"] == 2


def test_check_mode_writes_nothing(module_runner, env, name, aws_endpoint):
    planned = module_runner("ecs_service", svc_args(env, name), check_mode=True)
    assert planned["changed"] is True and planned["service"]["arn"] is None
    assert writes(aws_endpoint) == []
    assert env["ecs"].describe_services(cluster=CLUSTER, services=[name])["services"] == []

    module_runner("ecs_service", svc_args(env, name))
    aws_endpoint.reset_calls()
    planned = module_runner(
        "ecs_service",
        svc_args(env, name, task_definition="airflow-test-web:2", desired_count=5),
        check_mode=True,
    )
    assert planned["changes"] == ["task_definition", "desired_count"]
    assert planned["diff"]["before"]["desired_count"] == 2
    assert planned["diff"]["after"]["desired_count"] == 5
    assert planned["diff"]["after"]["task_definition"] == env["revisions"][1]
    assert "running_count" not in planned["diff"]["after"]
    assert writes(aws_endpoint) == []
    assert live(env, name)["desiredCount"] == 2


def test_check_mode_bare_family_is_the_next_revision(module_runner, env, name, aws_endpoint):
    """The compute role passes the family in check mode when a new revision would be registered."""
    planned = module_runner(
        "ecs_service", svc_args(env, name, task_definition="airflow-test-next"), check_mode=True
    )
    assert planned["changed"] is True
    assert planned["task_definition"] == "airflow-test-next (next revision)"
    module_runner("ecs_service", svc_args(env, name))
    aws_endpoint.reset_calls()
    planned = module_runner(
        "ecs_service", svc_args(env, name, task_definition="airflow-test-web"), check_mode=True
    )
    assert planned["changes"] == ["task_definition"]
    assert writes(aws_endpoint) == []
    # outside check mode the family means its latest revision
    applied = module_runner("ecs_service", svc_args(env, name, task_definition="airflow-test-web"))
    assert applied["task_definition"] == env["revisions"][1]


def test_absent(module_runner, env, name, aws_endpoint):
    module_runner("ecs_service", svc_args(env, name))
    aws_endpoint.reset_calls()
    checked = module_runner(
        "ecs_service", {"cluster": CLUSTER, "name": name, "state": "absent"}, check_mode=True
    )
    assert checked["changed"] is True and writes(aws_endpoint) == []
    deleted = module_runner(
        "ecs_service", {"cluster": CLUSTER, "name": name, "state": "absent", "wait": True}
    )
    assert deleted["changed"] is True
    assert deleted["diff"]["after"] == {}
    assert writes(aws_endpoint) == ["UpdateService", "DeleteService"]
    assert live(env, name)["status"] == "INACTIVE"
    assert (
        module_runner("ecs_service", {"cluster": CLUSTER, "name": name, "state": "absent"})["changed"]
        is False
    )
    # the name can be used again
    assert module_runner("ecs_service", svc_args(env, name))["changed"] is True


def test_create_needs_a_task_definition(module_runner, env, name, aws_endpoint):
    args = svc_args(env, name)
    del args["task_definition"]
    assert "task_definition is required" in failure(module_runner, args)["msg"]
    assert writes(aws_endpoint) == []


# The list form (services:) ----------------------------------------------------------------------


def many(env, name, count: int, overrides: dict | None = None, **top) -> dict:
    overrides = overrides or {}
    items = []
    for i in range(count):
        item = svc_args(
            env, f"{name}-{i}", **{"task_definition": env["revisions"][0], **overrides.get(i, {})}
        )
        del item["cluster"]
        items.append(item)
    return {"cluster": CLUSTER, "services": items, **top}


def reads(aws_endpoint) -> list:
    return [c["action"] for c in aws_endpoint.calls() if not c["write"]]


def test_list_form_create_noop_drift_check(module_runner, env, name, aws_endpoint):
    count = 12  # more than DescribeServices' 10 per call
    created = module_runner("ecs_service", many(env, name, count, wait=True))
    assert created["changed"] is True
    assert [r["name"] for r in created["services"]] == [f"{name}-{i}" for i in range(count)]
    assert all(r["changed"] and r["changes"] == ["created"] for r in created["services"])
    assert all(r["service"]["deployments"] == 1 for r in created["services"])
    assert writes(aws_endpoint) == ["CreateService"] * count
    assert created["by_name"][f"{name}-3"]["service_arn"].endswith(f"service/{CLUSTER}/{name}-3")
    assert len(created["diff"]) == count

    # no-op: zero writes, two DescribeServices for 12 services (none per service), no wait reads
    aws_endpoint.reset_calls()
    again = module_runner("ecs_service", many(env, name, count, wait=True))
    assert again["changed"] is False and "diff" not in again
    assert writes(aws_endpoint) == []
    assert reads(aws_endpoint) == ["DescribeServices", "DescribeServices"]

    # check mode: two services drifted, nothing written, one diff each
    aws_endpoint.reset_calls()
    drift = {1: {"desired_count": 3}, 7: {"capacity_provider_strategy": SPOT, "launch_type": None}}
    planned = module_runner("ecs_service", many(env, name, count, drift), check_mode=True)
    assert [r["name"] for r in planned["services"] if r["changed"]] == [f"{name}-1", f"{name}-7"]
    assert planned["by_name"][f"{name}-1"]["changes"] == ["desired_count"]
    assert planned["by_name"][f"{name}-7"]["changes"] == ["launch_type", "capacity_provider_strategy"]
    assert [d["before_header"] for d in planned["diff"]] == [f"{name}-1", f"{name}-7"]
    assert (
        planned["diff"][0]["before"]["desired_count"] == 2
        and planned["diff"][0]["after"]["desired_count"] == 3
    )
    assert writes(aws_endpoint) == []


def test_list_form_repairs_only_the_drifted_and_waits_for_them_together(
    module_runner, env, name, aws_endpoint
):
    module_runner("ecs_service", many(env, name, 3))
    env["ecs"].update_service(cluster=CLUSTER, service=f"{name}-2", desiredCount=5)
    aws_endpoint.reset_calls()
    repaired = module_runner(
        "ecs_service",
        many(env, name, 3, {0: {"task_definition": env["revisions"][1]}}, wait=True),
    )
    assert [r["changed"] for r in repaired["services"]] == [True, False, True]
    assert repaired["by_name"][f"{name}-0"]["changes"] == ["task_definition"]
    assert repaired["by_name"][f"{name}-2"]["changes"] == ["desired_count"]
    assert sorted(writes(aws_endpoint)) == ["UpdateService", "UpdateService"]
    assert repaired["by_name"][f"{name}-0"]["task_definition"] == env["revisions"][1]
    assert all(r["service"]["deployments"] == 1 for r in repaired["services"])
    assert live(env, f"{name}-2")["desiredCount"] == 2
    # the wait reads the two changed services together: every DescribeServices after the first is one call
    calls = [c for c in aws_endpoint.calls() if c["action"] == "DescribeServices"]
    assert len(calls) >= 2


def test_list_form_plans_everything_before_writing(module_runner, env, name, aws_endpoint):
    module_runner("ecs_service", many(env, name, 2))
    aws_endpoint.reset_calls()
    # service 1 would switch from a launch type to... another launch type: impossible in place
    bad = many(env, name, 2, {0: {"desired_count": 4}, 1: {"launch_type": "EC2"}})
    result = failure(module_runner, bad)
    assert "launch type" in result["msg"] and f"{name}-1" in result["msg"]
    assert writes(aws_endpoint) == []
    # autoscaling owns the count of an existing service in the list form too
    managed = many(env, name, 2, {1: {"desired_count": 9, "desired_count_managed_externally": True}})
    assert module_runner("ecs_service", managed)["changed"] is False
