"""Everything of one environment in an account, counted by what identifies it (tags and names), to
find duplicates (an identity held twice) and orphans (a resource nothing identifies: no Name tag,
a key with no alias, a certificate with no tags). Read with boto3 at AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
from collections import Counter

import boto3

ORPHAN = None  # the identity of a resource nothing names
GONE = ("deleted", "deleting")


def _client(service: str):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


def _pages(client, operation: str, key: str, **kwargs) -> list:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def _field(client, operation: str, key: str, name: str, **kwargs) -> list:
    return [item[name] for item in _pages(client, operation, key, **kwargs)]


def _name(tags: list[dict] | None) -> str | None:
    return next((t["Value"] for t in tags or [] if t["Key"] == "Name"), ORPHAN)


def _network() -> dict[str, list]:
    ec2 = _client("ec2")
    vpcs = [v for v in _pages(ec2, "describe_vpcs", "Vpcs") if not v.get("IsDefault")]
    ids = [v["VpcId"] for v in vpcs]
    in_vpcs = [{"Name": "vpc-id", "Values": ids}] if ids else None
    if not in_vpcs:
        return {"vpcs": []}
    tables = _pages(ec2, "describe_route_tables", "RouteTables", Filters=in_vpcs)
    endpoints = _pages(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=in_vpcs)
    gateways = ec2.describe_vpn_gateways()["VpnGateways"]
    flow_logs = ec2.describe_flow_logs()["FlowLogs"]
    return {
        "vpcs": [_name(v.get("Tags")) for v in vpcs],
        "subnets": [
            _name(tags) for tags in _field(ec2, "describe_subnets", "Subnets", "Tags", Filters=in_vpcs)
        ],
        "route tables": [
            _name(t.get("Tags")) for t in tables if not any(a.get("Main") for a in t.get("Associations", []))
        ],
        "security groups": [
            g["GroupName"]
            for g in _pages(ec2, "describe_security_groups", "SecurityGroups", Filters=in_vpcs)
            if g["GroupName"] != "default"
        ],
        "vpc endpoints": [e["ServiceName"] for e in endpoints if e["State"].lower() not in GONE],
        "vpn gateways": [_name(g.get("Tags")) for g in gateways if g["State"] not in GONE],
        "flow logs": [f"{f['ResourceId']} {f.get('LogGroupName')}" for f in flow_logs],
    }


def _keys() -> list:
    kms = _client("kms")
    aliases: dict[str, list[str]] = {}
    for alias in _pages(kms, "list_aliases", "Aliases"):
        if alias.get("TargetKeyId") and not alias["AliasName"].startswith("alias/aws/"):
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    out = []
    for key in _pages(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] != "PendingDeletion":
            out.append(" ".join(sorted(aliases.get(meta["KeyId"], []))) or ORPHAN)
    return out


def _data() -> dict[str, list]:
    rds, cache, efs = _client("rds"), _client("elasticache"), _client("efs")
    systems = _pages(efs, "describe_file_systems", "FileSystems")
    return {
        "buckets": [b["Name"] for b in _client("s3").list_buckets()["Buckets"]],
        "secrets": [s["Name"] for s in _pages(_client("secretsmanager"), "list_secrets", "SecretList")],
        "db instances": _field(rds, "describe_db_instances", "DBInstances", "DBInstanceIdentifier"),
        "db subnet groups": _field(rds, "describe_db_subnet_groups", "DBSubnetGroups", "DBSubnetGroupName"),
        "replication groups": [
            g["ReplicationGroupId"] for g in _pages(cache, "describe_replication_groups", "ReplicationGroups")
        ],
        "file systems": [_name(f.get("Tags")) for f in systems],
        "access points": [_name(a.get("Tags")) for a in efs.describe_access_points().get("AccessPoints", [])],
        "mount targets": [
            f"{f['FileSystemId']} {m['SubnetId']}"
            for f in systems
            for m in efs.describe_mount_targets(FileSystemId=f["FileSystemId"])["MountTargets"]
        ],
    }


def _compute() -> dict[str, list]:
    elb, ecs, acm = _client("elbv2"), _client("ecs"), _client("acm")
    balancers = _pages(elb, "describe_load_balancers", "LoadBalancers")
    listeners = [
        (b["LoadBalancerName"], listener)
        for b in balancers
        for listener in _pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=b["LoadBalancerArn"])
    ]
    certificates = [c["CertificateArn"] for c in _pages(acm, "list_certificates", "CertificateSummaryList")]
    listed = ecs.list_clusters()["clusterArns"]
    described = ecs.describe_clusters(clusters=listed)["clusters"] if listed else []
    clusters = [c["clusterName"] for c in described if c["status"] == "ACTIVE"]  # INACTIVE: deleted
    services = []
    for cluster in clusters:
        arns = _pages(ecs, "list_services", "serviceArns", cluster=cluster)
        for chunk in (arns[i : i + 10] for i in range(0, len(arns), 10)):
            described = ecs.describe_services(cluster=cluster, services=chunk)["services"]
            services += [s["serviceName"] for s in described if s["status"] == "ACTIVE"]
    revisions = _pages(ecs, "list_task_definitions", "taskDefinitionArns", status="ACTIVE")
    return {
        "roles": [r["RoleName"] for r in _pages(_client("iam"), "list_roles", "Roles")],
        "log groups": _field(_client("logs"), "describe_log_groups", "logGroups", "logGroupName"),
        "certificates": [
            _name(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags")) for arn in certificates
        ],
        "load balancers": [b["LoadBalancerName"] for b in balancers],
        "listeners": [f"{name} {listener['Port']}" for name, listener in listeners],
        "target groups": _field(elb, "describe_target_groups", "TargetGroups", "TargetGroupName"),
        "clusters": clusters,
        "services": services,
        # One ACTIVE revision per family on a first run: a second is a registration done twice.
        "task definition families": [arn.split("/")[-1].rsplit(":", 1)[0] for arn in revisions],
    }


def _monitoring() -> dict[str, list]:
    cloudwatch = _client("cloudwatch")
    return {
        "alarms": [a["AlarmName"] for a in _pages(cloudwatch, "describe_alarms", "MetricAlarms")],
        "topics": [t["TopicArn"] for t in _pages(_client("sns"), "list_topics", "Topics")],
        "dashboards": [d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]],
    }


def inventory() -> dict[str, Counter]:
    """Kind -> Counter of identities (ORPHAN for a resource nothing names)."""
    kinds = {**_network(), "keys": _keys(), **_data(), **_compute(), **_monitoring()}
    return {kind: Counter(found) for kind, found in kinds.items()}


def problems(found: dict[str, Counter]) -> dict[str, dict]:
    """Per kind, the identities held more than once (duplicates) or by nothing (orphans)."""
    out = {}
    for kind, counts in found.items():
        bad = {str(identity): n for identity, n in counts.items() if identity is ORPHAN or n > 1}
        if bad:
            out[kind] = bad
    return out


def total(found: dict[str, Counter]) -> int:
    return sum(sum(counts.values()) for counts in found.values())


def secret_values() -> dict[str, str]:
    """Every secret's current value, by name (kept in the test process only, never printed)."""
    client = _client("secretsmanager")
    out = {}
    for secret in _pages(client, "list_secrets", "SecretList"):
        value = client.get_secret_value(SecretId=secret["ARN"])
        out[secret["Name"]] = value.get("SecretString") or value.get("SecretBinary")
    return out
