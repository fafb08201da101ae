"""Small hand-written inputs for the plan gate, in the shapes the renderer produces: a CloudFormation
template, a Terraform plan (`terraform show -json`) and the policy documents. A VPC with flow logs, a
security group with rules, an encrypted S3 bucket, a KMS key and an IAM role with its policy. Each
builder returns a fresh copy, so a test breaks one on purpose without touching the others."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b7a1c7e-4a8e-4a51-9d4c-2a1f3f1d9e11"
BUCKET = "airflow-dev-dags"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadDags",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        },
        {
            "Sid": "ListDags",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": f"arn:aws:s3:::{BUCKET}",
        },
        {"Sid": "Decrypt", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": KEY_ARN},
    ],
}
BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountRoot",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def _resource(rtype: str, name: str, values: dict, refs: dict | None = None) -> dict:
    return {"type": rtype, "name": name, "values": values, "refs": refs or {}}


def _resources() -> list[dict]:
    tags = {"airflow:env": "dev"}
    return [
        _resource(
            "aws_vpc",
            "main",
            {
                "cidr_block": "10.0.0.0/16",
                "enable_dns_support": True,
                "enable_dns_hostnames": True,
                "tags": tags,
            },
        ),
        _resource(
            "aws_default_security_group",
            "default",
            {"ingress": [], "egress": [], "tags": tags},
            {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]},
        ),
        _resource(
            "aws_cloudwatch_log_group",
            "flow",
            {"name": "/vpc/airflow-dev-flow", "retention_in_days": 365, "kms_key_id": KEY_ARN},
        ),
        _resource(
            "aws_flow_log",
            "main",
            {"traffic_type": "ALL", "log_destination_type": "cloud-watch-logs"},
            {
                "vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"],
            },
        ),
        _resource(
            "aws_subnet",
            "private_a",
            {
                "cidr_block": "10.0.1.0/24",
                "availability_zone": "us-east-1a",
                "map_public_ip_on_launch": False,
            },
            {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]},
        ),
        _resource(
            "aws_security_group",
            "dag_sync",
            {"name": "airflow-dev-dag-sync", "description": "DAG sync service (S3 to EFS)", "tags": tags},
            {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]},
        ),
        _resource(
            "aws_security_group_rule",
            "dag_sync_egress_443",
            {
                "type": "egress",
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "cidr_blocks": ["10.0.1.0/24"],
                "description": "to interface endpoints",
            },
            {"security_group_id": ["aws_security_group.dag_sync.id", "aws_security_group.dag_sync"]},
        ),
        _resource(
            "aws_network_interface",
            "dag_sync",
            {"description": "dag-sync task"},
            {
                "subnet_id": ["aws_subnet.private_a.id", "aws_subnet.private_a"],
                "security_groups": ["aws_security_group.dag_sync.id", "aws_security_group.dag_sync"],
            },
        ),
        _resource(
            "aws_kms_key",
            "s3",
            {"description": "airflow-dev s3", "enable_key_rotation": True, "policy": json.dumps(KEY_POLICY)},
        ),
        _resource("aws_s3_bucket", "dags", {"bucket": BUCKET, "force_destroy": False, "tags": tags}),
        _resource(
            "aws_s3_bucket_server_side_encryption_configuration",
            "dags",
            {
                "bucket": BUCKET,
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}
                        ],
                        "bucket_key_enabled": True,
                    }
                ],
            },
            {"bucket": ["aws_s3_bucket.dags.id", "aws_s3_bucket.dags"]},
        ),
        _resource(
            "aws_s3_bucket_public_access_block",
            "dags",
            {
                "bucket": BUCKET,
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
            {"bucket": ["aws_s3_bucket.dags.id", "aws_s3_bucket.dags"]},
        ),
        _resource(
            "aws_s3_bucket_versioning",
            "dags",
            {"bucket": BUCKET, "versioning_configuration": [{"status": "Enabled"}]},
            {"bucket": ["aws_s3_bucket.dags.id", "aws_s3_bucket.dags"]},
        ),
        _resource(
            "aws_s3_bucket_policy",
            "dags",
            {"bucket": BUCKET, "policy": json.dumps(BUCKET_POLICY)},
            {"bucket": ["aws_s3_bucket.dags.id", "aws_s3_bucket.dags"]},
        ),
        _resource(
            "aws_iam_role",
            "dag_sync",
            {"name": "airflow-dev-dag-sync-task", "assume_role_policy": json.dumps(TRUST), "path": "/"},
        ),
        _resource(
            "aws_iam_role_policy",
            "dag_sync",
            {"name": "dag-sync", "role": "airflow-dev-dag-sync-task", "policy": json.dumps(ROLE_POLICY)},
            {"role": ["aws_iam_role.dag_sync.id", "aws_iam_role.dag_sync"]},
        ),
    ]


def plan_from(resources: list[dict]) -> dict:
    """A `terraform show -json` document creating ``resources``."""
    planned, changes, configured = [], [], []
    for res in resources:
        address = f"{res['type']}.{res['name']}"
        head = {"address": address, "mode": "managed", "type": res["type"], "name": res["name"]}
        planned.append(dict(head, provider_name="registry.terraform.io/hashicorp/aws", values=res["values"]))
        changes.append(
            dict(
                head,
                provider_name="registry.terraform.io/hashicorp/aws",
                change={"actions": ["create"], "before": None, "after": res["values"], "after_unknown": {}},
            )
        )
        configured.append(
            dict(
                head,
                provider_config_key="aws",
                expressions={attr: {"references": refs} for attr, refs in res["refs"].items()},
            )
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configured}},
    }


def plan() -> dict:
    return plan_from(_resources())


def plan_with(extra: list[dict]) -> dict:
    return plan_from(_resources() + extra)


def nat_gateway() -> dict:
    return _resource("aws_nat_gateway", "a", {"connectivity_type": "public"}, {})


def template() -> dict:
    """The same stack as a CloudFormation template."""
    return copy.deepcopy(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Vpc": {
                    "Type": "AWS::EC2::VPC",
                    "Properties": {
                        "CidrBlock": "10.0.0.0/16",
                        "EnableDnsSupport": True,
                        "EnableDnsHostnames": True,
                    },
                },
                "PrivateA": {
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "CidrBlock": "10.0.1.0/24",
                        "AvailabilityZone": "us-east-1a",
                    },
                },
                "DagSyncSg": {
                    "Type": "AWS::EC2::SecurityGroup",
                    "Properties": {
                        "GroupName": "airflow-dev-dag-sync",
                        "GroupDescription": "DAG sync service (S3 to EFS)",
                        "VpcId": {"Ref": "Vpc"},
                        "SecurityGroupEgress": [
                            {
                                "IpProtocol": "tcp",
                                "FromPort": 443,
                                "ToPort": 443,
                                "CidrIp": "10.0.1.0/24",
                                "Description": "to interface endpoints",
                            }
                        ],
                    },
                },
                "S3Key": {
                    "Type": "AWS::KMS::Key",
                    "Properties": {
                        "Description": "airflow-dev s3",
                        "EnableKeyRotation": True,
                        "KeyPolicy": KEY_POLICY,
                    },
                },
                "DagsBucket": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {
                        "BucketName": BUCKET,
                        "BucketEncryption": {
                            "ServerSideEncryptionConfiguration": [
                                {
                                    "ServerSideEncryptionByDefault": {
                                        "SSEAlgorithm": "aws:kms",
                                        "KMSMasterKeyID": {"Fn::GetAtt": ["S3Key", "Arn"]},
                                    },
                                    "BucketKeyEnabled": True,
                                }
                            ]
                        },
                        "VersioningConfiguration": {"Status": "Enabled"},
                    },
                },
                "DagSyncRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": "airflow-dev-dag-sync-task",
                        "AssumeRolePolicyDocument": TRUST,
                        "Policies": [{"PolicyName": "dag-sync", "PolicyDocument": ROLE_POLICY}],
                    },
                },
            },
        }
    )


def policy_documents() -> list[dict]:
    return copy.deepcopy(
        [
            {"name": "airflow-dev-dag-sync-task trust", "kind": "trust", "document": TRUST},
            {"name": "airflow-dev-dag-sync-task/dag-sync", "kind": "identity", "document": ROLE_POLICY},
            {"name": f"s3://{BUCKET} bucket policy", "kind": "resource", "document": BUCKET_POLICY},
            {"name": "alias/airflow-dev-s3 key policy", "kind": "resource", "document": KEY_POLICY},
        ]
    )


def _renamed(reference: str, suffix: str) -> str:
    """``aws_vpc.main.id`` -> ``aws_vpc.main_<suffix>.id``."""
    parts = reference.split(".")
    parts[1] += suffix
    return ".".join(parts)


def synthetic_plan(copies: int) -> dict:
    """``copies`` renamed copies of the fixture's resources (16 each), references kept inside a copy."""
    out = []
    for i in range(copies):
        for res in _resources():
            refs = {attr: [_renamed(t, f"_{i}") for t in targets] for attr, targets in res["refs"].items()}
            out.append(_resource(res["type"], f"{res['name']}_{i}", copy.deepcopy(res["values"]), refs))
    return plan_from(out)


def checkov_executable() -> str:
    """checkov from PATH (make test puts .gate-venv/bin there), else the checkout's .gate-venv."""
    found = shutil.which("checkov") or str(ROOT / ".gate-venv" / "bin" / "checkov")
    if not os.access(found, os.X_OK):
        pytest.skip("checkov is not installed: `make gate-venv` creates .gate-venv (make test does it first)")
    return found


def synthetic_template(copies: int) -> dict:
    """``copies`` renamed copies of the template's resources (6 each), references kept inside a copy."""
    base = template()["Resources"]
    text = json.dumps(base)
    resources = {}
    for i in range(copies):
        renamed = text
        for logical_id in base:
            renamed = renamed.replace(f'"{logical_id}"', f'"{logical_id}{i}"')
        for logical_id, body in json.loads(renamed).items():
            props = body["Properties"]
            for key in ("GroupName", "BucketName", "RoleName"):
                if key in props:
                    props[key] = f"{props[key]}-{i}"
            resources[logical_id] = body
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def synthetic_documents(copies: int) -> list[dict]:
    return [dict(doc, name=f"{doc['name']} #{i}") for i in range(copies) for doc in policy_documents()]
