"""playbooks/rotate_secrets.yml against a small stack in the emulator: the secrets as the data role
makes them (generated and composed), the RDS instance and Redis group they belong to, and an ECS
cluster whose services name them in their task definitions (built with boto3 in a few seconds
rather than by a first site.yml run: only what a rotation touches).

Proved: nothing due is changed=0 and a check-mode run writes nothing; a forced rotation of every kind
gives RDS and ElastiCache the new values (ROTATE then SET), rewrites every composed secret to match,
rolls exactly the services that read them and runs `airflow rotate-fernet-key`; the old Fernet key
is dropped on a later run; a run stopped between steps is finished by the next with the value it
had stored, never a third one."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))

from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import connection_secrets, generated_secrets
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.managed_secret import generate, render
from ansible_run import run_playbook
from moto.backends import get_backend

from local_aws.server import fetch_auth_tokens

PREFIX, NAMES = "airflow/local", "airflow-local"
ACCOUNT, REGION = "123456789012", "us-east-1"
# service -> the secrets its task definition names (as the compute role's rows do)
READERS = {
    "scheduler": [
        "sql_alchemy_conn",
        "celery_broker_url",
        "celery_result_backend",
        "fernet_key",
        "jwt_secret",
        "api_secret_key",
    ],
    "worker": [
        "sql_alchemy_conn",
        "celery_broker_url",
        "celery_result_backend",
        "fernet_key",
        "api_secret_key",
    ],
    "dag-processor": ["sql_alchemy_conn", "fernet_key", "jwt_secret", "api_secret_key"],
    "dag-sync": [],
}
NOTHING_DUE = {
    "rotate_secrets_max_age_days": dict.fromkeys(
        ["db_master_password", "redis_auth_token", "fernet_key", "jwt_secret", "api_secret_key"], 3650
    )
}


class Stack:
    def __init__(self, url: str):
        session = boto3.Session(region_name=REGION)
        self.url = url
        self.sm = session.client("secretsmanager", endpoint_url=url)
        self.ecs = session.client("ecs", endpoint_url=url)
        self.rds = session.client("rds", endpoint_url=url)
        self.cache = session.client("elasticache", endpoint_url=url)
        self.ec2 = session.client("ec2", endpoint_url=url)
        self.kms = session.client("kms", endpoint_url=url)

    def value(self, short: str, stage: str = "AWSCURRENT") -> str:
        return self.sm.get_secret_value(SecretId=f"{PREFIX}/{short}", VersionStage=stage)["SecretString"]

    def stages(self, short: str) -> list[list[str]]:
        versions = self.sm.list_secret_version_ids(SecretId=f"{PREFIX}/{short}")["Versions"]
        return sorted(sorted(v["VersionStages"]) for v in versions if v["VersionStages"])

    def build(self) -> None:
        key = self.kms.create_key()["KeyMetadata"]["Arn"]
        values = {}
        for item in generated_secrets(PREFIX):
            values[item["name"]] = generate(item["generate"], item.get("length", 48))
            self.sm.create_secret(Name=item["name"], SecretString=values[item["name"]], KmsKeyId=key)
        self.rds.create_db_instance(
            DBInstanceIdentifier=f"{NAMES}-db",
            Engine="postgres",
            DBInstanceClass="db.t4g.medium",
            MasterUsername="airflow",
            MasterUserPassword=values[f"{PREFIX}/db_master_password"],
            AllocatedStorage=20,
            DBName="airflow",
        )
        self.cache.create_replication_group(
            ReplicationGroupId=f"{NAMES}-redis",
            ReplicationGroupDescription="broker",
            Engine="redis",
            TransitEncryptionEnabled=True,
            AuthToken=values[f"{PREFIX}/redis_auth_token"],
        )
        db = self.rds.describe_db_instances()["DBInstances"][0]["Endpoint"]
        group = self.cache.describe_replication_groups()["ReplicationGroups"][0]
        primary = group["NodeGroups"][0]["PrimaryEndpoint"]
        endpoints = {
            "db_host": db["Address"],
            "db_port": db["Port"],
            "db_name": "airflow",
            "db_user": "airflow",
            "redis_host": primary["Address"],
            "redis_port": primary["Port"],
        }
        for item in connection_secrets(PREFIX):
            self.sm.create_secret(
                Name=item["name"], SecretString=render(item["template"], values, endpoints), KmsKeyId=key
            )
        arns = {s["Name"].rsplit("/", 1)[1]: s["ARN"] for s in self.sm.list_secrets()["SecretList"]}
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group_id = self.ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)[
            "GroupId"
        ]
        self.ecs.create_cluster(clusterName=NAMES, capacityProviders=["FARGATE"])
        families = dict(READERS, **{"db-migrate": ["sql_alchemy_conn", "fernet_key"]})
        for service, shorts in families.items():
            self.ecs.register_task_definition(
                family=f"{NAMES}-{service}",
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="512",
                memory="1024",
                containerDefinitions=[
                    {
                        "name": service,
                        "image": "airflow:3.1.8",
                        "essential": True,
                        "memory": 1024,
                        "secrets": [{"name": short.upper(), "valueFrom": arns[short]} for short in shorts],
                    }
                ],
            )
            if service != "db-migrate":
                self.ecs.create_service(
                    cluster=NAMES,
                    serviceName=f"{NAMES}-{service}",
                    taskDefinition=f"{NAMES}-{service}",
                    desiredCount=1,
                    launchType="FARGATE",
                    networkConfiguration={
                        "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group_id]}
                    },
                )

    def deployments(self) -> dict[str, str]:
        arns = self.ecs.list_services(cluster=NAMES)["serviceArns"]
        services = self.ecs.describe_services(cluster=NAMES, services=arns)["services"]
        return {s["serviceName"][len(NAMES) + 1 :]: s["deployments"][0]["id"] for s in services}

    def master_password(self) -> str:
        # moto keeps the password (its property refuses to return it); the emulator runs in this process
        return get_backend("rds")[ACCOUNT][REGION].databases[f"{NAMES}-db"]._master_user_password

    def redis_tokens(self) -> list[str]:
        return fetch_auth_tokens(self.url)[f"{NAMES}-redis"]

    def writes(self, emulator) -> list[str]:
        return [f"{c['service']} {c['action']}" for c in emulator.calls() if c["write"]]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def assert_composed(stack: Stack) -> None:
    """Every composed secret carries the current password and token."""
    password, token = stack.value("db_master_password"), stack.value("redis_auth_token")
    assert json.loads(stack.value("db"))["password"] == password
    for short in ("sql_alchemy_conn", "celery_result_backend"):
        assert f"://airflow:{quote(password, safe='')}@" in stack.value(short)
    assert json.loads(stack.value("redis"))["auth_token"] == token
    assert stack.value("celery_broker_url").startswith(f"rediss://:{quote(token, safe='')}@")


@pytest.fixture(scope="module")
def stack(module_aws_endpoint):
    built = Stack(module_aws_endpoint.url)
    built.build()
    return built


def rotate(*args: str, extra: dict | None = None, check: bool = False):
    return run_playbook("playbooks/rotate_secrets.yml", *args, extra_vars=extra, check=check)


def test_nothing_due_changes_nothing_and_the_plan_writes_nothing(stack, module_aws_endpoint):
    before = {short: stack.value(short) for short in ("db_master_password", "fernet_key", "jwt_secret")}
    module_aws_endpoint.reset_calls()
    run = rotate(extra=NOTHING_DUE)
    assert run.rc == 0, run.output[-4000:]
    assert run.changed == 0
    assert "db: none" in run.output and "jwt: none" in run.output
    planned = rotate(extra={"rotate_secrets_force": True}, check=True)
    assert planned.rc == 0, planned.output[-4000:]
    assert planned.changed > 0
    assert stack.writes(module_aws_endpoint) == []
    assert {short: stack.value(short) for short in before} == before
    assert_composed(stack)


def test_a_forced_rotation_of_every_kind(stack, module_aws_endpoint):
    old = {
        s: stack.value(s)
        for s in (
            "db_master_password",
            "redis_auth_token",
            "fernet_key",
            "jwt_secret",
            "api_secret_key",
            "oidc_client_secret",
        )
    }
    deployed = stack.deployments()
    module_aws_endpoint.reset_calls()
    run = rotate(extra={"rotate_secrets_force": True})
    assert run.rc == 0, run.output[-6000:]
    new = {s: stack.value(s) for s in old}
    assert all(new[s] != old[s] for s in old if s != "oidc_client_secret")
    assert new["oidc_client_secret"] == old["oidc_client_secret"]
    # RDS and ElastiCache hold the new values; ROTATE came before SET
    assert stack.master_password() == new["db_master_password"], (
        stack.master_password() == old["db_master_password"],
        run.output[-8000:],
    )
    assert stack.redis_tokens() == [sha(new["redis_auth_token"])]
    writes = stack.writes(module_aws_endpoint)
    assert writes.count("rds ModifyDBInstance") == 1
    assert writes.count("elasticache ModifyReplicationGroup") == 2
    assert_composed(stack)
    # the new Fernet key first, the old one kept until the re-encryption is recorded
    new_key, kept = new["fernet_key"].split(",")
    assert kept == old["fernet_key"] and new_key != kept
    assert stack.stages("fernet_key") == [["AIRFLOW_ECS_REENCRYPTED", "AWSCURRENT"], ["AWSPREVIOUS"]]
    tasks = stack.ecs.describe_tasks(
        cluster=NAMES, tasks=stack.ecs.list_tasks(cluster=NAMES, family=f"{NAMES}-db-migrate")["taskArns"]
    )["tasks"]
    assert [t["overrides"]["containerOverrides"][0]["command"] for t in tasks] == [["rotate-fernet-key"]]
    # every service that reads a rotated secret was rolled, dag-sync (no secret) was not
    rolled = {name for name, deployment in stack.deployments().items() if deployment != deployed[name]}
    assert rolled == {"scheduler", "worker", "dag-processor"}
    for short in ("db_master_password", "redis_auth_token", "jwt_secret", "api_secret_key"):
        assert stack.stages(short) == [["AWSCURRENT"], ["AWSPREVIOUS"]]


def test_the_old_fernet_key_is_dropped_on_a_later_run_then_nothing_is_due(stack):
    keys = stack.value("fernet_key").split(",")
    run = rotate(extra=NOTHING_DUE)
    assert run.rc == 0, run.output[-4000:]
    assert "fernet: drop_old_key" in run.output
    assert stack.value("fernet_key") == keys[0]
    again = rotate(extra=NOTHING_DUE)
    assert again.rc == 0 and again.changed == 0, again.output[-4000:]


@pytest.mark.parametrize(
    ("kind", "stop_on", "short"),
    [
        ("db", "rds ModifyDBInstance", "db_master_password"),
        ("redis", "elasticache ModifyReplicationGroup", "redis_auth_token"),
        ("jwt", "secretsmanager UpdateSecretVersionStage", "jwt_secret"),
    ],
)
def test_a_stopped_rotation_is_finished_with_the_stored_value(
    stack, module_aws_endpoint, kind, stop_on, short
):
    old = stack.value(short)
    module_aws_endpoint.set_faults(stop_after_writes=1, stop_on=stop_on)
    try:
        stopped = rotate(extra={"rotate_secrets_force": True, "rotate_secrets_kinds": [kind]})
    finally:
        module_aws_endpoint.clear_faults()
    assert stopped.rc != 0
    pending = stack.value(short, "AWSPENDING")
    assert pending != old
    # re-run without force: the rotation under way is found and finished with the pending value
    resumed = rotate(extra={**NOTHING_DUE, "rotate_secrets_kinds": [kind]})
    assert resumed.rc == 0, resumed.output[-4000:]
    assert f"{kind}: resume" in resumed.output
    assert stack.value(short) == pending
    assert stack.stages(short) == [["AWSCURRENT"], ["AWSPREVIOUS"]]
    if kind == "db":
        assert stack.master_password() == pending
    if kind == "redis":
        assert stack.redis_tokens() == [sha(pending)]
    assert_composed(stack)
