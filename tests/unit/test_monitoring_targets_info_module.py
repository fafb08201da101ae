"""pathwai.airflow_ecs.monitoring_targets_info against the emulator: everything the monitoring role
watches found in one run with one call per resource, and what is missing named, not failed on."""

from __future__ import annotations

import boto3
import pytest

P = "airflow-t"


def _client(aws_endpoint, service):
    return boto3.client(service, endpoint_url=aws_endpoint.url, region_name="us-east-1")


def _args(**overrides) -> dict:
    args = {
        "key_alias": f"alias/{P}-sns",
        "scaling_cluster": P,
        "service_prefix": f"{P}-",
        "alb_name": f"{P}-alb",
        "target_group_name": f"{P}-api",
        "db_instance_id": f"{P}-db",
        "replication_group_id": f"{P}-redis",
        "efs_name": f"{P}-dags",
    }
    return {**args, **overrides}


@pytest.fixture
def platform(aws_endpoint):
    kms = _client(aws_endpoint, "kms")
    # A foreign key first, then ours (tagged, with the alias).
    kms.create_key(Tags=[{"TagKey": "airflow:env", "TagValue": "other"}])
    key = kms.create_key(
        Tags=[{"TagKey": "airflow:env", "TagValue": "t"}, {"TagKey": "airflow:purpose", "TagValue": "sns"}]
    )["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{P}-sns", TargetKeyId=key["KeyId"])

    ecs = _client(aws_endpoint, "ecs")
    ecs.create_cluster(clusterName=P)
    ecs.register_task_definition(
        family="w", containerDefinitions=[{"name": "w", "image": "b:1", "memory": 128}]
    )
    ecs.create_cluster(clusterName="elsewhere")
    aas = _client(aws_endpoint, "application-autoscaling")
    config = {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0,
              "ScalingAdjustment": 1}]}  # fmt: skip
    policies = {}
    # Two pools of this cluster; a service with one step policy only (not a pool); a pool of
    # another cluster (not ours).
    for cluster, service, names in (
        (P, f"{P}-worker", ("scale-out", "scale-in")),
        (P, f"{P}-worker-heavy", ("scale-out", "scale-in")),
        (P, f"{P}-half", ("scale-out",)),
        ("elsewhere", f"{P}-worker", ("scale-out", "scale-in")),
    ):
        ecs.create_service(cluster=cluster, serviceName=service, taskDefinition="w", desiredCount=1)
        target = {
            "ServiceNamespace": "ecs",
            "ResourceId": f"service/{cluster}/{service}",
            "ScalableDimension": "ecs:service:DesiredCount",
        }
        aas.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
        for name in names:
            arn = aas.put_scaling_policy(
                PolicyName=f"{service}-{name}",
                PolicyType="StepScaling",
                StepScalingPolicyConfiguration=config,
                **target,
            )["PolicyARN"]
            if cluster == P:
                policies[f"{service}-{name}"] = arn

    ec2 = _client(aws_endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    elb = _client(aws_endpoint, "elbv2")
    alb = elb.create_load_balancer(Name=f"{P}-alb", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]
    tg = elb.create_target_group(Name=f"{P}-api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]
    _client(aws_endpoint, "rds").create_db_instance(
        DBInstanceIdentifier=f"{P}-db",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        AllocatedStorage=50,
        MasterUsername="airflow",
        MasterUserPassword="secret-password-1",
    )
    _client(aws_endpoint, "elasticache").create_replication_group(
        ReplicationGroupId=f"{P}-redis",
        ReplicationGroupDescription="d",
        NumCacheClusters=2,
        CacheNodeType="cache.t4g.micro",
    )
    fs = _client(aws_endpoint, "efs").create_file_system(CreationToken=f"{P}-dags", ThroughputMode="elastic")
    return {
        "key_arn": key["Arn"],
        "policies": policies,
        "alb_arn": alb["LoadBalancerArn"],
        "tg_arn": tg["TargetGroupArn"],
        "fs_id": fs["FileSystemId"],
    }


def test_everything_found_in_one_run_one_call_each(module_runner, platform, aws_endpoint):
    aws_endpoint.reset_calls()
    found = module_runner("monitoring_targets_info", _args())
    assert found["changed"] is False and found["missing"] == []
    assert found["key_arn"] == platform["key_arn"]
    assert "policy_arns" not in found  # the pools carry them
    arns = platform["policies"]
    assert found["pools"] == {
        pool: {
            "service": f"{P}-{pool}",
            "scale_out_arn": arns[f"{P}-{pool}-scale-out"],
            "scale_in_arn": arns[f"{P}-{pool}-scale-in"],
        }
        for pool in ("worker", "worker-heavy")
    }
    assert found["alb_arn"] == platform["alb_arn"] and found["target_group_arn"] == platform["tg_arn"]
    assert found["db_instance_id"] == f"{P}-db" and found["db_allocated_storage_gib"] == 50
    assert found["redis_nodes"] == [f"{P}-redis-001", f"{P}-redis-002"]
    assert found["efs_id"] == platform["fs_id"] and found["efs_throughput_mode"] == "elastic"
    calls = [c["action"] for c in aws_endpoint.calls()]
    # One call per resource (the emulator's record names EFS's REST DescribeFileSystems by its path).
    assert len(calls) == 8, calls
    assert set(calls) >= {"ListAliases", "DescribeKey", "DescribeScalingPolicies",
                          "DescribeLoadBalancers", "DescribeTargetGroups", "DescribeDBInstances",
                          "DescribeReplicationGroups"}  # fmt: skip
    assert "ListKeys" not in calls


def test_a_key_under_another_alias_is_not_taken(module_runner, platform):
    found = module_runner("monitoring_targets_info", _args(key_alias="alias/nope"))
    assert found["key_arn"] == "" and found["missing"] == ["KMS key alias/nope"]


def test_missing_resources_are_named_not_failed(module_runner, aws_endpoint):
    found = module_runner("monitoring_targets_info", _args())
    assert found["key_arn"] == "" and found["alb_arn"] == "" and found["redis_nodes"] == []
    assert found["efs_id"] == "" and found["efs_throughput_mode"] == "bursting"
    assert found["db_instance_id"] == "" and found["db_allocated_storage_gib"] == 0
    assert len(found["missing"]) == 7
    assert f"ALB {P}-alb" in found["missing"]
    assert f"worker pool step policies in cluster {P}" in found["missing"]
