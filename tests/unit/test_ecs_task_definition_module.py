"""pathwai.airflow_ecs.ecs_task_definition against the emulator, plus a Stubber case that feeds the module
a DescribeTaskDefinition response shaped like real AWS's (every default filled in)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import ecs_task_definition
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import tags as tag_utils
from botocore.stub import ANY, Stubber

ACCOUNT = "123456789012"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/airflow-test-execution"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/airflow-test-api-server-task"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:airflow-test/fernet_key-AbCdEf"


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for this file; each test uses its own family, the call record is cleared per test."""
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


@pytest.fixture
def family(request) -> str:
    return "td-" + request.node.name.replace("[", "-").replace("]", "")[:60]


@pytest.fixture
def ecs(aws_endpoint):
    return boto3.client("ecs", endpoint_url=aws_endpoint.url, region_name="us-east-1")


def writes(aws_endpoint) -> list[str]:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def container(**overrides) -> dict:
    """An Airflow-like container that spells out none of the defaults AWS fills in."""
    base = {
        "name": "api-server",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow:3.1.8",
        "command": ["api-server"],
        "environment": [
            {"name": "AIRFLOW__CORE__EXECUTOR", "value": "CeleryExecutor"},
            {"name": "AIRFLOW__API__PORT", "value": "8080"},
        ],
        "secrets": [{"name": "AIRFLOW__CORE__FERNET_KEY", "valueFrom": SECRET}],
        "portMappings": [{"containerPort": 8080}],
        "mountPoints": [{"sourceVolume": "dags", "containerPath": "/opt/airflow/dags", "readOnly": True}],
        "healthCheck": {
            "command": ["CMD", "curl", "-f", "localhost:8080/api/v2/monitor/health"],
            "startPeriod": 60,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/airflow/test/api-server",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "api-server",
            },
        },
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
    }
    return {**base, **overrides}


def td_args(family: str, **overrides) -> dict:
    args = {
        "family": family,
        "cpu": "512",
        "memory": "1024",
        "execution_role_arn": EXECUTION_ROLE,
        "task_role_arn": TASK_ROLE,
        "runtime_platform": {"cpu_architecture": "X86_64"},
        "container_definitions": [container()],
        "volumes": [{"name": "dags", "efsVolumeConfiguration": {"fileSystemId": "fs-0123456789abcdef0"}}],
        "tags": {"airflow:env": "test", "airflow:component": "api-server"},
    }
    return {**args, **overrides}


def revisions(ecs, family: str) -> list[str]:
    return ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]


def test_register_then_identical_rerun_changes_nothing(module_runner, family, aws_endpoint, ecs):
    created = module_runner("ecs_task_definition", td_args(family))
    assert created["changed"] is True
    assert created["revision"] == 1
    assert created["task_definition_arn"].endswith(f":task-definition/{family}:1")
    assert created["tags"] == {"airflow:env": "test", "airflow:component": "api-server"}
    assert created["diff"]["before"] == {}
    live = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    # The emulator filled in what AWS fills in: the module's input had none of it.
    assert live["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}
    ]
    assert live["containerDefinitions"][0]["healthCheck"]["interval"] == 30
    assert live["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"] == "/"
    assert live["containerDefinitions"][0]["systemControls"] == []

    aws_endpoint.reset_calls()
    again = module_runner("ecs_task_definition", td_args(family))
    assert again["changed"] is False
    assert again["revision"] == 1
    assert writes(aws_endpoint) == []
    assert "diff" not in again
    assert len(revisions(ecs, family)) == 1


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        ({"cpu": "1024"}, "cpu"),
        ({"memory": "2048"}, "memory"),
        (
            {
                "container_definitions": [
                    container(
                        environment=[
                            {"name": "AIRFLOW__CORE__EXECUTOR", "value": "CeleryExecutor"},
                            {"name": "AIRFLOW__API__PORT", "value": "8081"},
                        ]
                    )
                ]
            },
            "containerDefinitions[api-server]",
        ),
        (
            {
                "volumes": [
                    {"name": "dags", "efsVolumeConfiguration": {"fileSystemId": "fs-0fedcba9876543210"}}
                ]
            },
            "volumes",
        ),
    ],
    ids=["cpu", "memory", "environment", "volume"],
)
def test_a_change_registers_exactly_one_revision(
    module_runner, family, aws_endpoint, ecs, change, difference
):
    module_runner("ecs_task_definition", td_args(family))
    aws_endpoint.reset_calls()
    changed = module_runner("ecs_task_definition", td_args(family, **change))
    assert changed["changed"] is True
    assert changed["revision"] == 2
    assert changed["differences"] == [difference]
    assert writes(aws_endpoint) == ["RegisterTaskDefinition"]
    assert changed["diff"]["before"] != changed["diff"]["after"]
    live = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    assert live["revision"] == 2
    if "cpu" in change:
        assert live["cpu"] == "1024"
    if "memory" in change:
        assert live["memory"] == "2048"

    aws_endpoint.reset_calls()
    assert module_runner("ecs_task_definition", td_args(family, **change))["changed"] is False
    assert writes(aws_endpoint) == []
    assert len(revisions(ecs, family)) == 2  # the old revision stays ACTIVE (running services use it)


def test_equivalent_spellings_are_no_change(module_runner, family, aws_endpoint):
    module_runner("ecs_task_definition", td_args(family))
    aws_endpoint.reset_calls()
    reordered = container(
        environment=list(reversed(container()["environment"])),
        # What AWS would return for it, spelled out: still the same definition.
        portMappings=[{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
        healthCheck={**container()["healthCheck"], "interval": 30, "timeout": 5, "retries": 3},
        essential=True,
        cpu=0,
        readonlyRootFilesystem=False,
        systemControls=[],
        volumesFrom=[],
    )
    same = td_args(
        family,
        cpu="0.5 vCPU",
        memory="1 GB",
        container_definitions=[reordered],
        volumes=[
            {
                "name": "dags",
                "efsVolumeConfiguration": {
                    "fileSystemId": "fs-0123456789abcdef0",
                    "rootDirectory": "/",
                    "transitEncryption": "DISABLED",
                },
            }
        ],
    )
    result = module_runner("ecs_task_definition", same)
    assert result["changed"] is False
    assert writes(aws_endpoint) == []


def test_tags_only_change_retags_the_revision(module_runner, family, aws_endpoint, ecs):
    created = module_runner("ecs_task_definition", td_args(family))
    arn = created["task_definition_arn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "pathwai:run-succeeded", "value": "arn:aws:ecs:task/x"}])
    aws_endpoint.reset_calls()
    result = module_runner(
        "ecs_task_definition", td_args(family, tags={"airflow:env": "test", "owner": "data"})
    )
    assert result["changed"] is True
    assert result["revision"] == 1
    assert "differences" not in result
    assert sorted(writes(aws_endpoint)) == ["TagResource", "UntagResource"]
    live = tag_utils.tags_dict(ecs.list_tags_for_resource(resourceArn=arn)["tags"])
    # airflow:component purged; the ecs_task_run marker is never purged.
    assert live == {"airflow:env": "test", "owner": "data", "pathwai:run-succeeded": "arn:aws:ecs:task/x"}
    assert len(revisions(ecs, family)) == 1

    aws_endpoint.reset_calls()
    kept = module_runner("ecs_task_definition", td_args(family, tags={"extra": "1"}, purge_tags=False))
    assert kept["changed"] is True
    assert writes(aws_endpoint) == ["TagResource"]
    assert module_runner("ecs_task_definition", td_args(family, tags=None))["changed"] is False


def test_new_revision_does_not_inherit_markers(module_runner, family, ecs):
    created = module_runner("ecs_task_definition", td_args(family))
    ecs.tag_resource(
        resourceArn=created["task_definition_arn"], tags=[{"key": "pathwai:run-succeeded", "value": "t"}]
    )
    changed = module_runner("ecs_task_definition", td_args(family, cpu="1024", tags=None))
    assert changed["revision"] == 2
    assert changed["tags"] == {"airflow:env": "test", "airflow:component": "api-server"}


def test_check_mode_makes_no_writes(module_runner, family, aws_endpoint, ecs):
    planned = module_runner("ecs_task_definition", td_args(family), check_mode=True)
    assert planned["changed"] is True
    assert planned["task_definition_arn"] is None and planned["revision"] is None
    assert planned["task_definition"]["cpu"] == "512"
    assert writes(aws_endpoint) == []
    with pytest.raises(Exception, match="Unable to describe"):
        ecs.describe_task_definition(taskDefinition=family)

    module_runner("ecs_task_definition", td_args(family))
    aws_endpoint.reset_calls()
    resized = module_runner("ecs_task_definition", td_args(family, memory="4096"), check_mode=True)
    assert resized["changed"] is True and resized["revision"] is None
    assert resized["differences"] == ["memory"]
    assert resized["diff"]["before"]["memory"] == "1024" and resized["diff"]["after"]["memory"] == "4096"
    retagged = module_runner("ecs_task_definition", td_args(family, tags={"a": "b"}), check_mode=True)
    assert retagged["changed"] is True and retagged["revision"] == 1
    assert writes(aws_endpoint) == []
    same = module_runner("ecs_task_definition", td_args(family), check_mode=True)
    assert same["changed"] is False and same["revision"] == 1


def test_absent_deregisters_every_active_revision(module_runner, family, aws_endpoint, ecs):
    module_runner("ecs_task_definition", td_args(family))
    module_runner("ecs_task_definition", td_args(family, cpu="1024"))
    aws_endpoint.reset_calls()
    planned = module_runner("ecs_task_definition", {"family": family, "state": "absent"}, check_mode=True)
    assert planned["changed"] is True and len(planned["deregistered"]) == 2
    assert writes(aws_endpoint) == []

    gone = module_runner("ecs_task_definition", {"family": family, "state": "absent"})
    assert gone["changed"] is True
    assert [a.rsplit(":", 1)[1] for a in gone["deregistered"]] == ["1", "2"]
    assert writes(aws_endpoint) == ["DeregisterTaskDefinition", "DeregisterTaskDefinition"]
    assert revisions(ecs, family) == []
    assert module_runner("ecs_task_definition", {"family": family, "state": "absent"})["changed"] is False

    # Registering again after that continues the numbering (AWS never reuses a revision).
    again = module_runner("ecs_task_definition", td_args(family))
    assert again["changed"] is True and again["revision"] == 3


def test_bad_input_fails_before_any_write(module_runner, family, aws_endpoint):
    bad = td_args(family, container_definitions=[container(environment=[{"name": "X", "value": True}])])
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_definition", bad)
    assert "boolean" in failed.value.result["msg"]
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_definition", td_args(family, cpu="lots"))
    assert "cpu must be" in failed.value.result["msg"]
    assert writes(aws_endpoint) == []


def test_numbers_in_environment_become_strings(module_runner, family, ecs):
    args = td_args(
        family, container_definitions=[container(environment=[{"name": "CONCURRENCY", "value": 16}])]
    )
    created = module_runner("ecs_task_definition", args)
    env = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["containerDefinitions"][0]
    assert env["environment"] == [{"name": "CONCURRENCY", "value": "16"}]
    assert module_runner("ecs_task_definition", args)["changed"] is False
    assert created["revision"] == 1


# Real AWS's answer, through botocore's Stubber ------------------------------------------------


def real_aws_response(family: str) -> dict:
    """DescribeTaskDefinition as real AWS answers for td_args(family): every default filled in,
    read-only fields present, environment in another order."""
    return {
        "taskDefinition": {
            "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{family}:7",
            "containerDefinitions": [
                {
                    "name": "api-server",
                    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow:3.1.8",
                    "cpu": 0,
                    "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                    "essential": True,
                    "command": ["api-server"],
                    "environment": [
                        {"name": "AIRFLOW__API__PORT", "value": "8080"},
                        {"name": "AIRFLOW__CORE__EXECUTOR", "value": "CeleryExecutor"},
                    ],
                    "environmentFiles": [],
                    "mountPoints": [
                        {"sourceVolume": "dags", "containerPath": "/opt/airflow/dags", "readOnly": True}
                    ],
                    "volumesFrom": [],
                    "linuxParameters": {"initProcessEnabled": True},
                    "secrets": [{"name": "AIRFLOW__CORE__FERNET_KEY", "valueFrom": SECRET}],
                    "stopTimeout": 30,
                    "dockerLabels": {},
                    "ulimits": [],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": "/airflow/test/api-server",
                            "awslogs-region": "us-east-1",
                            "awslogs-stream-prefix": "api-server",
                        },
                        "secretOptions": [],
                    },
                    "healthCheck": {
                        "command": ["CMD", "curl", "-f", "localhost:8080/api/v2/monitor/health"],
                        "interval": 30,
                        "timeout": 5,
                        "retries": 3,
                        "startPeriod": 60,
                    },
                    "systemControls": [],
                }
            ],
            "family": family,
            "taskRoleArn": TASK_ROLE,
            "executionRoleArn": EXECUTION_ROLE,
            "networkMode": "awsvpc",
            "revision": 7,
            "volumes": [
                {
                    "name": "dags",
                    "efsVolumeConfiguration": {
                        "fileSystemId": "fs-0123456789abcdef0",
                        "rootDirectory": "/",
                        "transitEncryption": "DISABLED",
                        "authorizationConfig": {"iam": "DISABLED"},
                    },
                }
            ],
            "status": "ACTIVE",
            "requiresAttributes": [
                {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
                {"name": "ecs.capability.execution-role-awslogs"},
                {"name": "ecs.capability.efsAuth"},
                {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
                {"name": "ecs.capability.secrets.asm.environment-variables"},
                {"name": "ecs.capability.efs"},
                {"name": "com.amazonaws.ecs.capability.task-iam-role"},
                {"name": "ecs.capability.container-health-check"},
                {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.25"},
                {"name": "ecs.capability.task-eni"},
            ],
            "placementConstraints": [],
            "compatibilities": ["EC2", "FARGATE"],
            "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "512",
            "memory": "1024",
            "registeredAt": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
            "registeredBy": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ansible",
            "enableFaultInjection": False,
        },
        "tags": [
            {"key": "airflow:env", "value": "test"},
            {"key": "airflow:component", "value": "api-server"},
        ],
    }


@pytest.fixture
def stubbed_ecs(monkeypatch):
    """The module's ECS client is a real boto3 client behind botocore's Stubber (no emulator)."""
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

    def stubbed_client(self, service, retry_decorator=None, **kwargs):
        assert service == "ecs"
        return RetryingBotoClientWrapper(client, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", stubbed_client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_real_aws_defaults_are_no_change(module_runner, family, stubbed_ecs):
    stubbed_ecs.add_response(
        "describe_task_definition", real_aws_response(family), {"taskDefinition": family, "include": ["TAGS"]}
    )
    result = module_runner("ecs_task_definition", td_args(family))  # any Register call would fail the stub
    assert result["changed"] is False
    assert result["revision"] == 7
    assert "registeredAt" not in result["task_definition"]


def test_real_aws_response_still_sees_a_resize(module_runner, family, stubbed_ecs):
    response = real_aws_response(family)
    stubbed_ecs.add_response(
        "describe_task_definition", response, {"taskDefinition": family, "include": ["TAGS"]}
    )
    registered = copy.deepcopy(response)
    registered["taskDefinition"].update(
        cpu="1024", revision=8, taskDefinitionArn=response["taskDefinition"]["taskDefinitionArn"][:-1] + "8"
    )
    stubbed_ecs.add_response(
        "register_task_definition", registered, {**{k: ANY for k in _register_keys()}, "cpu": "1024"}
    )
    result = module_runner("ecs_task_definition", td_args(family, cpu="1024"))
    assert result["changed"] is True and result["revision"] == 8
    assert result["differences"] == ["cpu"]


def _register_keys() -> list[str]:
    return [
        "family",
        "containerDefinitions",
        "networkMode",
        "requiresCompatibilities",
        "memory",
        "executionRoleArn",
        "taskRoleArn",
        "runtimePlatform",
        "volumes",
        "tags",
    ]


# The comparison itself ------------------------------------------------------------------------


def test_units_and_normalisation():
    assert ecs_task_definition.cpu_units("1 vCPU") == "1024"
    assert ecs_task_definition.cpu_units("0.25 vCPU") == "256"
    assert ecs_task_definition.cpu_units(256) == "256"
    assert ecs_task_definition.memory_mib("2GB") == "2048"
    assert ecs_task_definition.memory_mib("0.5 GB") == "512"
    with pytest.raises(ecs_task_definition.DefinitionError):
        ecs_task_definition.memory_mib(True)
    bridge = ecs_task_definition.normalise_container(
        {"name": "a", "portMappings": [{"containerPort": 80}]}, "bridge"
    )
    assert bridge["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]  # bridge: hostPort dynamic
    efs = ecs_task_definition.normalise_volume(
        {"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}
    )
    assert efs["efsVolumeConfiguration"] == {
        "fileSystemId": "fs-1",
        "rootDirectory": "/",
        "transitEncryption": "DISABLED",
        "authorizationConfig": {"iam": "DISABLED"},
    }
    assert ecs_task_definition.normalise_container(
        {"name": "a", "environment": [{"name": "E", "value": ""}]}, "awsvpc"
    )["environment"] == [{"name": "E", "value": ""}]


# The list form (definitions:) ------------------------------------------------------------------


def many_args(family: str, overrides: dict | None = None, count: int = 3) -> dict:
    overrides = overrides or {}
    items = []
    for i in range(count):
        item = td_args(f"{family}-{i}")
        del item["family"]
        items.append({"family": f"{family}-{i}", **item, **overrides.get(i, {})})
    return {"definitions": items}


def test_list_form_create_noop_drift_check(module_runner, family, aws_endpoint, ecs):
    created = module_runner("ecs_task_definition", many_args(family))
    assert created["changed"] is True
    assert [r["family"] for r in created["task_definitions"]] == [f"{family}-{i}" for i in range(3)]
    assert all(r["changed"] and r["revision"] == 1 for r in created["task_definitions"])
    assert created["by_family"][f"{family}-1"]["task_definition_arn"].endswith(
        f":task-definition/{family}-1:1"
    )
    assert writes(aws_endpoint) == ["RegisterTaskDefinition"] * 3
    assert len(created["diff"]) == 3 and created["diff"][0]["before"] == {}

    # no-op: zero writes, one DescribeTaskDefinition per family and nothing else
    aws_endpoint.reset_calls()
    again = module_runner("ecs_task_definition", many_args(family))
    assert again["changed"] is False
    assert not any(r["changed"] for r in again["task_definitions"])
    assert "diff" not in again
    assert [c["action"] for c in aws_endpoint.calls()] == ["DescribeTaskDefinition"] * 3

    # check mode with one family drifted: only that one reported, nothing written
    aws_endpoint.reset_calls()
    planned = module_runner("ecs_task_definition", many_args(family, {1: {"cpu": "1024"}}), check_mode=True)
    assert planned["changed"] is True
    assert [r["changed"] for r in planned["task_definitions"]] == [False, True, False]
    assert planned["by_family"][f"{family}-1"]["task_definition_arn"] is None
    assert planned["by_family"][f"{family}-1"]["differences"] == ["cpu"]
    assert planned["by_family"][f"{family}-0"]["revision"] == 1
    assert [d["before_header"] for d in planned["diff"]] == [f"{family}-1"]
    assert planned["diff"][0]["before"]["cpu"] == "512" and planned["diff"][0]["after"]["cpu"] == "1024"
    assert writes(aws_endpoint) == []

    # drift repaired: exactly one new revision, of the drifted family only
    aws_endpoint.reset_calls()
    repaired = module_runner("ecs_task_definition", many_args(family, {1: {"cpu": "1024"}}))
    assert [r["revision"] for r in repaired["task_definitions"]] == [1, 2, 1]
    assert writes(aws_endpoint) == ["RegisterTaskDefinition"]
    assert len(revisions(ecs, f"{family}-1")) == 2 and len(revisions(ecs, f"{family}-0")) == 1

    # a tags-only change retags in place
    aws_endpoint.reset_calls()
    retagged = module_runner(
        "ecs_task_definition", many_args(family, {2: {"tags": {"a": "b"}}, 1: {"cpu": "1024"}})
    )
    assert [r["changed"] for r in retagged["task_definitions"]] == [False, False, True]
    assert retagged["by_family"][f"{family}-2"]["revision"] == 1
    assert "RegisterTaskDefinition" not in writes(aws_endpoint)


def test_list_form_validates_every_item_before_any_call(module_runner, family, aws_endpoint):
    args = many_args(
        family, {2: {"container_definitions": [container(environment=[{"name": "X", "value": True}])]}}
    )
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_definition", args)
    assert "boolean" in failed.value.result["msg"] and f"{family}-2" in failed.value.result["msg"]
    assert aws_endpoint.calls() == []
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_definition", {**many_args(family), "family": family})
    assert "mutually exclusive" in failed.value.result["msg"]
