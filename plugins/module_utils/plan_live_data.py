# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live data layer of one environment (RDS, ElastiCache, EFS, S3 buckets, secrets, log groups),
rendered in the plan's shape (:mod:`plan_live_base`), found by the names the data role gives them.
Secrets are rendered from their metadata only: no value is ever read."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.layer_names import names as layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import Live, short, tag, tags
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    bucket_id,
    log_group_id,
    logical_id,
    ref,
    secret_id,
)

DB_ID, DB_SUBNET_GROUP_ID, DB_PARAMETER_GROUP_ID = "DbInstance", "DbSubnetGroup", "DbParameterGroup"
REDIS_ID, REDIS_SUBNET_GROUP_ID, REDIS_PARAMETER_GROUP_ID = (
    "RedisReplicationGroup",
    "RedisSubnetGroup",
    "RedisParameterGroup",
)
EFS_ID, EFS_ACCESS_POINT_ID = "EfsFileSystem", "EfsAccessPoint"


DAG_EVENTS_ID, DAG_EVENTS_DLQ_ID = "DagEventsQueue", "DagEventsDlq"


def data(live: Live) -> None:
    _rds(live)
    _redis(live)
    _efs(live)
    _dag_events(live)
    _buckets(live)
    _secrets(live)
    _log_groups(live)


def _rds(live: Live) -> None:
    rds = live.client("rds")
    instance = live_reads.db_instance(rds, layer_names(live.prefix)["db"])
    if instance is None:
        return
    group = instance.get("DBSubnetGroup") or {}
    subnet_group = None
    if group.get("DBSubnetGroupName"):
        props = {
            "DBSubnetGroupName": group["DBSubnetGroupName"],
            "DBSubnetGroupDescription": group.get("DBSubnetGroupDescription"),
            "SubnetIds": sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
            "Tags": _rds_tags(rds, group.get("DBSubnetGroupArn")),
        }
        subnet_group = live.add("AWS::RDS::DBSubnetGroup", DB_SUBNET_GROUP_ID, props)
    parameter_group = None
    for group in instance.get("DBParameterGroups", []):
        name = group["DBParameterGroupName"]
        if name.startswith("default."):
            continue
        found = rds.describe_db_parameter_groups(DBParameterGroupName=name, aws_retry=True)[
            "DBParameterGroups"
        ][0]
        parameters = _user_parameters(rds, name)
        props = {
            "DBParameterGroupName": name,
            "Family": found.get("DBParameterGroupFamily"),
            "Description": found.get("Description"),
            "Parameters": {p["ParameterName"]: p.get("ParameterValue") for p in parameters},
            "Tags": _rds_tags(rds, found.get("DBParameterGroupArn")),
        }
        parameter_group = live.add("AWS::RDS::DBParameterGroup", DB_PARAMETER_GROUP_ID, props)
    props = {
        "DBInstanceIdentifier": instance["DBInstanceIdentifier"],
        "Engine": instance.get("Engine"),
        "EngineVersion": instance.get("EngineVersion"),
        "DBInstanceClass": instance.get("DBInstanceClass"),
        "DBName": instance.get("DBName"),
        "MasterUsername": instance.get("MasterUsername"),
        "AllocatedStorage": str(instance["AllocatedStorage"]) if instance.get("AllocatedStorage") else None,
        "MaxAllocatedStorage": instance.get("MaxAllocatedStorage"),
        "StorageType": instance.get("StorageType"),
        "Iops": instance.get("Iops"),
        "StorageThroughput": instance.get("StorageThroughput"),
        "StorageEncrypted": instance.get("StorageEncrypted", False),
        "KmsKeyId": instance.get("KmsKeyId"),
        "MultiAZ": instance.get("MultiAZ"),
        "DBSubnetGroupName": ref(subnet_group) if subnet_group else None,
        "VPCSecurityGroups": sorted(g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])),
        "DBParameterGroupName": ref(parameter_group) if parameter_group else None,
        "PubliclyAccessible": instance.get("PubliclyAccessible", False),
        "BackupRetentionPeriod": instance.get("BackupRetentionPeriod"),
        "PreferredBackupWindow": instance.get("PreferredBackupWindow"),
        "PreferredMaintenanceWindow": instance.get("PreferredMaintenanceWindow"),
        "DeletionProtection": instance.get("DeletionProtection"),
        "EnablePerformanceInsights": instance.get("PerformanceInsightsEnabled"),
        "PerformanceInsightsKMSKeyId": instance.get("PerformanceInsightsKMSKeyId"),
        "PerformanceInsightsRetentionPeriod": instance.get("PerformanceInsightsRetentionPeriod"),
        "EnableCloudwatchLogsExports": instance.get("EnabledCloudwatchLogsExports"),
        "CopyTagsToSnapshot": instance.get("CopyTagsToSnapshot"),
        "AutoMinorVersionUpgrade": instance.get("AutoMinorVersionUpgrade"),
        "EnableIAMDatabaseAuthentication": instance.get("IAMDatabaseAuthenticationEnabled"),
        "MonitoringInterval": instance.get("MonitoringInterval"),
        "MonitoringRoleArn": instance.get("MonitoringRoleArn"),
        "Tags": tags(instance.get("TagList")),
    }
    logical = live.add("AWS::RDS::DBInstance", DB_ID, props, None, instance.get("DBInstanceArn"))
    live.names[instance["DBInstanceIdentifier"]] = logical


def _user_parameters(rds, name: str) -> list[dict]:
    """The parameters the group sets (``Source: user``). An API that reports no source for them
    (every parameter ``engine-default``) gives every parameter that has a value instead."""
    parameters = live_reads.db_parameters(rds, name)
    user = [p for p in parameters if p.get("Source") == "user"]
    if user:
        return user
    return [p for p in parameters if p.get("ParameterValue") is not None and p.get("IsModifiable", True)]


def _rds_tags(rds, arn: str | None) -> list[dict]:
    if not arn:
        return []
    return tags(rds.list_tags_for_resource(ResourceName=arn, aws_retry=True).get("TagList"))


def _redis(live: Live) -> None:
    cache = live.client("elasticache")
    group = live_reads.replication_group(cache, layer_names(live.prefix)["redis"])
    if group is None:
        return
    members = group.get("MemberClusters") or []
    cluster = {}
    if members:
        found = cache.describe_cache_clusters(CacheClusterId=members[0], aws_retry=True)["CacheClusters"]
        cluster = found[0] if found else {}
    subnet_group = parameter_group = None
    if cluster.get("CacheSubnetGroupName"):
        name = cluster["CacheSubnetGroupName"]
        found = paginate(cache, "describe_cache_subnet_groups", CacheSubnetGroupName=name)[
            "CacheSubnetGroups"
        ][0]
        props = {
            "CacheSubnetGroupName": name,
            "Description": found.get("CacheSubnetGroupDescription"),
            "SubnetIds": sorted(s["SubnetIdentifier"] for s in found.get("Subnets", [])),
        }
        subnet_group = live.add("AWS::ElastiCache::SubnetGroup", REDIS_SUBNET_GROUP_ID, props)
    name = (cluster.get("CacheParameterGroup") or {}).get("CacheParameterGroupName")
    if name and not name.startswith("default."):
        found = paginate(cache, "describe_cache_parameter_groups", CacheParameterGroupName=name)
        found = found["CacheParameterGroups"][0]
        parameters = paginate(cache, "describe_cache_parameters", CacheParameterGroupName=name, Source="user")
        props = {
            "CacheParameterGroupFamily": found.get("CacheParameterGroupFamily"),
            "Description": found.get("Description"),
            "Properties": {
                p["ParameterName"]: p.get("ParameterValue") for p in parameters.get("Parameters", [])
            },
        }
        parameter_group = live.add("AWS::ElastiCache::ParameterGroup", REDIS_PARAMETER_GROUP_ID, props)
    endpoint = ((group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint")) or {}
    props = {
        "ReplicationGroupId": group["ReplicationGroupId"],
        "ReplicationGroupDescription": group.get("Description"),
        "Engine": cluster.get("Engine") or group.get("Engine"),
        "EngineVersion": cluster.get("EngineVersion"),
        "CacheNodeType": group.get("CacheNodeType") or cluster.get("CacheNodeType"),
        "NumCacheClusters": len(members) or None,
        "CacheParameterGroupName": ref(parameter_group) if parameter_group else None,
        "CacheSubnetGroupName": ref(subnet_group) if subnet_group else None,
        "SecurityGroupIds": sorted(g["SecurityGroupId"] for g in cluster.get("SecurityGroups", [])),
        "Port": endpoint.get("Port"),
        "TransitEncryptionEnabled": group.get("TransitEncryptionEnabled", False),
        "AtRestEncryptionEnabled": group.get("AtRestEncryptionEnabled", False),
        "KmsKeyId": group.get("KmsKeyId"),
        # A dynamic reference to the secret the data role keeps the token in: never the token.
        "AuthToken": "{{resolve:secretsmanager:" + f"{live.scope['secret_prefix']}/redis_auth_token" + "}}"
        if group.get("AuthTokenEnabled") and live.scope.get("secret_prefix")
        else None,
        "AutomaticFailoverEnabled": group.get("AutomaticFailover") in ("enabled", "enabling"),
        "MultiAZEnabled": group.get("MultiAZ") == "enabled",
        "SnapshotRetentionLimit": group.get("SnapshotRetentionLimit"),
        "SnapshotWindow": group.get("SnapshotWindow"),
        "PreferredMaintenanceWindow": cluster.get("PreferredMaintenanceWindow"),
        "Tags": tags(cache.list_tags_for_resource(ResourceName=group["ARN"], aws_retry=True).get("TagList"))
        if group.get("ARN")
        else None,
    }
    live.add("AWS::ElastiCache::ReplicationGroup", REDIS_ID, props, None, group.get("ARN"))


def _efs(live: Live) -> None:
    efs = live.client("efs")
    fs = live_reads.file_system(efs, layer_names(live.prefix)["dags_file_system"])
    if fs is None:
        return
    fs_id = fs["FileSystemId"]
    lifecycle = efs.describe_lifecycle_configuration(FileSystemId=fs_id, aws_retry=True).get(
        "LifecyclePolicies"
    )
    try:
        backup = efs.describe_backup_policy(FileSystemId=fs_id, aws_retry=True)["BackupPolicy"]
    except is_boto3_error_code("PolicyNotFound"):
        backup = None
    props = {
        "Encrypted": fs.get("Encrypted", False),
        "KmsKeyId": fs.get("KmsKeyId"),
        "PerformanceMode": fs.get("PerformanceMode"),
        "ThroughputMode": fs.get("ThroughputMode"),
        "ProvisionedThroughputInMibps": fs.get("ProvisionedThroughputInMibps")
        if fs.get("ThroughputMode") == "provisioned"
        else None,
        "LifecyclePolicies": lifecycle,
        "BackupPolicy": {"Status": backup["Status"]} if backup else None,
        "FileSystemPolicy": fs.get("Policy"),
        "FileSystemTags": tags(fs.get("Tags")),
    }
    logical = live.add("AWS::EFS::FileSystem", EFS_ID, props, fs_id, fs.get("FileSystemArn"))
    live.policy(
        f"{layer_names(live.prefix)['dags_file_system']} file-system policy", "resource", fs.get("Policy")
    )
    for target in paginate(efs, "describe_mount_targets", FileSystemId=fs_id).get("MountTargets", []):
        groups = efs.describe_mount_target_security_groups(
            MountTargetId=target["MountTargetId"], aws_retry=True
        )
        props = {
            "FileSystemId": fs_id,
            "SubnetId": target["SubnetId"],
            "SecurityGroups": sorted(groups.get("SecurityGroups", [])),
        }
        zone = target.get("AvailabilityZoneName") or target["SubnetId"]
        live.add("AWS::EFS::MountTarget", logical_id("efs", "mount", zone[-1]), props)
    for point in paginate(efs, "describe_access_points", FileSystemId=fs_id).get("AccessPoints", []):
        user, root = point.get("PosixUser") or {}, point.get("RootDirectory") or {}
        creation = root.get("CreationInfo") or {}
        props = {
            "FileSystemId": fs_id,
            "PosixUser": {"Uid": str(user["Uid"]), "Gid": str(user["Gid"])} if user else None,
            "RootDirectory": {
                "Path": root.get("Path"),
                "CreationInfo": {
                    "OwnerUid": str(creation["OwnerUid"]),
                    "OwnerGid": str(creation["OwnerGid"]),
                    "Permissions": creation.get("Permissions"),
                }
                if creation
                else None,
            },
            "AccessPointTags": tags(point.get("Tags")),
        }
        name = point.get("Name") or tag(point.get("Tags"), "Name", "")
        logical = (
            EFS_ACCESS_POINT_ID
            if name == layer_names(live.prefix)["access_point"]
            else logical_id("efs access point", name)
        )
        live.add("AWS::EFS::AccessPoint", logical, props, point["AccessPointId"], point.get("AccessPointArn"))


def _buckets(live: Live) -> None:
    s3 = live.client("s3")
    for name in live.scope.get("buckets") or []:
        found = live_reads.bucket(s3, name, full=True)
        if found is None:
            continue
        purpose = tag(found["Tags"], "airflow:component") or name
        rules = [
            {
                "ServerSideEncryptionByDefault": rule.get("ApplyServerSideEncryptionByDefault"),
                "BucketKeyEnabled": rule.get("BucketKeyEnabled"),
            }
            for rule in found["EncryptionRules"]
        ]
        lifecycle = [
            {
                "Id": rule.get("ID"),
                "Status": rule.get("Status"),
                "Prefix": rule.get("Prefix") or (rule.get("Filter") or {}).get("Prefix"),
                "ExpirationInDays": (rule.get("Expiration") or {}).get("Days"),
                "NoncurrentVersionExpiration": {
                    "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                }
                if rule.get("NoncurrentVersionExpiration")
                else None,
                "AbortIncompleteMultipartUpload": {
                    "DaysAfterInitiation": rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
                }
                if rule.get("AbortIncompleteMultipartUpload")
                else None,
            }
            for rule in found["LifecycleRules"]
        ]
        props = {
            "BucketName": name,
            "BucketEncryption": {"ServerSideEncryptionConfiguration": rules} if rules else None,
            "VersioningConfiguration": {"Status": found["Versioning"]} if found["Versioning"] else None,
            "PublicAccessBlockConfiguration": found["PublicAccessBlock"],
            "OwnershipControls": {"Rules": [{"ObjectOwnership": found["ObjectOwnership"]}]}
            if found["ObjectOwnership"]
            else None,
            "LifecycleConfiguration": {"Rules": lifecycle} if lifecycle else None,
            "LoggingConfiguration": found["Logging"],
            "NotificationConfiguration": _notifications(s3, name),
            "Tags": tags(found["Tags"]),
        }
        logical = live.add("AWS::S3::Bucket", bucket_id(purpose), props, None, f"arn:aws:s3:::{name}")
        live.names[name] = logical
        if found["Policy"]:
            live.add(
                "AWS::S3::BucketPolicy",
                f"{logical}Policy",
                {"Bucket": ref(logical), "PolicyDocument": found["Policy"]},
            )
            live.policy(f"{name} bucket policy", "resource", found["Policy"])
    # The access-log bucket is a resource of the plan: its name in another bucket's logging becomes
    # a reference (it may be read after the buckets that log to it).
    for res in live.resources:
        logging = res["properties"].get("LoggingConfiguration") if res["type"] == "AWS::S3::Bucket" else None
        if logging and "DestinationBucketName" in logging:
            logging["DestinationBucketName"] = live.by_name(logging["DestinationBucketName"])


def _dag_events(live: Live) -> None:
    """Event-mode DAG delivery: the DAG-events queue and its DLQ with their policies (none in poll mode)."""
    sqs = live.client("sqs")
    names = layer_names(live.scope["name_prefix"])
    for logical, name in (
        (DAG_EVENTS_DLQ_ID, names["dag_events_dlq"]),
        (DAG_EVENTS_ID, names["dag_events_queue"]),
    ):
        found = live_reads.queue(sqs, name)
        if found is None:
            continue
        redrive = found.get("RedrivePolicy")
        props = {
            "QueueName": name,
            "KmsMasterKeyId": found.get("KmsMasterKeyId"),
            "KmsDataKeyReusePeriodSeconds": _int(found.get("KmsDataKeyReusePeriodSeconds")),
            "MessageRetentionPeriod": _int(found.get("MessageRetentionPeriod")),
            "VisibilityTimeout": _int(found.get("VisibilityTimeout")),
            "ReceiveMessageWaitTimeSeconds": _int(found.get("ReceiveMessageWaitTimeSeconds")) or None,
            "RedrivePolicy": {
                "deadLetterTargetArn": redrive["deadLetterTargetArn"],
                "maxReceiveCount": int(redrive["maxReceiveCount"]),
            }
            if redrive
            else None,
        }
        live.add("AWS::SQS::Queue", logical, props, found["QueueUrl"], found.get("QueueArn"))
        if found.get("Policy"):
            live.add(
                "AWS::SQS::QueuePolicy",
                f"{logical}Policy",
                {"Queues": [ref(logical)], "PolicyDocument": found["Policy"]},
            )
            live.policy(f"{name} queue policy", "resource", found["Policy"])


def _int(value):
    return int(value) if value not in (None, "") else None


def _notifications(s3, name: str) -> dict | None:
    """The bucket's queue notifications in CloudFormation's shape (one entry per event)."""
    configs = live_reads.bucket_notifications(s3, name).get("QueueConfigurations") or []
    entries = []
    for config in configs:
        rules = [
            {"Name": r["Name"].lower(), "Value": r["Value"]}
            for r in config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
            if r.get("Value")
        ]
        for event in config.get("Events", []):
            entry = {"Event": event, "Queue": config["QueueArn"]}
            if rules:
                entry["Filter"] = {"S3Key": {"Rules": rules}}
            entries.append(entry)
    return {"QueueConfigurations": entries} if entries else None


def _secrets(live: Live) -> None:
    prefix = live.scope.get("secret_prefix")
    if not prefix:
        return
    for secret in live_reads.secrets(live.client("secretsmanager"), prefix):
        props = {
            "Name": secret["Name"],
            "Description": secret.get("Description"),
            "KmsKeyId": secret.get("KmsKeyId"),
            "Tags": tags(secret.get("Tags")),
        }
        logical = secret_id(secret["Name"][len(prefix) + 1 :])
        live.add("AWS::SecretsManager::Secret", logical, props, secret["ARN"])


def _log_groups(live: Live) -> None:
    logs = live.client("logs")
    # The services' groups (/ecs/<prefix>-...) and the network role's flow-log group (/vpc/<prefix>-...).
    groups = [
        g
        for prefix in (f"/ecs/{live.prefix}-", f"/vpc/{live.prefix}-")
        for g in live_reads.log_groups(logs, prefix)
    ]
    for group in groups:
        arn = group.get("logGroupArn") or group.get("arn", "").removesuffix(":*")
        found = logs.list_tags_for_resource(resourceArn=arn, aws_retry=True).get("tags", {}) if arn else {}
        props = {
            "LogGroupName": group["logGroupName"],
            "RetentionInDays": group.get("retentionInDays"),
            "KmsKeyId": group.get("kmsKeyId"),
            "Tags": tags(found),
        }
        component = tag(tags(found), "airflow:component") or short(
            group["logGroupName"].split("/", 2)[-1], live.prefix
        )
        logical = live.add("AWS::Logs::LogGroup", log_group_id(component), props, None, group.get("arn"))
        if arn:
            live.physical[arn] = f"{logical}.Arn"
        live.names[group["logGroupName"]] = logical
