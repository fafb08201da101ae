"""What each rotation kind rotates and who reads it (plugins/filter/rotation.py), and where a rotation
stands from its secrets' version stages (module_utils/secret_rotation.py): no AWS call."""

from __future__ import annotations

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter.rotation import rotation_kinds
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import secret_rotation as sr

AGES = {
    "db_master_password": 90,
    "redis_auth_token": 90,
    "fernet_key": 180,
    "jwt_secret": 30,
    "api_secret_key": 30,
}


def test_each_kind_names_its_secrets_and_every_connection_secret_composed_from_them():
    kinds = {k["kind"]: k for k in rotation_kinds("airflow/prod", AGES)}
    assert list(kinds) == ["db", "redis", "fernet", "jwt"]
    assert kinds["db"]["consumers"] == [
        "airflow/prod/db_master_password",
        "airflow/prod/db",
        "airflow/prod/sql_alchemy_conn",
        "airflow/prod/celery_result_backend",
    ]
    assert kinds["redis"]["consumers"] == [
        "airflow/prod/redis_auth_token",
        "airflow/prod/redis",
        "airflow/prod/celery_broker_url",
    ]
    assert (kinds["db"]["target"], kinds["redis"]["target"], kinds["jwt"]["target"]) == (
        "rds",
        "elasticache",
        "none",
    )
    assert kinds["fernet"]["composed"] is False
    assert [s["name"] for s in kinds["jwt"]["secrets"]] == [
        "airflow/prod/jwt_secret",
        "airflow/prod/api_secret_key",
    ]
    assert kinds["jwt"]["secrets"][0] == {
        "name": "airflow/prod/jwt_secret",
        "generate": "token",
        "length": 64,
        "max_age_days": 30,
    }


def test_unknown_kinds_and_missing_ages_are_refused():
    with pytest.raises(ValueError, match="unknown rotation kinds"):
        rotation_kinds("airflow/prod", AGES, ["db", "ssh"])
    with pytest.raises(ValueError, match="no maximum age for"):
        rotation_kinds("airflow/prod", {"db_master_password": 1})


def version(vid: str, *stages: str) -> dict:
    return {"VersionId": vid, "VersionStages": list(stages)}


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ([version("a", "AWSCURRENT")], "idle"),
        ([version("a", "AWSCURRENT"), version("b", "AWSPENDING")], "pending"),
        ([version("a", "AWSPREVIOUS"), version("b", "AWSCURRENT", "AWSPENDING")], "promoted"),
    ],
)
def test_the_state_is_read_from_the_version_stages(versions, expected):
    assert sr.state(versions) == expected


def test_a_rotation_under_way_is_resumed_before_anything_else():
    idle, due = {"state": "idle", "due": False}, {"state": "idle", "due": True}
    assert sr.kind_action([idle, idle]) == "none"
    assert sr.kind_action([idle, due]) == "rotate"
    assert sr.kind_action([{"state": "pending", "due": False}, due]) == "resume"
    fernet = {"state": "idle", "due": True, "generate": "fernet", "keys": 2, "reencrypted": True}
    assert sr.kind_action([fernet]) == "drop_old_key"
    assert sr.kind_action([dict(fernet, reencrypted=False)]) == "reencrypt"


def test_a_fernet_rotation_puts_the_new_key_first_and_a_drop_keeps_only_it():
    one = sr.next_value({"generate": "fernet", "length": 48}, "OLD=")
    new, old = one.split(",")
    assert old == "OLD=" and len(new) == 44 and new != old
    assert sr.next_value({"generate": "fernet", "length": 48}, f"{new},OLD=") == new
    assert len(sr.next_value({"generate": "password", "length": 40}, "x")) == 40
