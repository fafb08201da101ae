"""Emulator extension applicationautoscaling_deregister_target: deregistering a scalable target
deletes its scaling policies and scheduled actions (AWS's rule), and only that target's."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

DIMENSION = "ecs:service:DesiredCount"
STEP = {
    "AdjustmentType": "ChangeInCapacity",
    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
}


def _target(aas, service: str) -> str:
    resource = f"service/c/{service}"
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=2
    )
    for name in ("scale-out", "scale-in"):
        aas.put_scaling_policy(
            PolicyName=f"{service}-{name}",
            ServiceNamespace="ecs",
            ResourceId=resource,
            ScalableDimension=DIMENSION,
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration=STEP,
        )
    aas.put_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName=f"{service}-night",
        ResourceId=resource,
        ScalableDimension=DIMENSION,
        Schedule="cron(0 22 * * ? *)",
        ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0},
    )
    return resource


def test_deregistering_a_target_deletes_its_policies_and_scheduled_actions_only(aws_endpoint):
    aas = boto3.client("application-autoscaling", endpoint_url=aws_endpoint.url)
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url)
    ecs.create_cluster(clusterName="c")
    container = {"name": "a", "image": "a:1", "memory": 64}
    ecs.register_task_definition(family="t", containerDefinitions=[container])
    for service in ("web", "web-2"):
        ecs.create_service(cluster="c", serviceName=service, taskDefinition="t", desiredCount=0)
    gone, kept = _target(aas, "web"), _target(aas, "web-2")
    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=gone, ScalableDimension=DIMENSION)
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert sorted(p["PolicyName"] for p in policies) == ["web-2-scale-in", "web-2-scale-out"]
    actions = aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]
    assert [a["ResourceId"] for a in actions] == [kept]
    with pytest.raises(ClientError) as error:
        aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=gone, ScalableDimension=DIMENSION)
    assert error.value.response["Error"]["Code"] == "ValidationException"
