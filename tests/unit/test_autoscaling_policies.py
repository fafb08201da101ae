"""Two step-scaling policies on one ECS service through community.aws.application_autoscaling_policy,
run by ansible-playbook against the emulator (local_aws/extensions/applicationautoscaling_policy_names.py:
moto ignored DescribeScalingPolicies' PolicyNames, so the second policy failed with
'StepScalingPolicyConfiguration'). The cluster and service come from our own modules."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from ansible_run import run_playbook

CLUSTER, SERVICE = "airflow-aas", "worker"
RESOURCE = f"service/{CLUSTER}/{SERVICE}"


def playbook() -> list:
    common = {
        "state": "present",
        "service_namespace": "ecs",
        "resource_id": RESOURCE,
        "scalable_dimension": "ecs:service:DesiredCount",
        "policy_type": "StepScaling",
        "minimum_tasks": 1,
        "maximum_tasks": 5,
        "endpoint_url": "{{ lookup('env', 'AWS_ENDPOINT_URL') }}",
        "region": "us-east-1",
    }
    policy = {
        "AdjustmentType": "ChangeInCapacity",
        "MetricAggregationType": "Average",
    }
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Cluster",
                    "pathwai.airflow_ecs.ecs_cluster": {
                        "name": CLUSTER,
                        "capacity_providers": ["FARGATE"],
                        "region": "us-east-1",
                    },
                },
                {
                    "name": "Service, its count owned by autoscaling",
                    "pathwai.airflow_ecs.ecs_service": {
                        "cluster": CLUSTER,
                        "name": SERVICE,
                        "task_definition": "airflow-aas-worker:1",
                        "desired_count": 1,
                        "desired_count_managed_externally": True,
                        "launch_type": "FARGATE",
                        "region": "us-east-1",
                    },
                },
                {
                    "name": "Scale out by one",
                    "community.aws.application_autoscaling_policy": {
                        **common,
                        "policy_name": f"{SERVICE}-scale-out",
                        "step_scaling_policy_configuration": {
                            **policy,
                            "Cooldown": 60,
                            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
                        },
                    },
                },
                {
                    "name": "Scale in by one",
                    "community.aws.application_autoscaling_policy": {
                        **common,
                        "policy_name": f"{SERVICE}-scale-in",
                        "step_scaling_policy_configuration": {
                            **policy,
                            "Cooldown": 300,
                            "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}],
                        },
                    },
                },
            ],
        }
    ]


@pytest.fixture
def files(tmp_path, aws_endpoint):
    boto3.client("ecs", endpoint_url=aws_endpoint.url).register_task_definition(
        family="airflow-aas-worker",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "worker", "image": "airflow:3", "essential": True}],
    )
    book = tmp_path / "autoscaling.yml"
    book.write_text(yaml.safe_dump(playbook(), sort_keys=False))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                        }
                    }
                }
            }
        )
    )
    return str(book), str(inventory)


def test_two_step_policies_converge_and_rerun_changes_nothing(files, aws_endpoint):
    book, inventory = files
    first = run_playbook(book, inventory=inventory)
    assert first.rc == 0, first.output[-4000:]
    assert first.changed == 4

    aas = boto3.client("application-autoscaling", endpoint_url=aws_endpoint.url)
    target = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE])["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in target] == [(1, 5)]
    policies = {
        p["PolicyName"]: p["StepScalingPolicyConfiguration"]
        for p in aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScalingPolicies"]
    }
    assert sorted(policies) == [f"{SERVICE}-scale-in", f"{SERVICE}-scale-out"]
    assert policies[f"{SERVICE}-scale-out"]["Cooldown"] == 60
    assert policies[f"{SERVICE}-scale-out"]["StepAdjustments"][0]["ScalingAdjustment"] == 1
    assert policies[f"{SERVICE}-scale-in"]["Cooldown"] == 300
    assert policies[f"{SERVICE}-scale-in"]["StepAdjustments"][0]["ScalingAdjustment"] == -1

    aws_endpoint.reset_calls()
    again = run_playbook(book, inventory=inventory)
    assert again.rc == 0, again.output[-4000:]
    assert again.changed == 0, again.output[-4000:]
    assert [c for c in aws_endpoint.calls() if c["write"]] == []


def test_policy_names_filter(aws_endpoint):
    """The filter itself, and exact (not substring) resource ids."""
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url)
    aas = boto3.client("application-autoscaling", endpoint_url=aws_endpoint.url)
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="f", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}])
    for service in ("web", "web-2"):
        ecs.create_service(cluster="c", serviceName=service, taskDefinition="f", desiredCount=1)
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/c/{service}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=2,
        )
        for policy in ("up", "down"):
            aas.put_scaling_policy(
                PolicyName=policy,
                ServiceNamespace="ecs",
                ResourceId=f"service/c/{service}",
                ScalableDimension="ecs:service:DesiredCount",
                PolicyType="StepScaling",
                StepScalingPolicyConfiguration={
                    "AdjustmentType": "ChangeInCapacity",
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
                },
            )
    found = aas.describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId="service/c/web", PolicyNames=["down"]
    )
    assert [(p["PolicyName"], p["ResourceId"]) for p in found["ScalingPolicies"]] == [
        ("down", "service/c/web")
    ]
    everything = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/c/web")
    assert sorted(p["PolicyName"] for p in everything["ScalingPolicies"]) == ["down", "up"]
    assert "NextToken" not in everything
