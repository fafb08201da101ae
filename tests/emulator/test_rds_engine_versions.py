"""Emulator extension rds_engine_versions and plugins/module_utils/aws_engine_versions: RDS refuses
engine versions it no longer offers for new instances (cfn-lint's data), the roles' pass."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_engine_versions  # noqa: E402

DATA = yaml.safe_load((ROOT / "roles/data/defaults/main.yml").read_text())


@pytest.fixture(scope="module")
def rds(module_aws_endpoint):
    return boto3.client("rds", endpoint_url=module_aws_endpoint.url)


def create(rds, identifier: str, version: str) -> dict:
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        EngineVersion=version,
        AllocatedStorage=20,
        MasterUsername="airflow",
        MasterUserPassword="secret-password-1",
    )["DBInstance"]


@pytest.mark.parametrize("version", ["16.8", "16.1", "16.99", "9.6"])
def test_create_refuses_a_version_rds_does_not_offer(rds, version):
    with pytest.raises(ClientError) as raised:
        create(rds, "db-old", version)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert raised.value.response["Error"]["Message"] == f"Cannot find version {version} for postgres"


def test_the_roles_versions_are_accepted_and_modify_checks_too(rds):
    assert create(rds, "db-role", DATA["data_rds_engine_version"])["EngineVersion"] == "16.9"
    with pytest.raises(ClientError) as raised:
        rds.modify_db_instance(DBInstanceIdentifier="db-role", EngineVersion="16.8", ApplyImmediately=True)
    assert raised.value.response["Error"]["Message"] == "Cannot find version 16.8 for postgres"
    rds.modify_db_instance(DBInstanceIdentifier="db-role", EngineVersion="16.10", ApplyImmediately=True)


def test_the_data_behind_the_refusals():
    offered = aws_engine_versions.rds_engine_versions_for_new_instances("postgres")
    assert "16.8" in aws_engine_versions.rds_listed_engine_versions("postgres")
    assert "16.8" in aws_engine_versions.rds_deprecated_engine_versions("postgres")
    assert "16.8" not in offered and "16.9" in offered and "16" in offered
    assert DATA["data_rds_engine_version"] in offered
    assert aws_engine_versions.rds_engine_version_offered("no-such-engine", "1.0") is None
    assert DATA["data_redis_engine_version"] in aws_engine_versions.elasticache_engine_versions("redis")
