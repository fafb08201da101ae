"""pathwai.airflow_ecs.secretsmanager_secret_info / efs_file_system_info against the emulator."""

from __future__ import annotations

import json

import boto3


def test_secret_info_lists_by_prefix_without_values(aws_endpoint, module_runner):
    sm = boto3.client("secretsmanager", endpoint_url=aws_endpoint.url)
    made = {
        name: sm.create_secret(Name=name, SecretString=f"value-of-{name}", Tags=[{"Key": "k", "Value": "v"}])[
            "ARN"
        ]
        for name in ("airflow/dev/b", "airflow/dev/a", "airflow/prod/a")
    }
    aws_endpoint.reset_calls()
    result = module_runner("secretsmanager_secret_info", {"name_prefix": "airflow/dev/"})
    assert result["arns"] == {n: made[n] for n in ("airflow/dev/a", "airflow/dev/b")}
    assert [s["name"] for s in result["secrets"]] == ["airflow/dev/a", "airflow/dev/b"]
    assert result["secrets"][0]["tags"] == {"k": "v"}
    assert "value-of" not in json.dumps(result)
    assert [c["action"] for c in aws_endpoint.calls()] == ["ListSecrets"]


def test_efs_info_finds_file_system_and_access_points(aws_endpoint, module_runner):
    efs = boto3.client("efs", endpoint_url=aws_endpoint.url)
    missing = module_runner("efs_file_system_info", {"name": "nothing-here"})
    assert missing["exists"] is False and missing["file_system"] is None
    fs_id = efs.create_file_system(CreationToken="airflow-t-dags", Encrypted=True)["FileSystemId"]
    efs.create_access_point(
        FileSystemId=fs_id,
        PosixUser={"Uid": 50000, "Gid": 50000},
        RootDirectory={"Path": "/airflow"},
        Tags=[{"Key": "Name", "Value": "airflow-t-airflow"}],
    )
    found = module_runner("efs_file_system_info", {"name": "airflow-t-dags"})
    assert found["exists"] is True and found["changed"] is False
    assert found["file_system"]["file_system_id"] == fs_id
    assert [(ap["name"], ap["path"], ap["posix_user"]["uid"]) for ap in found["access_points"]] == [
        ("airflow-t-airflow", "/airflow", 50000)
    ]
