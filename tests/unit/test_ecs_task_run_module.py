"""pathwai.airflow_ecs.ecs_task_run against the emulator (tasks stop after LOCAL_AWS_ECS_TASK_SECONDS with
exit code 0), plus botocore Stubber cases for what the emulator never produces: a container that exits 1,
RunTask failures."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import ecs_task_run
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import tags as tag_utils
from botocore.stub import ANY, Stubber

ACCOUNT = "123456789012"
CLUSTER = "airflow-test"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/airflow-test-execution"
TASK_ID = "0123456789abcdef0123456789abcdef"
TASK_ARN = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/{CLUSTER}/{TASK_ID}"


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for this file; each test uses its own family, the call record is cleared per test."""
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


@pytest.fixture(scope="module")
def net(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    group = ec2.create_security_group(GroupName="migrate", Description="d", VpcId=vpc_id)["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    return {"ecs": ecs, "subnets": [subnet["SubnetId"]], "groups": [group]}


@pytest.fixture
def family(request) -> str:
    return "run-" + request.node.name.replace("[", "-").replace("]", "")[:60]


def writes(aws_endpoint) -> list[str]:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def migrate_definition(family: str, image_tag: str = "3.1.8") -> dict:
    """A Fargate definition with task-level memory only (no container-level memory)."""
    return {
        "family": family,
        "cpu": "512",
        "memory": "1024",
        "execution_role_arn": EXECUTION_ROLE,
        "container_definitions": [
            {
                "name": "db-migrate",
                "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow:{image_tag}",
                "command": ["airflow", "db", "migrate"],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/airflow/test/db-migrate",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "db-migrate",
                    },
                },
            }
        ],
        "tags": {"airflow:env": "test"},
    }


def run_args(net, arn: str, **overrides) -> dict:
    args = {
        "cluster": CLUSTER,
        "task_definition": arn,
        "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
        "subnets": net["subnets"],
        "security_groups": net["groups"],
        "wait_timeout": 60,
        "poll_interval": 0.1,
    }
    return {**args, **overrides}


def register(module_runner, family: str, **kwargs) -> str:
    return module_runner("ecs_task_definition", migrate_definition(family, **kwargs))["task_definition_arn"]


def tags_of(net, arn: str) -> dict:
    return tag_utils.tags_dict(net["ecs"].list_tags_for_resource(resourceArn=arn)["tags"])


def test_run_succeeds_then_is_skipped(module_runner, family, aws_endpoint, net):
    arn = register(module_runner, family)
    aws_endpoint.reset_calls()
    ran = module_runner("ecs_task_run", run_args(net, arn))
    assert ran["changed"] is True and ran["skipped"] is False
    assert ran["exit_codes"] == {"db-migrate": 0}
    assert ran["stop_code"] == "EssentialContainerExited"
    task_id = ran["task_arn"].rsplit("/", 1)[1]
    assert ran["logs"] == {
        "db-migrate": {
            "log_group": "/airflow/test/db-migrate",
            "log_stream": f"db-migrate/db-migrate/{task_id}",
            "region": "us-east-1",
        }
    }
    assert writes(aws_endpoint) == ["RunTask", "TagResource"]
    assert tags_of(net, arn)[ecs_task_run.RUN_SUCCEEDED_TAG] == ran["task_arn"]
    task = net["ecs"].describe_tasks(cluster=CLUSTER, tasks=[ran["task_arn"]])["tasks"][0]
    assert task["startedBy"] == "pathwai.airflow_ecs"
    assert task["lastStatus"] == "STOPPED"

    aws_endpoint.reset_calls()
    again = module_runner("ecs_task_run", run_args(net, arn))
    assert again["changed"] is False and again["skipped"] is True
    assert again["task_arn"] == ran["task_arn"]
    assert writes(aws_endpoint) == []

    # The definition module re-run leaves the marker alone (and registers nothing).
    aws_endpoint.reset_calls()
    assert module_runner("ecs_task_definition", migrate_definition(family))["changed"] is False
    assert writes(aws_endpoint) == []
    assert ecs_task_run.RUN_SUCCEEDED_TAG in tags_of(net, arn)


def test_a_new_revision_runs_again(module_runner, family, aws_endpoint, net):
    first_arn = register(module_runner, family)
    first = module_runner("ecs_task_run", run_args(net, first_arn))
    second_arn = register(module_runner, family, image_tag="3.1.9")
    assert second_arn != first_arn
    assert ecs_task_run.RUN_SUCCEEDED_TAG not in tags_of(net, second_arn)
    aws_endpoint.reset_calls()
    second = module_runner("ecs_task_run", run_args(net, second_arn))
    assert second["changed"] is True and second["task_arn"] != first["task_arn"]
    assert writes(aws_endpoint) == ["RunTask", "TagResource"]
    assert tags_of(net, second_arn)[ecs_task_run.RUN_SUCCEEDED_TAG] == second["task_arn"]
    assert tags_of(net, first_arn)[ecs_task_run.RUN_SUCCEEDED_TAG] == first["task_arn"]


def test_once_per_revision_false_runs_every_time(module_runner, family, net):
    arn = register(module_runner, family)
    first = module_runner("ecs_task_run", run_args(net, arn))
    again = module_runner("ecs_task_run", run_args(net, arn, once_per_revision=False))
    assert again["changed"] is True and again["task_arn"] != first["task_arn"]


def test_a_command_override_runs_every_time_and_is_not_recorded(module_runner, family, aws_endpoint, net):
    arn = register(module_runner, family)
    module_runner("ecs_task_run", run_args(net, arn))
    marker = tags_of(net, arn)[ecs_task_run.RUN_SUCCEEDED_TAG]
    aws_endpoint.reset_calls()
    ran = module_runner("ecs_task_run", run_args(net, arn, command=["rotate-fernet-key"]))
    assert ran["changed"] is True and ran["skipped"] is False and ran["task_arn"] != marker
    assert ran["exit_codes"] == {"db-migrate": 0}
    assert writes(aws_endpoint) == ["RunTask"]
    assert tags_of(net, arn)[ecs_task_run.RUN_SUCCEEDED_TAG] == marker
    task = net["ecs"].describe_tasks(cluster=CLUSTER, tasks=[ran["task_arn"]])["tasks"][0]
    assert task["overrides"]["containerOverrides"] == [
        {"name": "db-migrate", "command": ["rotate-fernet-key"]}
    ]


def test_launch_type_and_default_security_group(module_runner, family, net):
    arn = register(module_runner, family)
    args = run_args(net, arn, launch_type="FARGATE", security_groups=None, tags={"purpose": "migrate"})
    del args["capacity_provider_strategy"]
    ran = module_runner("ecs_task_run", args)
    assert ran["exit_codes"] == {"db-migrate": 0}
    task = net["ecs"].describe_tasks(cluster=CLUSTER, tasks=[ran["task_arn"]], include=["TAGS"])["tasks"][0]
    assert task["launchType"] == "FARGATE"
    assert {"key": "purpose", "value": "migrate"} in task["tags"]


def test_check_mode_makes_no_writes(module_runner, family, aws_endpoint, net):
    arn = register(module_runner, family)
    aws_endpoint.reset_calls()
    planned = module_runner("ecs_task_run", run_args(net, arn), check_mode=True)
    assert planned["changed"] is True and planned["task_arn"] is None
    assert writes(aws_endpoint) == []
    assert net["ecs"].list_tasks(cluster=CLUSTER, family=family)["taskArns"] == []


def test_missing_definition_fails(module_runner, net):
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_run", run_args(net, "no-such-family"))
    assert "not found" in failed.value.result["msg"]


# What the emulator never produces: botocore Stubber -------------------------------------------


def described_definition(essential_sidecar: bool = False) -> dict:
    containers = [
        {
            "name": "db-migrate",
            "image": "airflow:3.1.8",
            "cpu": 0,
            "essential": True,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/airflow/test/db-migrate",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "db-migrate",
                },
            },
        },
        {"name": "sidecar", "image": "busybox", "cpu": 0, "essential": essential_sidecar},
    ]
    return {
        "taskDefinition": {
            "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/airflow-test-db-migrate:4",
            "family": "airflow-test-db-migrate",
            "revision": 4,
            "containerDefinitions": containers,
            "networkMode": "awsvpc",
            "status": "ACTIVE",
            "cpu": "512",
            "memory": "1024",
        },
        "tags": [{"key": "airflow:env", "value": "test"}],
    }


def task(status: str, codes: dict | None = None) -> dict:
    containers = []
    for name in ("db-migrate", "sidecar"):
        entry = {
            "name": name,
            "lastStatus": "STOPPED" if status == "STOPPED" else status,
            "taskArn": TASK_ARN,
        }
        if codes and name in codes:
            entry["exitCode"] = codes[name]
            if codes[name]:
                entry["reason"] = "Error"
        containers.append(entry)
    body = {"taskArn": TASK_ARN, "lastStatus": status, "containers": containers, "clusterArn": CLUSTER}
    if status == "STOPPED":
        body.update(
            stopCode="EssentialContainerExited",
            stoppedReason="Essential container in task exited",
            stoppedAt=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
        )
    return body


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


STUB_ARGS = {
    "cluster": CLUSTER,
    "task_definition": "airflow-test-db-migrate:4",
    "subnets": ["subnet-1"],
    "security_groups": ["sg-1"],
    "poll_interval": 0.05,
    "wait_timeout": 30,
}
RUN_PARAMS = {
    "cluster": CLUSTER,
    "taskDefinition": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/airflow-test-db-migrate:4",
    "count": 1,
    "startedBy": "pathwai.airflow_ecs",
    "enableExecuteCommand": False,
    "propagateTags": "TASK_DEFINITION",
    "clientToken": ANY,
    "launchType": "FARGATE",
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-1"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    },
}


def test_failed_run_names_container_exit_code_and_logs(module_runner, stubbed_ecs):
    stubbed_ecs.add_response(
        "describe_task_definition",
        described_definition(),
        {"taskDefinition": "airflow-test-db-migrate:4", "include": ["TAGS"]},
    )
    stubbed_ecs.add_response("run_task", {"tasks": [task("PROVISIONING")], "failures": []}, RUN_PARAMS)
    for state in ("PENDING", "RUNNING"):
        stubbed_ecs.add_response(
            "describe_tasks", {"tasks": [task(state)]}, {"cluster": CLUSTER, "tasks": [TASK_ARN]}
        )
    stubbed_ecs.add_response(
        "describe_tasks",
        {"tasks": [task("STOPPED", {"db-migrate": 1, "sidecar": 137})]},
        {"cluster": CLUSTER, "tasks": [TASK_ARN]},
    )
    # No TagResource is stubbed: tagging the revision after a failure would break the stub.
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_run", STUB_ARGS)
    result = failed.value.result
    msg = result["msg"]
    assert "container db-migrate: exit code 1 (Error)" in msg
    assert f"stream db-migrate/db-migrate/{TASK_ID}" in msg
    assert "group /airflow/test/db-migrate" in msg
    assert "Essential container in task exited" in msg
    assert "sidecar" not in msg  # not essential: its 137 (killed when db-migrate exited) is no failure
    assert result["exit_codes"] == {"db-migrate": 1, "sidecar": 137}
    assert result["task_arn"] == TASK_ARN


def test_essential_container_that_never_started_fails(module_runner, stubbed_ecs):
    stubbed_ecs.add_response("describe_task_definition", described_definition(essential_sidecar=True))
    stubbed_ecs.add_response("run_task", {"tasks": [task("PROVISIONING")], "failures": []})
    stopped = task("STOPPED", {"db-migrate": 0})
    stopped["stopCode"] = "TaskFailedToStart"
    stopped["stoppedReason"] = "CannotPullContainerError: pull image manifest has been retried 5 time(s)"
    stubbed_ecs.add_response("describe_tasks", {"tasks": [stopped]})
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_run", STUB_ARGS)
    msg = failed.value.result["msg"]
    assert "container sidecar: no exit code" in msg
    assert "CannotPullContainerError" in msg and "TaskFailedToStart" in msg


def test_run_task_failures_fail_with_the_reasons(module_runner, stubbed_ecs):
    stubbed_ecs.add_response("describe_task_definition", described_definition())
    stubbed_ecs.add_response(
        "run_task",
        {
            "tasks": [],
            "failures": [
                {"arn": "arn:aws:ecs:us-east-1:1:cluster/x", "reason": "RESOURCE:ENI", "detail": "no ENIs"}
            ],
        },
    )
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_run", STUB_ARGS)
    assert "RESOURCE:ENI (no ENIs)" in failed.value.result["msg"]


def test_timeout_leaves_the_task_running(module_runner, stubbed_ecs):
    stubbed_ecs.add_response("describe_task_definition", described_definition())
    stubbed_ecs.add_response("run_task", {"tasks": [task("PROVISIONING")], "failures": []})
    stubbed_ecs.add_response("describe_tasks", {"tasks": [task("RUNNING")]})
    with pytest.raises(Exception) as failed:
        module_runner("ecs_task_run", {**STUB_ARGS, "wait_timeout": 0})
    assert "timed out after 0 s (still RUNNING); it was left running" in failed.value.result["msg"]
    assert failed.value.result["task_arn"] == TASK_ARN
