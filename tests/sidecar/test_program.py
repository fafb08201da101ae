"""The console program (``python -m airflow_dag_sync``) end to end: exit codes, signals,
health file, metrics and event mode, against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from dagsync_helpers import DUMMY, ROOT, SRC, local_files, tmp_files, wait_until

MB = 1024 * 1024


def _cycles(prog, result: str | None = None) -> list[dict]:
    return [c for c in prog.events("cycle") if result is None or c["result"] == result]


def test_runs_cycles_picks_up_changes_and_stops_on_sigterm(s3env, dest, program):
    s3env.put("dev/a.py", b"a")
    prog = program(s3env.env(dest, DAG_SYNC_BACKOFF_AFTER=2))
    prog.wait_for(lambda: len(_cycles(prog, "noop")) >= 3, what="three no-op cycles")
    s3env.put("dev/b.py", b"b")
    prog.wait_for(lambda: (dest / "b.py").exists(), what="b.py")

    prog.proc.send_signal(signal.SIGTERM)
    assert prog.wait_exit() == 0
    cycles = _cycles(prog)
    assert cycles[0]["result"] == "ok" and cycles[0]["added"] == 1
    for line in cycles:  # the documented log fields are all there
        assert {"added", "changed", "deleted", "bytes", "duration_s", "s3_calls", "lag_s"} <= line.keys()
    assert any(c["result"] == "ok" and c["added"] == 1 and c.get("pickup_s") is not None for c in cycles[1:])
    assert prog.events("exit")[-1] == {**prog.events("exit")[-1], "code": 0, "reason": "stopped"}
    assert local_files(dest) == {"a.py": b"a", "b.py": b"b"}


def test_missing_destination_exits_3(s3env, tmp_path, program):
    prog = program(s3env.env(tmp_path / "not-mounted"))
    assert prog.wait_exit() == 3
    assert "does not exist" in prog.events("exit")[0]["reason"]


def test_destination_that_is_a_file_exits_3(s3env, tmp_path, program):
    target = tmp_path / "dags"
    target.write_text("not a directory")
    prog = program(s3env.env(target))
    assert prog.wait_exit() == 3


def test_destination_vanishing_while_running_exits_3(s3env, dest, program):
    s3env.put("dev/a.py", b"a")
    prog = program(s3env.env(dest))
    prog.wait_for(lambda: _cycles(prog, "noop"), what="a no-op cycle")
    shutil.rmtree(dest)
    assert prog.wait_exit() == 3
    assert prog.events("exit")[-1]["code"] == 3


def test_invalid_configuration_exits_1(s3env, dest, program):
    env = s3env.env(dest)
    del env["DAGS_BUCKET"]
    prog = program(env)
    assert prog.wait_exit() == 1
    assert "DAGS_BUCKET" in prog.events("exit")[0]["reason"]


@pytest.fixture
def auth_emulator(tmp_path):
    """A separate emulator process that enforces IAM authentication after two requests,
    so unknown keys get S3's real ``InvalidAccessKeyId`` (moto's access control)."""
    url_file = tmp_path / "url"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(DUMMY, INITIAL_NO_AUTH_ACTION_COUNT="2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "local_aws", "--url-file", str(url_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: url_file.exists() and url_file.read_text().strip(), timeout=60, what="emulator")
        yield url_file.read_text().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_invalid_credentials_exit_2_after_consecutive_failures(auth_emulator, dest, program):
    s3 = boto3.client("s3", endpoint_url=auth_emulator, **_creds())
    s3.create_bucket(Bucket="authdags")  # the two unauthenticated requests moto allows
    s3.put_object(Bucket="authdags", Key="dev/a.py", Body=b"a")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DAG_SYNC_"))}
    env.update(
        DUMMY,
        AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        AWS_ENDPOINT_URL=auth_emulator,
        PYTHONPATH=str(SRC),
        DAGS_BUCKET="authdags",
        ENV="dev",
        DAG_SYNC_DEST=str(dest),
        DAG_SYNC_HEALTH_FILE=str(dest.parent / "health"),
        DAG_SYNC_INTERVAL="0.1",
        DAG_SYNC_JITTER="0",
        DAG_SYNC_METRICS="false",
    )
    prog = program(env)
    assert prog.wait_exit(timeout=60) == 2
    errors = _cycles(prog, "error")
    assert [c["error_code"] for c in errors] == ["InvalidAccessKeyId"] * 3
    assert local_files(dest) == {}
    assert not (dest.parent / "health").exists()


def _creds() -> dict:
    return {
        "aws_access_key_id": DUMMY["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": DUMMY["AWS_SECRET_ACCESS_KEY"],
        "region_name": "us-east-1",
    }


def test_sigterm_during_a_download_leaves_no_partial_file(s3env, dest, program):
    s3env.put("dev/small.py", b"v1")
    s3env.put("dev/big.bin", b"old" * 10)
    prog = program(s3env.env(dest))
    prog.wait_for(lambda: _cycles(prog, "noop"), what="first sync")
    manifest = (dest / ".dag-sync" / "manifest.json").read_bytes()
    s3env.faults.add(method="GET", path=r"/dev/big\.bin$", slow=0.05)  # ~1.3 MB/s
    s3env.put("dev/big.bin", os.urandom(8 * MB))

    part = wait_until(
        lambda: next((p for p in tmp_files(dest) if p.stat().st_size > 0), None), what="a partial download"
    )
    assert part.stat().st_size < 8 * MB
    prog.proc.send_signal(signal.SIGTERM)

    assert prog.wait_exit(timeout=20) == 0
    assert _cycles(prog)[-1]["result"] == "stopped"
    assert tmp_files(dest) == []
    assert (dest / "big.bin").read_bytes() == b"old" * 10
    assert (dest / ".dag-sync" / "manifest.json").read_bytes() == manifest


def test_health_file_and_health_check(s3env, dest, program):
    s3env.put("dev/a.py", b"a")
    env = s3env.env(dest)
    health = Path(env["DAG_SYNC_HEALTH_FILE"])
    check = [sys.executable, "-m", "airflow_dag_sync", "--health"]
    assert subprocess.run(check, env=env, capture_output=True).returncode == 1  # no file yet

    prog = program(env)
    prog.wait_for(lambda: _cycles(prog, "noop"), what="a good cycle")
    assert json.loads(health.read_text())["result"] in ("ok", "noop")
    assert subprocess.run(check, env=env, capture_output=True).returncode == 0
    prog.stop()

    old = time.time() - 3600
    os.utime(health, (old, old))
    stale = subprocess.run(check, env=dict(env, DAG_SYNC_HEALTH_MAX_AGE="60"), capture_output=True, text=True)
    assert stale.returncode == 1 and "unhealthy" in stale.stderr


def test_refused_plan_is_logged_and_keeps_the_tree(s3env, dest, program):
    for i in range(4):
        s3env.put(f"dev/d{i}.py", b"x")
    prog = program(s3env.env(dest))
    prog.wait_for(lambda: _cycles(prog, "noop"), what="first sync")
    for i in range(4):
        s3env.delete(f"dev/d{i}.py")
    refusal = prog.wait_for(lambda: prog.events("plan_refused"), what="a refusal")[0]
    assert refusal["level"] == "error" and refusal["would_delete"] == 4
    assert len(local_files(dest)) == 4


def test_sync_lag_metric_is_published(s3env, dest, program):
    env = s3env.env(dest, ENV=f"lag{time.time_ns()}")
    s3env.s3.put_object(Bucket=s3env.bucket, Key=f"{env['ENV']}/a.py", Body=b"a")
    prog = program(env)
    prog.wait_for(lambda: len(_cycles(prog, "noop")) >= 2, what="two cycles")
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3env.url)

    def metric():
        listed = cloudwatch.list_metrics(
            Namespace="Airflow/DagSync",
            MetricName="SyncLagSeconds",
            Dimensions=[{"Name": "Environment", "Value": env["ENV"]}],
        )
        return listed["Metrics"]

    assert wait_until(metric, what="the SyncLagSeconds metric")


def test_event_mode_syncs_changed_keys_from_sqs(s3env, dest, program):
    sqs = boto3.client("sqs", endpoint_url=s3env.url)
    queue_url = sqs.create_queue(QueueName=f"dag-events-{s3env.bucket}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # S3 delivers only to a queue whose policy admits it for this bucket (as on AWS).
    admit_s3 = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{s3env.bucket}"}},
    }
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [admit_s3]})},
    )
    s3env.s3.put_bucket_notification_configuration(
        Bucket=s3env.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "dev/"}]}},
                }
            ]
        },
    )
    s3env.put("dev/base.py", b"base")
    s3env.put("dev/gone.py", b"soon deleted")
    sqs.purge_queue(QueueUrl=queue_url)
    # A reconcile interval far beyond the test: only events can bring the changes.
    prog = program(
        s3env.env(dest, DAG_SYNC_QUEUE_URL=queue_url, DAG_SYNC_RECONCILE_INTERVAL=3600, DAG_SYNC_SQS_WAIT=1)
    )
    prog.wait_for(lambda: _cycles(prog), what="the initial full cycle")
    assert local_files(dest) == {"base.py": b"base", "gone.py": b"soon deleted"}

    s3env.put("dev/new dir/événement.py", b"from an event")
    s3env.put("dev/base.py", b"changed")
    s3env.delete("dev/gone.py")
    wait_until(
        lambda: local_files(dest) == {"base.py": b"changed", "new dir/événement.py": b"from an event"},
        what="the evented changes",
    )
    events = [c for c in _cycles(prog) if c["kind"] == "events"]
    assert events and all(c["result"] in ("ok", "noop") for c in events)
    assert len([c for c in _cycles(prog) if c["kind"] == "full"]) == 1
    wait_until(
        lambda: (
            sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
        ),
        what="the messages to be deleted",
    )
    prog.proc.send_signal(signal.SIGTERM)
    assert prog.wait_exit(timeout=15) == 0


def test_once_flag_runs_one_cycle(s3env, dest, program):
    s3env.put("dev/a.py", b"a")
    prog = program(s3env.env(dest), "--once")
    assert prog.wait_exit() == 0
    assert [c["result"] for c in _cycles(prog)] == ["ok"]
    assert local_files(dest) == {"a.py": b"a"}
