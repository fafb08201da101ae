"""The data role's DAG-events tasks (roles/data/tasks/dag_events.yml: community.aws.sqs_queue twice,
community.aws.s3_bucket_notification) against the emulator: the queue is encrypted with the s3 key
whose policy the kms role writes (plugins/filter/kms.py), its policy admits only the DAGs bucket,
the DLQ is the redrive target, S3 accepts the configuration (its test event validates queue policy
and key) and delivers this environment's prefix only; a re-run changes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from ansible_collections.pathwai.airflow_ecs.plugins.filter.kms import key_policy
from ansible_run import ROOT, run_playbook

PREFIX, ENV, BUCKET, ACCOUNT = "airflow-local", "local", "pathwai-airflow3-dags-local", "123456789012"
AWS = {"endpoint_url": "{{ lookup('env', 'AWS_ENDPOINT_URL') }}", "region": "us-east-1"}


def _playbook(tmp_path: Path, key_arn: str) -> Path:
    defaults = yaml.safe_load((ROOT / "roles/data/defaults/main.yml").read_text())
    keep = {k: v for k, v in defaults.items() if k.startswith("data_dag_events_")}
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/amazon.aws.aws": AWS, "group/community.aws.aws": AWS},
        "vars": {
            **keep,
            "airflow_env": ENV,
            "data_region": "us-east-1",
            "data_account_id": ACCOUNT,
            "data_names": f"{{{{ '{PREFIX}' | pathwai.airflow_ecs.airflow_names }}}}",
            "data_tags": {},
            "data_key_arns": {"s3": key_arn},
            "data_dags_bucket_name": BUCKET,
        },
        "tasks": [{"ansible.builtin.import_tasks": str(ROOT / "roles/data/tasks/dag_events.yml")}],
    }
    path = tmp_path / "dag_events.yml"
    path.write_text(yaml.safe_dump([play]))
    return path


def _audit_playbook(tmp_path: Path) -> Path:
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Audit the DAG-events delivery",
                "pathwai.airflow_ecs.airflow_audit": {
                    "env": ENV,
                    "name_prefix": PREFIX,
                    "policy_dir": str(ROOT / "policies"),
                    "required_kms_purposes": ["s3"],
                    "endpoint_url": AWS["endpoint_url"],
                    "region": "us-east-1",
                    "data": {
                        "dag_events": {
                            "queue_name": f"{PREFIX}-dag-events",
                            "dlq_name": f"{PREFIX}-dag-events-dlq",
                            "bucket": BUCKET,
                            "prefix": f"{ENV}/",
                            "account_id": ACCOUNT,
                        }
                    },
                },
                "register": "audit",
                "ignore_errors": True,
            },
            {
                "ansible.builtin.copy": {
                    "content": "{{ audit.findings | default([audit.msg]) | to_json }}",
                    "dest": str(tmp_path / "findings.json"),
                    "mode": "0600",
                }
            },
        ],
    }
    path = tmp_path / "audit.yml"
    path.write_text(yaml.safe_dump([play]))
    return path


def _findings(tmp_path: Path) -> list[str]:
    run = run_playbook(str(_audit_playbook(tmp_path)))
    assert run.rc == 0, run.output[-3000:]
    return json.loads((tmp_path / "findings.json").read_text())


def _drain(sqs, url) -> list[dict]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_dag_events_queue_converges_delivers_and_reruns_unchanged(aws_endpoint, tmp_path):
    s3, sqs, kms = (boto3.client(n, endpoint_url=aws_endpoint.url) for n in ("s3", "sqs", "kms"))
    row = yaml.safe_load((ROOT / "roles/kms/defaults/main.yml").read_text())["kms_keys"]["s3"]
    policy = key_policy("s3", row, ACCOUNT, "us-east-1", PREFIX)
    key_arn = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{PREFIX}-s3", TargetKeyId=key_arn)
    kms.enable_key_rotation(KeyId=key_arn)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    playbook = _playbook(tmp_path, key_arn)

    first = run_playbook(str(playbook))
    assert first.rc == 0, first.output[-4000:]
    again = run_playbook(str(playbook))
    assert again.rc == 0 and again.changed == 0, again.output[-4000:]

    url = sqs.get_queue_url(QueueName=f"{PREFIX}-dag-events")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["KmsMasterKeyId"] == key_arn
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{PREFIX}-dag-events-dlq")
    assert int(redrive["maxReceiveCount"]) == 5
    (admit,) = [s for s in json.loads(attrs["Policy"])["Statement"] if s["Effect"] == "Allow"]
    assert admit["Condition"]["ArnEquals"]["aws:SourceArn"] == f"arn:aws:s3:::{BUCKET}"
    (config,) = s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"]
    assert config["Filter"]["Key"]["FilterRules"][0] == {"Name": "Prefix", "Value": f"{ENV}/"}
    assert sorted(config["Events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]

    _drain(sqs, url)  # the test events of the configuration
    s3.put_object(Bucket=BUCKET, Key=f"{ENV}/dag.py", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="prod/dag.py", Body=b"x")
    s3.delete_object(Bucket=BUCKET, Key=f"{ENV}/dag.py")
    names = [(r["eventName"], r["s3"]["object"]["key"]) for b in _drain(sqs, url) for r in b["Records"]]
    assert names == [
        ("ObjectCreated:Put", f"{ENV}/dag.py"),
        ("ObjectRemoved:DeleteMarkerCreated", f"{ENV}/dag.py"),
    ]

    assert _findings(tmp_path) == []
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    found = _findings(tmp_path)
    assert any("does not notify the DAG-events queue" in f for f in found), found
    assert any("no redrive to its dead-letter queue" in f for f in found), found
