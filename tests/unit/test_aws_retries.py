"""One retry policy: our modules' clients retry throttling as the connection's ``aws_config`` says
(botocore), and our own decorator (common.ConsistencyRetry) adds retries only for the codes a module
names, so attempts never multiply. Against the emulator with throttling injected."""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import ConsistencyRetry
from ansible_run import run_playbook
from conftest import ModuleFailed

PREFIX_LIST = "com.amazonaws.us-east-1.s3"


def retries(attempts: int) -> dict:
    return {"retries": {"mode": "standard", "total_max_attempts": attempts}}


def ec2_calls(emulator) -> list[dict]:
    return [c for c in emulator.calls() if c["service"] == "ec2"]


def test_our_module_retries_throttling_as_aws_config_says(aws_endpoint, module_runner):
    aws_endpoint.set_faults(throttle_services={"ec2": 1.0})
    aws_endpoint.reset_calls()
    with pytest.raises(ModuleFailed, match="RequestLimitExceeded"):
        module_runner("ec2_prefix_list_info", {"names": [PREFIX_LIST], "aws_config": retries(4)})
    # botocore's 4 attempts, no more: the module's own decorator does not retry throttling again.
    assert [c.get("fault") for c in ec2_calls(aws_endpoint)] == ["throttled"] * 4

    # Seed 6 throttles the first three EC2 requests: botocore's default 3 attempts fail, 10 pass.
    aws_endpoint.set_faults(throttle_services={"ec2": 0.75}, seed=6)
    with pytest.raises(ModuleFailed, match="RequestLimitExceeded"):
        module_runner("ec2_prefix_list_info", {"names": [PREFIX_LIST]})
    aws_endpoint.set_faults(throttle_services={"ec2": 0.75}, seed=6)
    found = module_runner("ec2_prefix_list_info", {"names": [PREFIX_LIST], "aws_config": retries(10)})
    assert set(found["prefix_list_ids"]) == {PREFIX_LIST}
    assert aws_endpoint.faults()["throttled"] == {"ec2": 3}


def test_consistency_retry_retries_the_named_codes_only(aws_endpoint):
    iam = boto3.client("iam", endpoint_url=aws_endpoint.url, config=botocore.config.Config(**retries(2)))
    wrapped = RetryingBotoClientWrapper(
        iam, ConsistencyRetry.jittered_backoff(retries=3, delay=0, catch_extra_error_codes=["NoSuchEntity"])
    )
    aws_endpoint.reset_calls()
    with pytest.raises(botocore.exceptions.ClientError, match="NoSuchEntity"):
        wrapped.get_role(RoleName="not-yet-visible", aws_retry=True)
    assert len(aws_endpoint.calls()) == 3  # the decorator's 3 tries of a named code

    aws_endpoint.set_faults(throttle_services={"iam": 1.0})
    aws_endpoint.reset_calls()
    with pytest.raises(botocore.exceptions.ClientError, match="Throttling"):
        wrapped.get_role(RoleName="not-yet-visible", aws_retry=True)
    assert len(aws_endpoint.calls()) == 2  # botocore's 2 attempts, not 2 x 3


LOOKUP_PLAY = """
- name: Read a secret through a lookup
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The value comes back despite the throttling
      ansible.builtin.assert:
        that: lookup(plugin, 'retried/secret', **connection) == 'the value'
"""


def test_the_secrets_lookup_retries_as_aws_config_says(aws_endpoint, tmp_path):
    """amazon.aws.secretsmanager_secret ignores aws_config (botocore's 3 attempts); ours passes it on."""
    boto3.client("secretsmanager", endpoint_url=aws_endpoint.url).create_secret(
        Name="retried/secret", SecretString="the value"
    )
    play = tmp_path / "lookup.yml"
    play.write_text(LOOKUP_PLAY)
    connection = {
        "region": "us-east-1",
        "endpoint_url": aws_endpoint.url,
        "access_key": "testing",
        "secret_key": "testing",
        "aws_config": retries(10),
    }
    outcome = {}
    for plugin in ("amazon.aws.secretsmanager_secret", "pathwai.airflow_ecs.secretsmanager_secret"):
        # Seed 17 throttles the first three Secrets Manager requests.
        aws_endpoint.set_faults(throttle_services={"secretsmanager": 0.75}, seed=17)
        run = run_playbook(
            str(play), extra_vars={"plugin": plugin, "connection": connection}, inventory="localhost,"
        )
        outcome[plugin] = (run.rc, aws_endpoint.faults()["throttled"].get("secretsmanager", 0))
        assert run.rc == 0 or "ThrottlingException" in run.output, run.output[-3000:]
    assert outcome == {
        "amazon.aws.secretsmanager_secret": (2, 3),
        "pathwai.airflow_ecs.secretsmanager_secret": (0, 3),
    }
