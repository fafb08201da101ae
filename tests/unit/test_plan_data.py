"""The data layer's plan (plugins/module_utils/plan_data.py), rendered from each inventory's real
variables: cfn-lint finds no error in its CloudFormation, every resource the data role creates is
there with the properties the role sends, and its Terraform plan is well-formed."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import (
    bucket_tls_policy,
    connection_secrets,
    dag_sync_role_arn,
    efs_file_system_policy,
    generated_secrets,
    s3_access_log_bucket_policy,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_data, plan_model
from plan_support import (
    ENVS,
    ROOT,
    cfn_lint,
    inventory_vars,
    of_type,
    references,
    terraform,
    unresolved,
    with_layers_below,
)

ROLE_MODULE_TYPES = {
    "amazon.aws.rds_subnet_group": "AWS::RDS::DBSubnetGroup",
    "amazon.aws.rds_instance_param_group": "AWS::RDS::DBParameterGroup",
    "amazon.aws.rds_instance": "AWS::RDS::DBInstance",
    "community.aws.elasticache_subnet_group": "AWS::ElastiCache::SubnetGroup",
    "pathwai.airflow_ecs.elasticache_parameter_group": "AWS::ElastiCache::ParameterGroup",
    "pathwai.airflow_ecs.elasticache_replication_group": "AWS::ElastiCache::ReplicationGroup",
    "pathwai.airflow_ecs.efs_file_system": "AWS::EFS::FileSystem",
    "pathwai.airflow_ecs.efs_access_point": "AWS::EFS::AccessPoint",
    "amazon.aws.s3_bucket": "AWS::S3::Bucket",
    "community.aws.s3_lifecycle": "AWS::S3::Bucket",
    "pathwai.airflow_ecs.managed_secret": "AWS::SecretsManager::Secret",
    "pathwai.airflow_ecs.s3_bucket_logging": "AWS::S3::Bucket",
    "pathwai.airflow_ecs.iam_roles": "AWS::IAM::Role",
    "community.aws.sqs_queue": "AWS::SQS::Queue",
    "community.aws.s3_bucket_notification": "AWS::S3::Bucket",
}
NOT_CREATING = {
    "ansible.builtin.import_tasks",
    "ansible.builtin.set_fact",
    "ansible.builtin.assert",
    "pathwai.airflow_ecs.foundation_info",
}


@pytest.fixture(params=ENVS)
def role_vars(request) -> dict:
    return inventory_vars(request.param)


def one(resources: list[dict], rtype: str) -> dict:
    found = of_type(resources, rtype)
    assert len(found) == 1, (rtype, [r["id"] for r in found])
    return found[0]["properties"]


def test_cloudformation_has_no_cfn_lint_error(role_vars):
    findings = cfn_lint(with_layers_below(role_vars, "data"), role_vars["airflow_region"])
    for finding in findings:
        if not finding.startswith("E"):
            print(f"cfn-lint warning: {finding}")
    assert [f for f in findings if f.startswith("E")] == []


def test_cfn_lint_reads_the_rendered_values(role_vars):
    """A value AWS refuses, put into the rendering, is found: the template feeds the rules."""
    resources = with_layers_below(role_vars, "data")
    bucket = plan_model.by_id(resources)[plan_model.bucket_id("logs")]
    bucket["properties"]["LifecycleConfiguration"]["Rules"][0]["Status"] = "Sometimes"
    findings = cfn_lint(resources, role_vars["airflow_region"], only=[bucket])
    assert any(
        f.startswith(f"E3030 Resources/{bucket['id']}/Properties/LifecycleConfiguration") for f in findings
    ), findings


def _role_modules() -> set[str]:
    modules = set()
    for path in (ROOT / "roles/data/tasks").glob("*.yml"):
        for task in yaml.safe_load(path.read_text()) or []:
            modules.update(k for k in task if "." in k)
    return modules


def test_every_resource_the_role_creates_is_planned(role_vars):
    resources = plan_data.data_resources(role_vars)
    types = {r["type"] for r in resources}
    modules = _role_modules()
    unmapped = modules - set(ROLE_MODULE_TYPES) - NOT_CREATING
    assert not unmapped, f"data role modules with no planned type: {unmapped}"
    expected = {ROLE_MODULE_TYPES[m] for m in modules if m in ROLE_MODULE_TYPES}
    if not int(role_vars["data_rds_monitoring_interval"]):  # rds.yml keeps the role only when on
        expected.discard("AWS::IAM::Role")
    assert expected <= types
    # The same lists the role's tasks iterate.
    prefix = role_vars["data_secret_prefix"]
    secrets = generated_secrets(prefix) + connection_secrets(prefix)
    assert len(secrets) == 11
    assert sorted(
        r["properties"]["Name"] for r in of_type(resources, "AWS::SecretsManager::Secret")
    ) == sorted(s["name"] for s in secrets)
    assert "pathwai.airflow_ecs.generated_secrets" in (ROOT / "roles/data/tasks/secrets.yml").read_text()
    assert (
        "pathwai.airflow_ecs.connection_secrets"
        in (ROOT / "roles/data/tasks/connection_secrets.yml").read_text()
    )
    assert of_type(resources, "AWS::Logs::LogGroup") == []  # the compute role creates the services' groups
    assert len(of_type(resources, "AWS::EFS::MountTarget")) == len(role_vars["network_availability_zones"])
    bucket_tasks = yaml.safe_load((ROOT / "roles/data/tasks/s3.yml").read_text())
    created = 1 + len(bucket_tasks[1]["loop"])  # the access-log bucket, then the DAGs and logs buckets
    assert len(of_type(resources, "AWS::S3::Bucket")) == created == 3
    assert len(of_type(resources, "AWS::S3::BucketPolicy")) == 3
    for rtype in (
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBSubnetGroup",
        "AWS::RDS::DBParameterGroup",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::SubnetGroup",
        "AWS::ElastiCache::ParameterGroup",
        "AWS::EFS::FileSystem",
        "AWS::EFS::AccessPoint",
    ):
        one(resources, rtype)


def test_properties_are_what_the_role_sends(role_vars):
    v = role_vars
    resources = plan_data.data_resources(v)
    account = v.get("airflow_account_id") or plan_model.PLAN_ACCOUNT
    db = one(resources, "AWS::RDS::DBInstance")
    assert db["EngineVersion"] == str(v["data_rds_engine_version"])
    assert db["DBInstanceClass"] == v["data_rds_instance_class"]
    assert db["MultiAZ"] is bool(v["data_rds_multi_az"])
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["KmsKeyId"] == plan_model.get_att(plan_model.key_id("rds"), "Arn")
    assert (
        db["MasterUserPassword"]
        == "{{resolve:secretsmanager:" + v["data_secret_prefix"] + "/db_master_password}}"
    )
    assert one(resources, "AWS::RDS::DBParameterGroup")["Parameters"]["rds.force_ssl"] == "1"
    redis = one(resources, "AWS::ElastiCache::ReplicationGroup")
    assert redis["NumCacheClusters"] == int(v["data_redis_num_cache_nodes"])
    assert redis["TransitEncryptionEnabled"] is redis["AtRestEncryptionEnabled"] is True
    assert redis["AutomaticFailoverEnabled"] is bool(v["data_redis_automatic_failover_enabled"])
    assert (
        one(resources, "AWS::ElastiCache::ParameterGroup")["Properties"]["maxmemory-policy"] == "noeviction"
    )
    efs = one(resources, "AWS::EFS::FileSystem")
    assert efs["Encrypted"] is True
    assert efs["FileSystemPolicy"] == efs_file_system_policy(
        plan_data.efs_arn(v), dag_sync_role_arn(account, v["data_name_prefix"])
    )
    assert efs["BackupPolicy"] == {"Status": "ENABLED" if v["data_efs_backup"] else "DISABLED"}
    point = one(resources, "AWS::EFS::AccessPoint")
    assert point["RootDirectory"]["Path"] == v["data_efs_access_point_path"]
    assert point["PosixUser"] == {"Uid": str(v["data_efs_uid"]), "Gid": str(v["data_efs_gid"])}
    policies = {
        r["properties"]["Bucket"]["Ref"]: r["properties"]["PolicyDocument"]
        for r in resources
        if r["type"] == "AWS::S3::BucketPolicy"
    }
    for purpose in ("dags", "logs"):
        assert policies[plan_model.bucket_id(purpose)] == bucket_tls_policy(v[f"data_{purpose}_bucket_name"])
    # Issue 16: every bucket versioned with its lifecycle rule; DAGs and logs log to the SSE-S3 bucket.
    access = plan_model.bucket_id(plan_data.ACCESS_LOGS)
    assert policies[access] == s3_access_log_bucket_policy(
        v["data_access_logs_bucket_name"], account, [v["data_dags_bucket_name"], v["data_logs_bucket_name"]]
    )
    buckets = {b["id"]: b["properties"] for b in of_type(resources, "AWS::S3::Bucket")}
    for bucket_id, bucket in buckets.items():
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        (rule,) = bucket["LifecycleConfiguration"]["Rules"]
        assert rule["AbortIncompleteMultipartUpload"] == {
            "DaysAfterInitiation": int(v["data_s3_abort_incomplete_multipart_days"])
        }
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
        sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]
        if bucket_id == access:
            assert sse == {"SSEAlgorithm": "AES256"} and "LoggingConfiguration" not in bucket
        else:
            assert sse["SSEAlgorithm"] == "aws:kms"
            assert bucket["LoggingConfiguration"]["DestinationBucketName"] == plan_model.ref(access)
    assert buckets[plan_model.bucket_id("logs")]["LifecycleConfiguration"]["Rules"][0][
        "ExpirationInDays"
    ] == int(v["data_logs_expiration_days"])
    interval = int(v["data_rds_monitoring_interval"])
    assert db["MonitoringInterval"] == interval
    assert ("MonitoringRoleArn" in db) is (interval > 0)
    # Nothing secret: no secret carries a value, only dynamic references name the two that are passed.
    text = json.dumps(resources)
    assert "SecretString" not in text and "GenerateSecretString" not in text


def test_policies_are_the_documents_in_the_plan(role_vars):
    resources = plan_data.data_resources(role_vars)
    documents = [p["document"] for p in plan_data.data_policies(role_vars)]
    in_plan = [one(resources, "AWS::EFS::FileSystem")["FileSystemPolicy"]] + [
        r["properties"]["PolicyDocument"] for r in of_type(resources, "AWS::S3::BucketPolicy")
    ]
    in_plan += [r["properties"]["PolicyDocument"] for r in of_type(resources, "AWS::SQS::QueuePolicy")]
    roles = [r["properties"]["AssumeRolePolicyDocument"] for r in of_type(resources, "AWS::IAM::Role")]
    assert documents == in_plan + roles
    kinds = {p["kind"] for p in plan_data.data_policies(role_vars)}
    assert kinds == ({"resource", "trust"} if roles else {"resource"})


def test_terraform_plan_is_well_formed(role_vars):
    plan = terraform(with_layers_below(role_vars, "data"), role_vars["airflow_region"])
    addresses = [c["address"] for c in plan["resource_changes"]]
    assert len(addresses) == len(set(addresses))
    config = plan["configuration"]["root_module"]["resources"]
    assert references(plan), "no reference between resources"
    assert unresolved(plan) == []
    by_address = {c["address"]: c["change"]["after"] for c in plan["resource_changes"]}
    db = by_address["aws_db_instance.DbInstance"]
    assert db["storage_encrypted"] is True and db["engine_version"] == str(
        role_vars["data_rds_engine_version"]
    )
    queue = by_address["aws_sqs_queue.DagEventsQueue"]
    assert (
        json.loads(queue["redrive_policy"])["maxReceiveCount"]
        == role_vars["data_dag_events_max_receive_count"]
    )
    (notification,) = [c for c in plan["resource_changes"] if c["type"] == "aws_s3_bucket_notification"]
    prefixes = {q["filter_prefix"] for q in notification["change"]["after"]["queue"]}
    assert prefixes == {f"{role_vars['airflow_env']}/"}
    db_config = next(c for c in config if c["address"] == "aws_db_instance.DbInstance")["expressions"]
    assert "aws_kms_key.KmsRds.arn" in db_config["kms_key_id"]["references"]
    assert "aws_db_parameter_group.DbParameterGroup" in db_config["parameter_group_name"]["references"]
    for address in (
        "aws_s3_bucket.BucketDags",
        "aws_s3_bucket_server_side_encryption_configuration.BucketDagsEncryption",
        "aws_s3_bucket_versioning.BucketDagsVersioning",
        "aws_s3_bucket_public_access_block.BucketDagsPublicAccessBlock",
        "aws_s3_bucket_policy.BucketDagsPolicy",
        "aws_s3_bucket_lifecycle_configuration.BucketLogsLifecycle",
        "aws_s3_bucket_lifecycle_configuration.BucketDagsLifecycle",
        "aws_s3_bucket_logging.BucketDagsLogging",
        "aws_s3_bucket_versioning.BucketLogsVersioning",
        "aws_s3_bucket.BucketS3AccessLogs",
    ):
        assert address in addresses
    assert "aws_efs_file_system_policy.EfsFileSystemPolicy" in addresses
    assert "aws_efs_backup_policy.EfsFileSystemBackup" in addresses


@pytest.mark.parametrize("rtype", sorted(plan_data.TERRAFORM))
def test_converters_tolerate_absent_properties(rtype):
    """A live rendering carries only what the account reports: a converter never needs a property."""
    blocks = plan_data.TERRAFORM[rtype]({"type": rtype, "id": "X", "properties": {}, "sources": {}})
    assert blocks and blocks[0][1] == "" and blocks[0][0].startswith("aws_")


def test_optional_settings_follow_the_inventory(role_vars):
    """Provisioned throughput, no IA transition, no backup: rendered as the role sends them."""
    v = {
        **role_vars,
        "data_efs_throughput_mode": "provisioned",
        "data_efs_provisioned_throughput_in_mibps": 64,
        "data_efs_lifecycle_transition_to_ia": "",
        "data_efs_backup": False,
    }
    resources = plan_data.data_resources(v)
    efs = one(resources, "AWS::EFS::FileSystem")
    assert efs["ThroughputMode"] == "provisioned" and efs["ProvisionedThroughputInMibps"] == 64.0
    assert "LifecyclePolicies" not in efs
    assert efs["BackupPolicy"] == {"Status": "DISABLED"}
    default = one(plan_data.data_resources(role_vars), "AWS::EFS::FileSystem")
    assert "ProvisionedThroughputInMibps" not in default
    blocks = plan_data.TERRAFORM["AWS::EFS::FileSystem"]({"type": "", "id": "Efs", "properties": efs})
    assert blocks[0][2]["provisioned_throughput_in_mibps"] == 64.0 and blocks[0][2]["lifecycle_policy"] == []
