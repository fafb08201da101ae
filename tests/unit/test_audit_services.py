"""The audit's read of ECS services (audit_compute.service_resources) against the emulator: each
service's ECS Exec switch as ECS reports it, a missing service named; what policies/hardening.rego
then judges (tests/unit/test_hardening_policy.py)."""

from __future__ import annotations

import boto3
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.audit_compute import service_resources


def test_exec_switch_and_missing_services_are_read(aws_endpoint):
    ecs = boto3.client("ecs", endpoint_url=aws_endpoint.url, region_name="us-east-1")
    ecs.create_cluster(clusterName="p")
    family = ecs.register_task_definition(
        family="p-x", containerDefinitions=[{"name": "x", "image": "x:1", "memory": 512}]
    )["taskDefinition"]["taskDefinitionArn"]
    for name, on in (("p-worker", True), ("p-scheduler", False)):
        ecs.create_service(
            cluster="p", serviceName=name, taskDefinition=family, desiredCount=0, enableExecuteCommand=on
        )
    reader = RetryingBotoClientWrapper(ecs, AWSRetry.jittered_backoff(retries=2))
    found = {
        r["address"].removeprefix("aws_ecs_service."): r["change"]["after"]
        for r in service_resources(reader, "p", ["p-worker", "p-scheduler", "p-gone"])
    }
    assert found == {
        "p-worker": {"id": "p-worker", "enable_execute_command": True},
        "p-scheduler": {"id": "p-scheduler", "enable_execute_command": False},
        "p-gone": {"id": "p-gone", "missing": True},
    }
