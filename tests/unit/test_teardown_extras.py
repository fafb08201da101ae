"""pathwai.airflow_ecs.teardown_extras against the emulator: removes what exists, ignores what
does not, writes nothing in check mode, and a second run changes nothing."""

from __future__ import annotations

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.teardown_extras import (
    present_aliases,
    present_targets,
)

TARGET = {
    "service_namespace": "ecs",
    "resource_id": "service/c1/s1",
    "scalable_dimension": "ecs:service:DesiredCount",
}


@pytest.fixture
def leftovers(aws_endpoint):
    url = aws_endpoint.url
    kms = boto3.client("kms", endpoint_url=url)
    key = kms.create_key(Description="k")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/airflow-t-rds", TargetKeyId=key)
    ecs = boto3.client("ecs", endpoint_url=url)
    ecs.create_cluster(clusterName="c1")
    ecs.register_task_definition(
        family="t", containerDefinitions=[{"name": "c", "image": "i:1", "memory": 64}]
    )
    ecs.create_service(cluster="c1", serviceName="s1", taskDefinition="t", desiredCount=0)
    aas = boto3.client("application-autoscaling", endpoint_url=url)
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c1/s1",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
    )
    cw = boto3.client("cloudwatch", endpoint_url=url)
    cw.put_dashboard(DashboardName="airflow-t", DashboardBody='{"widgets": []}')
    return {"kms": kms, "aas": aas, "cw": cw}


ARGS = {
    "kms_aliases": ["alias/airflow-t-rds", "airflow-t-missing"],
    "scalable_targets": [TARGET, {**TARGET, "resource_id": "service/c1/gone"}],
    "dashboards": ["airflow-t", "airflow-t-missing"],
}


def test_check_mode_lists_and_writes_nothing(leftovers, module_runner, aws_endpoint):
    aws_endpoint.reset_calls()
    result = module_runner("teardown_extras", ARGS, check_mode=True)
    assert result["changed"]
    assert result["removed"] == {
        "cluster_tasks": [],
        "kms_aliases": ["alias/airflow-t-rds"],
        "unaliased_keys": [],
        "scalable_targets": [TARGET],
        "dashboards": ["airflow-t"],
    }
    assert [c for c in aws_endpoint.calls() if c["write"]] == []


def test_removes_what_exists_then_nothing(leftovers, module_runner, aws_endpoint):
    aws_endpoint.reset_calls()
    result = module_runner("teardown_extras", ARGS)
    assert result["changed"]
    writes = sorted(c["action"] for c in aws_endpoint.calls() if c["write"])
    assert writes == ["DeleteAlias", "DeleteDashboards", "DeregisterScalableTarget"]
    aliases = [a["AliasName"] for a in leftovers["kms"].list_aliases()["Aliases"]]
    assert "alias/airflow-t-rds" not in aliases
    assert leftovers["aas"].describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert leftovers["cw"].list_dashboards()["DashboardEntries"] == []

    again = module_runner("teardown_extras", ARGS)
    assert not again["changed"]
    assert again["removed"] == {
        "cluster_tasks": [],
        "kms_aliases": [],
        "unaliased_keys": [],
        "scalable_targets": [],
        "dashboards": [],
    }


def test_schedules_only_tagged_keys_no_alias_points_at(aws_endpoint, module_runner):
    """A run stopped between CreateKey and CreateAlias leaves a key tagged with its intended alias:
    scheduled for deletion; an aliased key and a key tagged for another alias are left alone."""
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url)

    def key(alias_tag: str) -> str:
        tags = [{"TagKey": "airflow:alias", "TagValue": alias_tag}]
        return kms.create_key(Description="k", Tags=tags)["KeyMetadata"]["KeyId"]

    orphan, aliased, other = (
        key("alias/airflow-t-logs"),
        key("alias/airflow-t-rds"),
        key("alias/someone-else"),
    )
    kms.create_alias(AliasName="alias/airflow-t-rds", TargetKeyId=aliased)
    args = {"unaliased_keys": ["alias/airflow-t-logs", "airflow-t-rds"], "pending_window": 7}
    assert module_runner("teardown_extras", args, check_mode=True)["removed"]["unaliased_keys"] == [orphan]
    assert kms.describe_key(KeyId=orphan)["KeyMetadata"]["KeyState"] == "Enabled"
    assert module_runner("teardown_extras", args)["removed"]["unaliased_keys"] == [orphan]
    states = {k: kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] for k in (orphan, aliased, other)}
    assert states == {orphan: "PendingDeletion", aliased: "Enabled", other: "Enabled"}
    again = module_runner("teardown_extras", args)
    assert not again["changed"] and again["removed"]["unaliased_keys"] == []


def test_selection_is_pure():
    found = [{"AliasName": "alias/a"}, {"AliasName": "alias/b"}]
    assert present_aliases(["b", "alias/c", "alias/a"], found) == ["alias/b", "alias/a"]
    api = [
        {
            "ServiceNamespace": "ecs",
            "ResourceId": "service/c1/s1",
            "ScalableDimension": "ecs:service:DesiredCount",
        }
    ]
    assert present_targets([TARGET], api) == [TARGET]
    assert present_targets([{**TARGET, "scalable_dimension": "x"}], api) == []


def test_stops_the_tasks_running_in_a_cluster(aws_endpoint, module_runner):
    """A one-off task a stopped run left running would block DeleteCluster: stopped; a cluster that
    does not exist is no error."""
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url)
    ecs.create_cluster(clusterName="c2")
    ecs.register_task_definition(
        family="m", containerDefinitions=[{"name": "c", "image": "i:1", "memory": 64}]
    )
    task = ecs.run_task(cluster="c2", taskDefinition="m", launchType="FARGATE")["tasks"][0]["taskArn"]
    assert module_runner("teardown_extras", {"cluster_tasks": "c2"}, check_mode=True)["removed"][
        "cluster_tasks"
    ] == [task]
    assert ecs.list_tasks(cluster="c2", desiredStatus="RUNNING")["taskArns"] == [task]
    assert module_runner("teardown_extras", {"cluster_tasks": "c2"})["removed"]["cluster_tasks"] == [task]
    assert ecs.list_tasks(cluster="c2", desiredStatus="RUNNING")["taskArns"] == []
    assert not module_runner("teardown_extras", {"cluster_tasks": "c2"})["changed"]
    assert module_runner("teardown_extras", {"cluster_tasks": "absent"})["removed"]["cluster_tasks"] == []
