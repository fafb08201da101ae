"""pathwai.airflow_ecs.efs_file_system / efs_access_point against the emulator, plus Stubber
cases for what the emulator cannot show (creating -> available, throttling)."""

from __future__ import annotations

import datetime
import json

import boto3
import botocore.client
import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import efs as efs_utils
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import efs_api
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import tags as tag_utils
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import ConsistencyRetry, WaitError
from botocore.stub import Stubber

NAME = "airflow-test-dags"


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    """One emulator for this file (KMS keys and VPCs are slow to make); each test names its own
    file system, and the call record is cleared before each test."""
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


@pytest.fixture
def name(request) -> str:
    return ("efs-" + request.node.name.replace("[", "-").replace("]", ""))[:64]


@pytest.fixture(scope="module")
def net(aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    kms = boto3.client("kms", endpoint_url=aws_endpoint.url)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"), (3, "c"))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"efs{i}", Description="d", VpcId=vpc_id)["GroupId"]
        for i in (1, 2)
    ]
    key, other = (kms.create_key(Description=d)["KeyMetadata"] for d in ("efs", "other"))
    return {
        "efs": boto3.client("efs", endpoint_url=aws_endpoint.url),
        "subnets": subnets,
        "groups": groups,
        "key_arn": key["Arn"],
        "key_id": key["KeyId"],
        "other_key_arn": other["Arn"],
        "role": "arn:aws:iam::123456789012:role/airflow-test-task",
    }


@pytest.fixture
def api_calls(monkeypatch):
    """The botocore operation names our modules send (a spy on botocore: the calls still go out).

    The emulator's own record names REST calls only by method (``PUT 2015-02-01``)."""
    seen: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        seen.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return seen


def failure(module_runner, name: str, args: dict) -> dict:
    """The result of a module run that must fail (conftest's ModuleFailed)."""
    with pytest.raises(Exception) as failed:
        module_runner(name, args)
    assert type(failed.value).__name__ == "ModuleFailed", failed.value
    return failed.value.result


def writes(aws_endpoint) -> list:
    return [c for c in aws_endpoint.calls() if c["write"]]


def tls_policy(role: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AirflowTasks",
                "Effect": "Allow",
                "Principal": {"AWS": [role]},
                "Action": [
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientWrite",
                    "elasticfilesystem:ClientRootAccess",
                ],
            },
        ],
    }


def fs_args(net, name, **overrides):
    args = {
        "name": name,
        "kms_key_id": net["key_arn"],
        "throughput_mode": "bursting",
        "lifecycle": {"transition_to_ia": "AFTER_30_DAYS", "transition_to_primary_storage_class": None},
        "backup": False,
        "policy": tls_policy(net["role"]),
        "mount_targets": [
            {"subnet_id": s, "security_groups": [net["groups"][0]]} for s in net["subnets"][:2]
        ],
        "tags": {"airflow:env": "test", "airflow:component": "efs"},
    }
    return {**args, **overrides}


def test_create_then_noop(module_runner, name, net, aws_endpoint, api_calls):
    created = module_runner("efs_file_system", fs_args(net, name))
    assert created["changed"] is True
    fs_id = created["file_system_id"]
    assert created["dns_name"] == f"{fs_id}.efs.us-east-1.amazonaws.com"
    assert created["arn"].endswith(f":file-system/{fs_id}")
    assert created["kms_key_id"] == net["key_arn"]
    assert created["encrypted"] is True
    assert created["lifecycle"]["transition_to_ia"] == "AFTER_30_DAYS"
    assert created["backup"] is False
    assert created["policy"] == tls_policy(net["role"])
    assert [m["subnet_id"] for m in created["mount_targets"]] == sorted(net["subnets"][:2])
    assert all(m["security_groups"] == [net["groups"][0]] for m in created["mount_targets"])
    assert created["tags"] == {"Name": name, "airflow:env": "test", "airflow:component": "efs"}
    assert created["diff"]["before"] == {}
    live = net["efs"].describe_file_systems(CreationToken=name)["FileSystems"][0]
    assert live["Name"] == name and live["Encrypted"] is True

    aws_endpoint.reset_calls()
    api_calls.clear()
    again = module_runner("efs_file_system", fs_args(net, name))
    assert again["changed"] is False
    assert writes(aws_endpoint) == []
    assert "DescribeTags" not in api_calls


def test_create_with_key_id_and_elastic(module_runner, name, net):
    created = module_runner(
        "efs_file_system",
        fs_args(
            net, name, kms_key_id=net["key_id"], throughput_mode="elastic", backup=True, mount_targets=[]
        ),
    )
    assert created["throughput_mode"] == "elastic"
    assert created["backup"] is True
    assert created["kms_key_id"] == net["key_arn"]  # real EFS reports the key ARN
    again = module_runner(
        "efs_file_system",
        fs_args(
            net, name, kms_key_id=net["key_id"], throughput_mode="elastic", backup=True, mount_targets=[]
        ),
    )
    assert again["changed"] is False


@pytest.mark.parametrize(
    ("change", "expected_call", "check"),
    [
        ({"throughput_mode": "elastic"}, "UpdateFileSystem", lambda r: r["throughput_mode"] == "elastic"),
        (
            {
                "lifecycle": {
                    "transition_to_ia": "AFTER_90_DAYS",
                    "transition_to_primary_storage_class": "AFTER_1_ACCESS",
                }
            },
            "PutLifecycleConfiguration",
            lambda r: (
                r["lifecycle"]["transition_to_ia"] == "AFTER_90_DAYS"
                and r["lifecycle"]["transition_to_primary_storage_class"] == "AFTER_1_ACCESS"
            ),
        ),
        ({"backup": True}, "PutBackupPolicy", lambda r: r["backup"] is True),
        ("sg", "ModifyMountTargetSecurityGroups", None),
    ],
    ids=["throughput", "lifecycle", "backup", "mount-target-sg"],
)
def test_each_update_is_exactly_one_call(
    module_runner, name, net, aws_endpoint, api_calls, change, expected_call, check
):
    module_runner("efs_file_system", fs_args(net, name))
    if change == "sg":
        targets = [{"subnet_id": s, "security_groups": [net["groups"][1]]} for s in net["subnets"][:2]]
        targets[0]["security_groups"] = [net["groups"][0]]
        change = {"mount_targets": targets}
        check = lambda r: [m["security_groups"] for m in r["mount_targets"]] != [[net["groups"][0]]] * 2  # noqa: E731
    aws_endpoint.reset_calls()
    api_calls.clear()
    result = module_runner("efs_file_system", fs_args(net, name, **change))
    assert result["changed"] is True
    assert check(result)
    assert len(writes(aws_endpoint)) == 1
    assert [c for c in api_calls if not c.startswith(("Describe", "List"))] == [expected_call]
    assert module_runner("efs_file_system", fs_args(net, name, **change))["changed"] is False


def test_policy_tags_and_mount_target_set_change(module_runner, name, net, api_calls):
    fs_id = module_runner("efs_file_system", fs_args(net, name))["file_system_id"]
    policy = tls_policy(net["role"])
    policy["Statement"][1]["Principal"]["AWS"] = [net["role"], "arn:aws:iam::123456789012:role/dag-sync"]
    moved = [{"subnet_id": s, "security_groups": [net["groups"][0]]} for s in net["subnets"][1:]]
    api_calls.clear()
    result = module_runner(
        "efs_file_system",
        fs_args(net, name, policy=policy, mount_targets=moved, tags={"airflow:env": "test"}),
    )
    writes_made = [c for c in api_calls if not c.startswith(("Describe", "List"))]
    assert writes_made == [
        "PutFileSystemPolicy",
        "UntagResource",
        "DeleteMountTarget",
        "CreateMountTarget",
    ]
    assert result["changes"]["tags"] == {"set": {}, "remove": ["airflow:component"]}
    assert [m["subnet_id"] for m in result["mount_targets"]] == sorted(net["subnets"][1:])
    live = json.loads(net["efs"].describe_file_system_policy(FileSystemId=fs_id)["Policy"])
    assert live == policy


def test_check_mode_writes_nothing_and_shows_diff(module_runner, name, net, aws_endpoint):
    aws_endpoint.reset_calls()
    planned = module_runner("efs_file_system", fs_args(net, name), check_mode=True)
    assert planned["changed"] is True
    assert planned["diff"]["before"] == {}
    assert planned["diff"]["after"]["throughput_mode"] == "bursting"
    assert writes(aws_endpoint) == []
    assert net["efs"].describe_file_systems(CreationToken=name)["FileSystems"] == []

    module_runner("efs_file_system", fs_args(net, name))
    aws_endpoint.reset_calls()
    change = fs_args(net, name, throughput_mode="elastic", backup=True)
    planned = module_runner("efs_file_system", change, check_mode=True)
    assert planned["changed"] is True
    assert planned["changes"] == {"update_file_system": {"ThroughputMode": "elastic"}, "backup": "ENABLED"}
    assert planned["diff"]["before"]["throughput_mode"] == "bursting"
    assert planned["diff"]["after"]["throughput_mode"] == "elastic"
    assert writes(aws_endpoint) == []
    assert (
        net["efs"].describe_file_systems(CreationToken=name)["FileSystems"][0]["ThroughputMode"] == "bursting"
    )


def test_create_only_settings_fail_clearly(module_runner, name, net):
    module_runner("efs_file_system", fs_args(net, name))
    msg = failure(
        module_runner,
        "efs_file_system",
        fs_args(net, name, performance_mode="maxIO", throughput_mode="bursting"),
    )["msg"]
    assert "performance_mode" in msg
    assert "only be chosen at creation" in msg
    other = net["other_key_arn"]
    assert (
        "kms_key_id" in failure(module_runner, "efs_file_system", fs_args(net, name, kms_key_id=other))["msg"]
    )
    msg = failure(module_runner, "efs_file_system", fs_args(net, name, encrypted=False))["msg"]
    assert "encrypted must be true" in msg


def test_delete_removes_mount_targets_first(module_runner, name, net, api_calls):
    fs_id = module_runner("efs_file_system", fs_args(net, name))["file_system_id"]
    api_calls.clear()
    gone = module_runner("efs_file_system", {"name": name, "state": "absent"})
    assert gone["changed"] is True
    assert gone["diff"]["after"] == {}
    assert [c for c in api_calls if not c.startswith(("Describe", "List"))] == [
        "DeleteMountTarget",
        "DeleteMountTarget",
        "DeleteFileSystem",
    ]
    assert net["efs"].describe_file_systems(CreationToken=name)["FileSystems"] == []
    with pytest.raises(net["efs"].exceptions.FileSystemNotFound):
        net["efs"].describe_mount_targets(FileSystemId=fs_id)
    assert module_runner("efs_file_system", {"name": name, "state": "absent"})["changed"] is False


# Access points ----------------------------------------------------------------------------

AP = {
    "name": "airflow-test-ap",
    "path": "/airflow",
    "posix_user": {"uid": 50000, "gid": 0},
    "creation_info": {"owner_uid": 50000, "owner_gid": 0, "permissions": "0755"},
    "tags": {"airflow:env": "test"},
}


@pytest.fixture
def file_system(module_runner, name, net):
    return module_runner("efs_file_system", fs_args(net, name, mount_targets=[]))["file_system_id"]


def test_access_point_create_noop_and_tags(module_runner, name, net, file_system, aws_endpoint):
    created = module_runner("efs_access_point", {**AP, "file_system_id": file_system})
    assert created["changed"] is True
    assert created["access_point_id"].startswith("fsap-")
    assert created["arn"].endswith(created["access_point_id"])
    assert created["path"] == "/airflow"
    assert created["posix_user"] == {"uid": 50000, "gid": 0, "secondary_gids": []}
    assert created["creation_info"] == {"owner_uid": 50000, "owner_gid": 0, "permissions": "0755"}
    assert created["tags"] == {"Name": "airflow-test-ap", "airflow:env": "test"}

    aws_endpoint.reset_calls()
    again = module_runner("efs_access_point", {**AP, "file_system_id": file_system})
    assert again["changed"] is False
    assert again["access_point_id"] == created["access_point_id"]
    assert writes(aws_endpoint) == []

    retagged = module_runner("efs_access_point", {**AP, "file_system_id": file_system, "tags": {"x": "y"}})
    assert retagged["changed"] is True
    assert retagged["access_point_id"] == created["access_point_id"]
    assert retagged["tags"] == {"Name": "airflow-test-ap", "x": "y"}


def test_access_point_immutable_change_fails_then_recreates(
    module_runner, name, net, file_system, aws_endpoint
):
    original = module_runner("efs_access_point", {**AP, "file_system_id": file_system})["access_point_id"]
    changed = {**AP, "file_system_id": file_system, "posix_user": {"uid": 50001, "gid": 0}}

    msg = failure(module_runner, "efs_access_point", changed)["msg"]
    assert "posix_user" in msg
    assert "recreate: true" in msg

    aws_endpoint.reset_calls()
    planned = module_runner("efs_access_point", {**changed, "recreate": True}, check_mode=True)
    assert planned["changed"] is True
    assert planned["replaced"] == ["posix_user"]
    assert planned["replaced_access_point_id"] == original
    assert planned["diff"]["before"]["posix_user"]["uid"] == 50000
    assert writes(aws_endpoint) == []

    replaced = module_runner("efs_access_point", {**changed, "recreate": True})
    assert replaced["changed"] is True
    assert replaced["access_point_id"] != original
    assert replaced["posix_user"]["uid"] == 50001
    live = net["efs"].describe_access_points(FileSystemId=file_system)["AccessPoints"]
    assert [ap["AccessPointId"] for ap in live] == [replaced["access_point_id"]]
    assert module_runner("efs_access_point", {**changed, "recreate": True})["changed"] is False

    gone = module_runner("efs_access_point", {**changed, "state": "absent"})
    assert gone["changed"] is True
    assert net["efs"].describe_access_points(FileSystemId=file_system)["AccessPoints"] == []


def test_permissions_compare_as_octal():
    current = efs_utils.normalise_access_point(
        {
            "AccessPointId": "fsap-1",
            "FileSystemId": "fs-1",
            "RootDirectory": {
                "Path": "/airflow",
                "CreationInfo": {"OwnerUid": 1, "OwnerGid": 2, "Permissions": "0755"},
            },
        }
    )
    params = {"file_system_id": "fs-1", "name": "n", "path": "/airflow", "posix_user": None, "tags": None}
    same = efs_utils.desired_access_point(
        {**params, "creation_info": {"owner_uid": 1, "owner_gid": 2, "permissions": "755"}}, current
    )
    assert efs_utils.access_point_differences(current, same) == []
    other = efs_utils.desired_access_point(
        {**params, "creation_info": {"owner_uid": 1, "owner_gid": 2, "permissions": "0750"}}, current
    )
    assert efs_utils.access_point_differences(current, other) == ["creation_info"]


# What the emulator cannot show: botocore Stubber on a real client -------------------------


def _fs(state: str) -> dict:
    return {
        "OwnerId": "123456789012",
        "CreationToken": NAME,
        "FileSystemId": "fs-0123456789abcdef0",
        "CreationTime": datetime.datetime(2026, 1, 1),
        "LifeCycleState": state,
        "NumberOfMountTargets": 0,
        "SizeInBytes": {"Value": 0},
        "PerformanceMode": "generalPurpose",
        "Tags": [],
    }


def _stubbed_efs():
    client = boto3.client("efs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_wait_polls_creating_until_available():
    client, stub = _stubbed_efs()
    for state in ("creating", "creating", "available"):
        stub.add_response(
            "describe_file_systems", {"FileSystems": [_fs(state)]}, {"FileSystemId": "fs-0123456789abcdef0"}
        )
    slept: list[float] = []
    wrapped = RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=3, delay=0))
    with stub:
        fs = efs_api.wait_file_system_available(wrapped, "fs-0123456789abcdef0", 60, sleep=slept.append)
    stub.assert_no_pending_responses()
    assert fs["LifeCycleState"] == "available"
    assert slept == [1.0, 2.0]  # bounded backoff, no fixed long sleep


def test_wait_gives_up_at_the_deadline():
    client, stub = _stubbed_efs()
    for _ in range(3):
        stub.add_response("describe_file_systems", {"FileSystems": [_fs("creating")]})
    wrapped = RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=3, delay=0))
    with stub, pytest.raises(WaitError, match="timed out"):
        efs_api.wait_file_system_available(wrapped, "fs-0123456789abcdef0", 2.5, sleep=lambda _s: None)


def test_tag_pages_are_merged_and_throttling_is_left_to_botocore():
    client, stub = _stubbed_efs()
    stub.add_client_error("list_tags_for_resource", "ThrottlingException", http_status_code=400)
    stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "Name", "Value": NAME}], "NextToken": "t"})
    stub.add_response(
        "list_tags_for_resource",
        {"Tags": [{"Key": "a", "Value": "b"}]},
        {"ResourceId": "fs-1", "NextToken": "t"},
    )
    # The decorator of common.retrying_client, without its 1 s base delay. A throttled answer reaching it
    # is one botocore already retried as aws_config says (the Stubber skips botocore's retries): passed on,
    # not retried again (attempts would multiply).
    wrapped = RetryingBotoClientWrapper(client, ConsistencyRetry.jittered_backoff(retries=8, delay=0))
    with stub:
        with pytest.raises(botocore.exceptions.ClientError, match="ThrottlingException"):
            efs_api.list_tags(wrapped, "fs-1")
        tags = efs_api.list_tags(wrapped, "fs-1")
    stub.assert_no_pending_responses()
    assert tag_utils.tags_dict(tags) == {"Name": NAME, "a": "b"}
