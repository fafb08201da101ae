"""The emulator's fault injection (local_aws/extensions/faults.py): each service's throttled answer is
one botocore itself classifies as throttling and retries, decisions repeat with the seed, and a run
stops after the N-th write call."""

from __future__ import annotations

import contextlib
import urllib.error

import boto3
import botocore.config
import botocore.exceptions
import pytest
from botocore.retries.standard import RetryEventAdapter, StandardRetryConditions, ThrottlingErrorDetector

from local_aws.extensions.faults import FaultConfig, Schedule
from local_aws.server import control_faults

ONE_ATTEMPT = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})

# (boto3 service, a read call and its arguments, expected code, expected HTTP status)
CASES = [
    ("ec2", "describe_vpcs", {}, "RequestLimitExceeded", 503),
    ("s3", "list_buckets", {}, "SlowDown", 503),
    ("s3", "head_bucket", {"Bucket": "missing"}, "503", 503),  # S3 answers HEAD without a body: a 503
    ("iam", "list_roles", {}, "Throttling", 400),
    ("sts", "get_caller_identity", {}, "Throttling", 400),
    ("elbv2", "describe_load_balancers", {}, "Throttling", 400),
    ("rds", "describe_db_instances", {}, "Throttling", 400),
    ("elasticache", "describe_replication_groups", {}, "Throttling", 400),
    ("sns", "list_topics", {}, "Throttling", 400),
    ("cloudwatch", "describe_alarms", {}, "Throttling", 400),  # JSON, query-compatible
    ("ecs", "list_clusters", {}, "ThrottlingException", 400),
    ("kms", "list_keys", {}, "ThrottlingException", 400),
    ("logs", "describe_log_groups", {}, "ThrottlingException", 400),
    ("secretsmanager", "list_secrets", {}, "ThrottlingException", 400),
    (
        "application-autoscaling",
        "describe_scalable_targets",
        {"ServiceNamespace": "ecs"},
        "ThrottlingException",
        400,
    ),
    ("acm", "list_certificates", {}, "ThrottlingException", 400),
    ("efs", "describe_file_systems", {}, "ThrottlingException", 429),
]


@pytest.fixture
def emulator(module_aws_endpoint):
    """The module's emulator, its faults turned off after each test."""
    yield module_aws_endpoint
    module_aws_endpoint.clear_faults()


def client(emulator, service: str, config: botocore.config.Config = ONE_ATTEMPT):
    return boto3.client(service, endpoint_url=emulator.url, config=config)


@pytest.mark.parametrize(
    ("service", "operation", "params", "code", "status"), CASES, ids=[c[1] for c in CASES]
)
def test_throttled_answer_is_what_botocore_calls_throttling(
    emulator, service, operation, params, code, status
):
    emulator.set_faults(throttle_rate=1.0)
    aws = client(emulator, service)
    seen: list[dict] = []
    aws.meta.events.register_first("needs-retry", lambda **kwargs: seen.append(kwargs))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        getattr(aws, operation)(**params)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    # botocore's own classification (standard and adaptive modes share it) of what the emulator sent:
    # retried, and as throttling (a body-less HEAD is only a 503, transient, for botocore and AWS alike).
    context = RetryEventAdapter().create_retry_context(**seen[-1])
    assert StandardRetryConditions(max_attempts=2).is_retryable(context)
    throttling = ThrottlingErrorDetector(RetryEventAdapter()).is_throttling_error(**seen[-1])
    assert throttling is (operation != "head_bucket")


def test_botocore_retries_a_throttled_call_until_its_attempts_run_out(emulator):
    emulator.set_faults(throttle_services={"kms": 1.0})
    three = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 3})
    kms = client(emulator, "kms", three)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        kms.list_keys()
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    client(emulator, "sts").get_caller_identity()  # another service at the default rate (0): answered
    status = emulator.faults()
    assert status["seen"] == {"kms": 3, "sts": 1}
    assert status["throttled"] == {"kms": 3}


def _pattern(emulator, seed: int, interleave: bool = False) -> list[bool]:
    emulator.set_faults(throttle_rate=0.5, seed=seed)
    sts, ec2 = client(emulator, "sts"), client(emulator, "ec2")
    answered = []
    for _ in range(24):
        if interleave:
            with contextlib.suppress(botocore.exceptions.ClientError):
                ec2.describe_vpcs()
        try:
            sts.get_caller_identity()
            answered.append(True)
        except botocore.exceptions.ClientError:
            answered.append(False)
    return answered


def test_the_seed_decides_which_calls_are_throttled_per_service(emulator):
    first = _pattern(emulator, seed=7)
    assert 0 < first.count(False) < len(first)
    assert _pattern(emulator, seed=7) == first
    assert _pattern(emulator, seed=7, interleave=True) == first  # other services' calls do not shift it
    assert _pattern(emulator, seed=8) != first


@pytest.mark.parametrize("rate", [0.2, 0.25, 0.5, 0.9])
def test_a_schedule_throttles_its_share_of_every_stretch(rate):
    for seed in range(20):
        schedule = Schedule(rate, f"{seed}/ec2")
        throttled = 0
        for n in range(1, 401):
            throttled += schedule.throttled(n - 1)
            assert throttled >= int(n * rate), (seed, n)
        assert throttled <= 400 * rate + 1


def test_a_run_stops_after_the_nth_write(emulator):
    ec2, kms = client(emulator, "ec2"), client(emulator, "kms")
    vpcs_before = len(ec2.describe_vpcs()["Vpcs"])
    emulator.reset_calls()
    emulator.set_faults(stop_after_writes=2)
    kms.create_key(Description="first write")
    kms.list_keys()  # a read does not count
    ec2.create_vpc(CidrBlock="10.9.0.0/16")  # the second write: answered, then the stop
    # Refused at once with a fixed, non-retried error, even with botocore's default retries.
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        boto3.client("ec2", endpoint_url=emulator.url).describe_vpcs()
    assert caught.value.response["Error"]["Code"] == "RunStopped"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    with pytest.raises(botocore.exceptions.ClientError, match="RunStopped"):
        kms.create_key(Description="never made")
    status = emulator.faults()
    assert (status["writes"], status["stopped_after"], status["refused"]) == (2, "2: ec2 CreateVpc", 2)
    assert [c.get("fault") for c in emulator.calls()] == [None, None, None, "refused", "refused"]
    emulator.clear_faults()
    assert len(ec2.describe_vpcs()["Vpcs"]) == vpcs_before + 1
    assert "never made" not in [
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"] for k in kms.list_keys()["Keys"]
    ]


def test_stop_on_counts_only_that_call(emulator):
    kms = client(emulator, "kms")
    emulator.set_faults(stop_after_writes=2, stop_on="kms CreateAlias")
    first = kms.create_key(Description="a")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/stop-on-1", TargetKeyId=first)
    second = kms.create_key(Description="b")["KeyMetadata"]["KeyId"]  # not counted
    kms.create_alias(AliasName="alias/stop-on-2", TargetKeyId=second)  # the 2nd CreateAlias: the stop
    with pytest.raises(botocore.exceptions.ClientError, match="RunStopped"):
        kms.create_key(Description="never made")
    status = emulator.faults()
    assert (status["writes"], status["stopped_after"]) == (4, "4: kms CreateAlias")


def test_disconnect_mode_drops_the_connection(emulator):
    emulator.set_faults(stop_after_writes=0, stop_mode="disconnect")
    with pytest.raises((botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        client(emulator, "sts").get_caller_identity()
    assert emulator.faults()["refused"] == 1


def test_a_bad_config_is_refused(emulator):
    with pytest.raises(urllib.error.HTTPError) as caught:
        control_faults(emulator.url, "PUT", {"throttle_rate": 2})
    assert caught.value.code == 400


def test_config_from_the_environment():
    assert FaultConfig.from_env({}) is None
    config = FaultConfig.from_env(
        {
            "LOCAL_AWS_THROTTLE_RATE": "0.2",
            "LOCAL_AWS_THROTTLE_SERVICES": "s3=0.5, kms=0",
            "LOCAL_AWS_FAULT_SEED": "3",
            "LOCAL_AWS_STOP_AFTER_WRITES": "40",
            "LOCAL_AWS_STOP_ON": "kms CreateKey",
        }
    )
    assert config == FaultConfig(0.2, {"s3": 0.5, "kms": 0.0}, 3, 40, "error", "kms CreateKey")
