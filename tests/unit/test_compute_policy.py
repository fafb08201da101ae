"""policies/compute.rego evaluated through regopy (as airflow_audit runs it) on small documents:
each compute promise is denied when broken and quiet when kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import evaluate, load_policies

POLICIES = load_policies(str(Path(__file__).resolve().parents[2] / "policies"))


def task_definition(service: str, environment=(), secrets=(), read_only=True, **container_keys) -> dict:
    container = {
        "name": service,
        "environment": [{"name": n, "value": v} for n, v in environment],
        "secrets": list(secrets),
        "mount_points": [
            {"path": "/opt/airflow/dags", "volume": "dags", "read_only": read_only},
            {"path": "/tmp", "volume": "scratch-tmp", "read_only": False},  # a task-scoped volume
        ],
        "readonly_root": True,
        "user": "50000:0",
        **container_keys,
    }
    volumes = [
        {"name": "dags", "efs": True, "transit_encryption": "ENABLED", "iam": "ENABLED"},
        {"name": "scratch-tmp", "efs": False, "transit_encryption": None, "iam": None},
    ]
    after = {"family": f"p-{service}", "service": service, "containers": [container], "volumes": volumes}
    return {
        "address": f"aws_ecs_task_definition.p-{service}:1",
        "type": "aws_ecs_task_definition",
        "change": {"after": after},
    }


def findings(*resources) -> list[str]:
    return evaluate(POLICIES, {"required": {}, "name_prefix": "p", "resource_changes": list(resources)})


def test_a_kept_task_definition_has_no_finding():
    assert findings(task_definition("worker", [("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")])) == []


@pytest.mark.parametrize(
    "name", ["AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "db_password", "Api_Token"]
)
def test_secret_like_plain_variable_is_denied_whatever_its_case(name):
    assert findings(task_definition("triggerer", [(name, "x")])) == [
        f"Secret-like variable {name} set as plain environment (use secrets/valueFrom): "
        "aws_ecs_task_definition.p-triggerer:1"
    ]


def test_credentials_in_a_value_are_denied():
    found = findings(task_definition("worker", [("SOME_URL", "postgresql://u:p@db/x")]))
    assert found == ["Credentials in the value of SOME_URL: aws_ecs_task_definition.p-worker:1"]


def test_jwt_only_for_api_server_and_scheduler_and_mounts_read_only():
    jwt = ["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert findings(task_definition("scheduler", secrets=jwt)) == []
    assert findings(task_definition("worker", secrets=jwt, read_only=False)) == [
        "Airflow container mounts /opt/airflow/dags writable (only dag-sync writes DAGs): "
        "aws_ecs_task_definition.p-worker:1",
        "JWT secret given to worker (only api-server and scheduler): aws_ecs_task_definition.p-worker:1",
    ]


def test_every_container_has_a_read_only_root_and_a_pinned_non_root_user():
    """A writable scratch volume is allowed; a writable root file system, an unpinned user, a user
    name and root (uid 0) are each denied, for the DAG writer too."""
    address = "aws_ecs_task_definition.p-{}:1"
    assert findings(task_definition("dag-sync", read_only=False)) == []
    writable = "Container worker has a writable root file system (readonlyRootFilesystem)"
    found = findings(task_definition("worker", readonly_root=False))
    assert found == [f"{writable}: {address.format('worker')}"]
    for user in ("", "airflow", "root:0"):
        assert findings(task_definition("dag-sync", user=user)) == [
            f"Container dag-sync does not pin a numeric user: {address.format('dag-sync')}"
        ], user
    for user in ("0", "0:0", "00:50000"):
        assert findings(task_definition("scheduler", user=user)) == [
            f"Container scheduler runs as root (user {user}): {address.format('scheduler')}"
        ], user


def _execution_role(name: str, secret_arns: list[str]) -> dict:
    statement = {"effect": "Allow", "actions": ["secretsmanager:GetSecretValue"], "resources": secret_arns}
    after = {
        "name": name,
        "arn": f"arn:aws:iam::1:role/{name}",
        "service": "x-execution",
        "statements": [statement],
    }
    return {"address": f"aws_iam_role.{name}", "type": "aws_iam_role", "change": {"after": after}}


def _with_execution(task: dict, role: str, secret_arns: list[str]) -> dict:
    task["change"]["after"]["execution_role_arn"] = f"arn:aws:iam::1:role/{role}"
    task["change"]["after"]["containers"][0]["secret_arns"] = secret_arns
    return task


def test_an_execution_role_reads_exactly_its_task_definitions_secrets():
    fernet, jwt = (
        "arn:aws:secretsmanager:r:1:secret:p/fernet_key-a",
        "arn:aws:secretsmanager:r:1:secret:p/jwt-b",
    )
    task = _with_execution(task_definition("worker"), "p-worker-execution", [fernet])
    assert findings(task, _execution_role("p-worker-execution", [fernet])) == []
    wider = findings(task, _execution_role("p-worker-execution", [fernet, jwt]))
    assert wider == [
        f'Execution role p-worker-execution may read {{"{fernet}", "{jwt}"}}, task definition '
        f'aws_ecs_task_definition.p-worker:1 names {{"{fernet}"}}'
    ]
    assert findings(task, _execution_role("p-worker-execution", ["arn:aws:secretsmanager:r:1:secret:p/*"]))
