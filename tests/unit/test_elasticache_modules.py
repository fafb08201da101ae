"""pathwai.airflow_ecs.elasticache_parameter_group / elasticache_replication_group against the
emulator (create, no-op, one change, check mode, diff, delete, errors), the emulator's ElastiCache
extensions themselves, and - with botocore's Stubber on a real client - what the emulator cannot
show: a group that stays ``modifying`` for a while, throttling, a wait that times out."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import elasticache as ec
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import elasticache_api
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import WaitError, retrying_client
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from conftest import ModuleFailed
from moto.elasticache.models import elasticache_backends

TOKEN = "S3cret-Token-For-Redis-0123456789"
GROUP_ID = "airflow-test-redis"


@pytest.fixture(scope="module")
def shared_net(module_aws_endpoint):
    """One emulator for this file, with a VPC, two subnets, two security groups and a KMS key.

    Starting an emulator and creating its first EC2 resources costs several seconds; only the
    ElastiCache state is emptied between tests (see ``aws_endpoint``)."""
    ec2 = boto3.client("ec2", endpoint_url=module_aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"redis{i}", Description="d", VpcId=vpc_id)["GroupId"]
        for i in (1, 2)
    ]
    key_arn = boto3.client("kms", endpoint_url=module_aws_endpoint.url).create_key()["KeyMetadata"]["Arn"]
    return {"subnets": subnets, "groups": groups, "key_arn": key_arn}


@pytest.fixture
def aws_endpoint(module_aws_endpoint, shared_net):
    """The shared emulator with every ElastiCache resource forgotten and the call record cleared
    (overrides the per-test emulator of tests/conftest.py for ``module_runner``)."""
    for account in list(elasticache_backends.values()):  # ElastiCache only: the rest stays as it is
        for backend in list(account.values()):
            backend.reset()
    module_aws_endpoint.reset_calls()
    return module_aws_endpoint


@pytest.fixture
def data_net(aws_endpoint, shared_net):
    """shared_net plus a cache subnet group and an ElastiCache client."""
    cache = boto3.client("elasticache", endpoint_url=aws_endpoint.url)
    cache.create_cache_subnet_group(
        CacheSubnetGroupName="airflow-test-data",
        CacheSubnetGroupDescription="data",
        SubnetIds=shared_net["subnets"],
    )
    aws_endpoint.reset_calls()
    return {**shared_net, "cache": cache}


def writes(aws_endpoint) -> list[str]:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def pg_args(**overrides) -> dict:
    args = {
        "name": "airflow-test-redis",
        "family": "redis7",
        "description": "Airflow Celery broker",
        "parameters": {"maxmemory-policy": "noeviction", "timeout": 300},
        "tags": {"airflow:env": "test"},
    }
    return {**args, **overrides}


def rg_args(net, **overrides) -> dict:
    args = {
        "replication_group_id": GROUP_ID,
        "description": "Airflow Celery broker",
        "engine_version": "7.1",
        "node_type": "cache.t4g.small",
        "replicas_per_node_group": 2,
        "cache_subnet_group_name": "airflow-test-data",
        "security_group_ids": [net["groups"][0]],
        "transit_encryption_enabled": True,
        "at_rest_encryption_enabled": True,
        "kms_key_id": net["key_arn"],
        "auth_token": TOKEN,
        "automatic_failover_enabled": True,
        "multi_az_enabled": True,
        "snapshot_retention_limit": 7,
        "snapshot_window": "03:00-04:00",
        "preferred_maintenance_window": "sun:05:00-sun:06:00",
        "tags": {"airflow:env": "test"},
    }
    return {**args, **overrides}


# ------------------------------------------------------------------ parameter group


def test_parameter_group_create_noop_update(module_runner, aws_endpoint):
    created = module_runner("elasticache_parameter_group", pg_args())
    assert created["changed"] is True
    group = created["cache_parameter_group"]
    assert group["family"] == "redis7"
    assert group["parameters"] == {"maxmemory-policy": "noeviction", "timeout": "300"}
    assert group["tags"] == {"airflow:env": "test"}

    aws_endpoint.reset_calls()
    again = module_runner("elasticache_parameter_group", pg_args())
    assert again["changed"] is False
    assert writes(aws_endpoint) == []

    aws_endpoint.reset_calls()
    changed = module_runner("elasticache_parameter_group", pg_args(parameters={"timeout": "600"}))
    assert changed["changed"] is True
    assert changed["changes"] == {"modified": {"timeout": "600"}, "reset": []}
    assert writes(aws_endpoint) == ["ModifyCacheParameterGroup"]
    assert changed["cache_parameter_group"]["parameters"] == {
        "maxmemory-policy": "noeviction",
        "timeout": "600",
    }
    assert changed["diff"]["before"]["parameters"]["timeout"] == "300"


def test_parameter_group_default_value_is_not_a_change(module_runner, aws_endpoint):
    """A wanted value equal to the family default needs no call (appendonly=no; YAML false -> no)."""
    module_runner("elasticache_parameter_group", pg_args())
    aws_endpoint.reset_calls()
    result = module_runner(
        "elasticache_parameter_group",
        pg_args(parameters={"maxmemory-policy": "noeviction", "timeout": 300, "appendonly": False}),
    )
    assert result["changed"] is False
    assert writes(aws_endpoint) == []


def test_parameter_group_check_mode(module_runner, aws_endpoint, data_net):
    planned = module_runner("elasticache_parameter_group", pg_args(), check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"] == {"before": {}, "after": planned["cache_parameter_group"]}
    assert writes(aws_endpoint) == []
    with pytest.raises(ClientError):
        data_net["cache"].describe_cache_parameter_groups(CacheParameterGroupName="airflow-test-redis")

    module_runner("elasticache_parameter_group", pg_args())
    aws_endpoint.reset_calls()
    planned = module_runner(
        "elasticache_parameter_group",
        pg_args(parameters={"maxmemory-policy": "allkeys-lru", "timeout": 300}),
        check_mode=True,
    )
    assert planned["changed"] is True
    assert planned["diff"]["before"]["parameters"]["maxmemory-policy"] == "noeviction"
    assert planned["diff"]["after"]["parameters"]["maxmemory-policy"] == "allkeys-lru"
    assert writes(aws_endpoint) == []


def test_parameter_group_purge_resets_unlisted(module_runner, aws_endpoint, data_net):
    module_runner("elasticache_parameter_group", pg_args())
    data_net["cache"].modify_cache_parameter_group(
        CacheParameterGroupName="airflow-test-redis",
        ParameterNameValues=[{"ParameterName": "tcp-keepalive", "ParameterValue": "60"}],
    )
    kept = module_runner("elasticache_parameter_group", pg_args())
    assert kept["changed"] is False  # not purging: extra user-set parameters stay
    aws_endpoint.reset_calls()
    purged = module_runner("elasticache_parameter_group", pg_args(purge_parameters=True))
    assert purged["changes"] == {"modified": {}, "reset": ["tcp-keepalive"]}
    assert writes(aws_endpoint) == ["ResetCacheParameterGroup"]
    assert "tcp-keepalive" not in purged["cache_parameter_group"]["parameters"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"maxmemory-polcy": "noeviction"}, "maxmemory-polcy: not a parameter of this family"),
        ({"maxmemory-policy": "lru"}, "'lru' is not one of volatile-lru"),
        ({"maxclients": 10}, "maxclients: not modifiable"),
        ({"timeout": 5}, "'5' is not one of 0,20-"),
    ],
)
def test_parameter_group_bad_parameters_fail_before_writing(module_runner, aws_endpoint, parameters, message):
    with pytest.raises(ModuleFailed) as failed:
        module_runner("elasticache_parameter_group", pg_args(parameters=parameters))
    assert message in failed.value.result["msg"]
    assert writes(aws_endpoint) == []  # no half-made group


def test_parameter_group_family_change_and_delete(module_runner, aws_endpoint, data_net):
    module_runner("elasticache_parameter_group", pg_args())
    with pytest.raises(ModuleFailed, match="cannot change the family"):
        module_runner("elasticache_parameter_group", pg_args(family="redis6.x"))
    aws_endpoint.reset_calls()
    gone = module_runner("elasticache_parameter_group", {"name": "airflow-test-redis", "state": "absent"})
    assert gone["changed"] is True
    assert gone["cache_parameter_group"]["parameters"]["maxmemory-policy"] == "noeviction"
    assert writes(aws_endpoint) == ["DeleteCacheParameterGroup"]
    again = module_runner("elasticache_parameter_group", {"name": "airflow-test-redis", "state": "absent"})
    assert again["changed"] is False


def test_emulator_parameter_groups(data_net):
    cache = data_net["cache"]
    cache.create_cache_parameter_group(
        CacheParameterGroupName="pg", CacheParameterGroupFamily="redis7", Description="d"
    )
    params = cache.get_paginator("describe_cache_parameters").paginate(
        CacheParameterGroupName="pg", PaginationConfig={"PageSize": 20}
    )
    pages = list(params)
    assert len(pages) == 2  # paged by MaxRecords/Marker
    by_name = {p["ParameterName"]: p for page in pages for p in page["Parameters"]}
    policy = by_name["maxmemory-policy"]
    assert (policy["ParameterValue"], policy["Source"], policy["DataType"], policy["IsModifiable"]) == (
        "volatile-lru",
        "system",
        "string",
        True,
    )
    assert "noeviction" in policy["AllowedValues"].split(",")
    errors = {
        "CacheParameterGroupAlreadyExists": lambda: cache.create_cache_parameter_group(
            CacheParameterGroupName="pg", CacheParameterGroupFamily="redis7", Description="d"
        ),
        "CacheParameterGroupNotFound": lambda: cache.describe_cache_parameters(
            CacheParameterGroupName="nope"
        ),
        "InvalidParameterValue": lambda: cache.modify_cache_parameter_group(
            CacheParameterGroupName="pg",
            ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "bogus"}],
        ),
        "InvalidCacheParameterGroupState": lambda: cache.delete_cache_parameter_group(
            CacheParameterGroupName="default.redis7"
        ),
    }
    for code, call in errors.items():
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == code


# ------------------------------------------------------------------ replication group


def test_replication_group_create_then_noop(module_runner, aws_endpoint, data_net):
    module_runner("elasticache_parameter_group", pg_args())
    aws_endpoint.reset_calls()
    created = module_runner(
        "elasticache_replication_group", rg_args(data_net, cache_parameter_group_name="airflow-test-redis")
    )
    assert created["changed"] is True
    assert writes(aws_endpoint) == ["CreateReplicationGroup"]
    group = created["replication_group"]
    assert group["status"] == "available"
    assert group["member_clusters"] == [f"{GROUP_ID}-001", f"{GROUP_ID}-002", f"{GROUP_ID}-003"]
    assert group["replicas_per_node_group"] == 2
    assert group["primary_endpoint"]["address"].startswith(f"master.{GROUP_ID}.")
    assert group["primary_endpoint"]["port"] == 6379
    assert group["reader_endpoint"]["address"].startswith(f"replica.{GROUP_ID}.")
    assert group["engine_version"] == "7.1.0"
    assert group["cache_parameter_group_name"] == "airflow-test-redis"
    assert group["security_group_ids"] == [data_net["groups"][0]]
    assert group["kms_key_id"] == data_net["key_arn"]
    flags = ("transit_encryption_enabled", "at_rest_encryption_enabled", "auth_token_enabled")
    assert all(group[f] for f in flags)
    assert group["automatic_failover_enabled"] and group["multi_az_enabled"]
    assert group["tags"] == {"airflow:env": "test"}
    assert TOKEN not in json.dumps(created)

    aws_endpoint.reset_calls()
    again = module_runner(
        "elasticache_replication_group", rg_args(data_net, cache_parameter_group_name="airflow-test-redis")
    )
    assert again["changed"] is False
    assert writes(aws_endpoint) == []
    assert TOKEN not in json.dumps(again)


def test_replication_group_one_change_one_call(module_runner, aws_endpoint, data_net):
    module_runner("elasticache_replication_group", rg_args(data_net))
    aws_endpoint.reset_calls()
    resized = module_runner("elasticache_replication_group", rg_args(data_net, node_type="cache.t4g.medium"))
    assert resized["changed"] is True
    assert resized["changes"] == [{"ModifyReplicationGroup": {"CacheNodeType": "cache.t4g.medium"}}]
    assert writes(aws_endpoint) == ["ModifyReplicationGroup"]
    assert resized["diff"]["before"]["node_type"] == "cache.t4g.small"
    assert resized["diff"]["after"]["node_type"] == "cache.t4g.medium"

    aws_endpoint.reset_calls()
    regrouped = module_runner(
        "elasticache_replication_group",
        rg_args(data_net, node_type="cache.t4g.medium", security_group_ids=data_net["groups"]),
    )
    assert regrouped["changes"] == [
        {"ModifyReplicationGroup": {"SecurityGroupIds": sorted(data_net["groups"])}}
    ]
    assert writes(aws_endpoint) == ["ModifyReplicationGroup"]
    assert regrouped["replication_group"]["security_group_ids"] == sorted(data_net["groups"])


def test_replication_group_replicas_and_failover_in_order(module_runner, aws_endpoint, data_net):
    module_runner("elasticache_replication_group", rg_args(data_net))
    aws_endpoint.reset_calls()
    single = module_runner(
        "elasticache_replication_group",
        rg_args(
            data_net, replicas_per_node_group=0, automatic_failover_enabled=False, multi_az_enabled=False
        ),
    )
    assert writes(aws_endpoint) == ["ModifyReplicationGroup", "DecreaseReplicaCount"]
    assert single["replication_group"]["member_clusters"] == [f"{GROUP_ID}-001"]
    assert single["replication_group"]["automatic_failover_enabled"] is False

    aws_endpoint.reset_calls()
    back = module_runner("elasticache_replication_group", rg_args(data_net, replicas_per_node_group=1))
    assert writes(aws_endpoint) == ["IncreaseReplicaCount", "ModifyReplicationGroup"]
    assert back["changes"][0] == {"IncreaseReplicaCount": 1}
    assert back["replication_group"]["replicas_per_node_group"] == 1
    assert back["replication_group"]["multi_az_enabled"] is True


def test_replication_group_check_mode(module_runner, aws_endpoint, data_net):
    planned = module_runner("elasticache_replication_group", rg_args(data_net), check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"]["before"] == {}
    assert planned["diff"]["after"]["auth_token_enabled"] is True
    assert writes(aws_endpoint) == []
    assert TOKEN not in json.dumps(planned)

    module_runner("elasticache_replication_group", rg_args(data_net))
    aws_endpoint.reset_calls()
    planned = module_runner(
        "elasticache_replication_group",
        rg_args(data_net, snapshot_retention_limit=1, preferred_maintenance_window="Mon:01:00-Mon:02:00"),
        check_mode=True,
    )
    assert planned["changes"] == [
        {
            "ModifyReplicationGroup": {
                "SnapshotRetentionLimit": 1,
                "PreferredMaintenanceWindow": "mon:01:00-mon:02:00",
            }
        }
    ]
    assert planned["diff"]["before"]["snapshot_retention_limit"] == 7
    assert planned["diff"]["after"]["snapshot_retention_limit"] == 1
    assert writes(aws_endpoint) == []
    assert TOKEN not in json.dumps(planned)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"replicas_per_node_group": 0, "multi_az_enabled": False},
            "automatic_failover_enabled needs at least one",
        ),
        ({"automatic_failover_enabled": False}, "multi_az_enabled needs automatic_failover_enabled"),
        ({"transit_encryption_enabled": False}, "auth_token needs transit_encryption_enabled"),
        ({"auth_token": "short"}, "auth_token must be 16-128"),
        ({"at_rest_encryption_enabled": False}, "kms_key_id needs at_rest_encryption_enabled"),
        ({"replicas_per_node_group": 6}, "between 0 and 5"),
        ({"replication_group_id": "1-bad--id"}, "replication_group_id must be"),
    ],
)
def test_replication_group_bad_arguments(module_runner, aws_endpoint, data_net, overrides, message):
    with pytest.raises(ModuleFailed) as failed:
        module_runner("elasticache_replication_group", rg_args(data_net, **overrides))
    assert message in failed.value.result["msg"]
    assert TOKEN not in json.dumps(failed.value.result)
    assert writes(aws_endpoint) == []


@pytest.mark.parametrize(
    ("overrides", "label"),
    [
        ({"port": 6380}, "the port"),
        ({"at_rest_encryption_enabled": False, "kms_key_id": None}, "at-rest encryption"),
        ({"cache_subnet_group_name": "other"}, "the cache subnet group"),
    ],
)
def test_replication_group_settings_fixed_at_create_fail(
    module_runner, aws_endpoint, data_net, overrides, label
):
    module_runner("elasticache_replication_group", rg_args(data_net))
    aws_endpoint.reset_calls()
    with pytest.raises(ModuleFailed) as failed:
        module_runner("elasticache_replication_group", rg_args(data_net, **overrides))
    assert "AWS cannot change in place" in failed.value.result["msg"]
    assert label in failed.value.result["msg"]
    assert writes(aws_endpoint) == []


def test_replication_group_delete(module_runner, aws_endpoint, data_net):
    module_runner("elasticache_replication_group", rg_args(data_net))
    aws_endpoint.reset_calls()
    absent = {"replication_group_id": GROUP_ID, "state": "absent"}
    planned = module_runner("elasticache_replication_group", absent, check_mode=True)
    assert planned["changed"] is True and writes(aws_endpoint) == []
    gone = module_runner("elasticache_replication_group", absent)
    assert gone["changed"] is True
    assert gone["diff"]["after"] == {}
    assert writes(aws_endpoint) == ["DeleteReplicationGroup"]
    assert data_net["cache"].describe_replication_groups()["ReplicationGroups"] == []
    assert data_net["cache"].describe_cache_clusters()["CacheClusters"] == []
    assert module_runner("elasticache_replication_group", absent)["changed"] is False


def test_emulator_replication_group_nodes(data_net):
    cache = data_net["cache"]
    group = cache.create_replication_group(
        ReplicationGroupId="rg",
        ReplicationGroupDescription="d",
        NumCacheClusters=3,
        CacheNodeType="cache.t4g.micro",
    )["ReplicationGroup"]
    assert group["MemberClusters"] == ["rg-001", "rg-002", "rg-003"]
    assert [m["CurrentRole"] for m in group["NodeGroups"][0]["NodeGroupMembers"]] == [
        "primary",
        "replica",
        "replica",
    ]
    clusters = cache.describe_cache_clusters()["CacheClusters"]
    assert sorted(c["CacheClusterId"] for c in clusters) == group["MemberClusters"]
    assert clusters[0]["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    grown = cache.increase_replica_count(ReplicationGroupId="rg", NewReplicaCount=4, ApplyImmediately=True)
    assert len(grown["ReplicationGroup"]["MemberClusters"]) == 5
    shrunk = cache.decrease_replica_count(
        ReplicationGroupId="rg", NewReplicaCount=1, ReplicasToRemove=["rg-002"], ApplyImmediately=True
    )
    assert shrunk["ReplicationGroup"]["MemberClusters"][0] == "rg-001"
    assert "rg-002" not in shrunk["ReplicationGroup"]["MemberClusters"]
    with pytest.raises(ClientError) as raised:
        cache.create_replication_group(
            ReplicationGroupId="rg2", ReplicationGroupDescription="d", AutomaticFailoverEnabled=True
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterCombination"


# ------------------------------------------------------------------ pure functions


def test_plan_orders_replica_changes_around_failover():
    current = {"replicas_per_node_group": 0, "automatic_failover_enabled": False}
    grow = ec.plan(current, {"replicas_per_node_group": 2, "automatic_failover_enabled": True})
    assert [step for step, _ in grow] == ["increase_replica_count", "modify_replication_group"]
    shrink = ec.plan(
        grow_state := {"replicas_per_node_group": 2, "automatic_failover_enabled": True}, current
    )
    assert [step for step, _ in shrink] == ["modify_replication_group", "decrease_replica_count"]
    assert ec.plan(grow_state, dict(grow_state)) == []


def test_versions_keys_and_batches():
    assert ec.engine_version_matches("7.1.0", "7.1")
    assert ec.engine_version_matches("6.2.6", "6.x")
    assert not ec.engine_version_matches("7.0.7", "7.1")
    assert ec.kms_key_matches("arn:aws:kms:us-east-1:1:key/abc", "abc")
    assert [len(b) for b in ec.chunks(list(range(45)))] == [20, 20, 5]


# ------------------------------------------------------------------ Stubber: what the emulator cannot show


class _ClientFactory:
    """Stands in for AnsibleAWSModule.client: hands our retrying_client a stubbed boto3 client."""

    def __init__(self, client):
        self._client = client

    def client(self, service, retry_decorator=None):
        return RetryingBotoClientWrapper(self._client, retry_decorator)


def _group(status: str) -> dict:
    return {"ReplicationGroups": [{"ReplicationGroupId": GROUP_ID, "Status": status}]}


@pytest.fixture
def stubbed():
    client = boto3.client(
        "elasticache", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield retrying_client(_ClientFactory(client), "elasticache"), stubber
        stubber.assert_no_pending_responses()


def test_wait_polls_through_modifying_with_growing_delays(stubbed):
    client, stubber = stubbed
    for status in ("modifying", "modifying", "snapshotting", "available"):
        stubber.add_response("describe_replication_groups", _group(status), {"ReplicationGroupId": GROUP_ID})
    slept = []
    group = elasticache_api.wait_for_group(client, GROUP_ID, timeout=600, sleep=slept.append)
    assert group["Status"] == "available"
    assert slept == [1.0, 2.0, 4.0]


def test_wait_times_out_with_last_status(stubbed):
    client, stubber = stubbed
    clock = iter([0.0, 0.0, 5.0, 11.0]).__next__
    for _ in range(3):
        stubber.add_response(
            "describe_replication_groups", _group("modifying"), {"ReplicationGroupId": GROUP_ID}
        )
    slept = []
    with pytest.raises(WaitError) as raised:
        elasticache_api.wait_for_group(client, GROUP_ID, timeout=10, sleep=slept.append, clock=clock)
    assert raised.value.last["Status"] == "modifying"
    assert "timed out after 10 s (last status: modifying)" in str(raised.value)
    assert slept == [1.0, 2.0]  # never beyond the deadline


def test_throttling_is_left_to_botocore(stubbed):
    """A throttled answer that reaches our retrying client is one botocore already retried as
    ``aws_config`` says (the Stubber skips botocore's retries): passed on, not retried again, so
    attempts do not multiply (tests/unit/test_aws_retries.py shows botocore's side)."""
    client, stubber = stubbed
    stubber.add_client_error("describe_replication_groups", "Throttling", "Rate exceeded", 400)
    with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
        elasticache_api.wait_for_group(client, GROUP_ID, timeout=60)
