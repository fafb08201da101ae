"""Emulator extension elasticache_engine_versions: ElastiCache refuses engine versions it does not
offer (cfn-lint's data), on create and modify; the role's version passes."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
VERSION = yaml.safe_load((ROOT / "roles/data/defaults/main.yml").read_text())["data_redis_engine_version"]


@pytest.fixture(scope="module")
def cache(module_aws_endpoint):
    return boto3.client("elasticache", endpoint_url=module_aws_endpoint.url)


def create(cache, group_id: str, version: str, engine: str = "redis") -> dict:
    return cache.create_replication_group(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="d",
        Engine=engine,
        EngineVersion=version,
        NumCacheClusters=1,
        CacheNodeType="cache.t4g.micro",
    )["ReplicationGroup"]


@pytest.mark.parametrize(("engine", "version"), [("redis", "4.0.13"), ("redis", "7.3"), ("valkey", "7.1")])
def test_create_refuses_a_version_not_offered(cache, engine, version):
    with pytest.raises(ClientError) as raised:
        create(cache, "rg-old", version, engine)
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterCombination",
        f"Cannot find version {version} for {engine}",
    )


def test_the_roles_version_is_accepted_and_modify_checks_too(cache):
    create(cache, "rg-role", VERSION)
    with pytest.raises(ClientError) as raised:
        cache.modify_replication_group(
            ReplicationGroupId="rg-role", EngineVersion="7.9", ApplyImmediately=True
        )
    assert raised.value.response["Error"]["Message"] == "Cannot find version 7.9 for redis"
    create(cache, "rg-legacy", "6.x")  # Redis OSS 6's legacy spelling is still accepted
