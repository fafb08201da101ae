# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What every pathwai.airflow_ecs module shares: retrying clients, paginated reads, diffs."""

from __future__ import annotations

import time

try:  # noqa: SIM105 (Ansible modules import optional dependencies this way)
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Throttling and eventual-consistency codes worth a jittered retry on top of botocore's own.
RETRY_CODES = ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"]


def retrying_client(module, service: str, extra_codes: list[str] | None = None):
    """A boto3 client whose calls retry with jittered backoff when given ``aws_retry=True``."""
    decorator = AWSRetry.jittered_backoff(
        retries=8, delay=1, catch_extra_error_codes=RETRY_CODES + (extra_codes or [])
    )
    return module.client(service, retry_decorator=decorator)


@AWSRetry.jittered_backoff(retries=8, delay=1, catch_extra_error_codes=RETRY_CODES)
def paginate(client, operation: str, **params) -> dict:
    """Every page of ``operation`` merged into one result (botocore's build_full_result)."""
    return client.get_paginator(operation).paginate(**params).build_full_result()


def diff_result(before, after) -> dict:
    """Ansible's ``diff`` structure (shown by ``--diff``)."""
    return {"before": before, "after": after}


def exit_with(module, result: dict) -> None:
    """Exit with ``result``, keeping its ``diff`` only when the run asked for diffs."""
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


def run_module(module, work, what: str, errors: tuple = ()) -> None:
    """Every module's tail: ``work()`` gives the result; an exception of ``errors`` fails with its
    message, an AWS error with ``Failed to <what>`` and AWS's own; then exit (diff kept if asked)."""
    try:
        result = work()
    except errors as e:
        module.fail_json(msg=str(e))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to {what}")
    exit_with(module, result)


class WaitError(Exception):
    """A wait ran out of time, or the resource reached a failed state."""


def poll(read, done, timeout: float, what: str, failed=None, sleep=time.sleep, delay: float = 1.0):
    """Call ``read()`` until ``done(value)``; back off 1 s -> 15 s; give up after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if failed is not None and failed(value):
            raise WaitError(f"{what}: entered a failed state")
        if time.monotonic() + delay > deadline:
            raise WaitError(f"{what}: timed out after {timeout} s")
        sleep(delay)
        delay = min(delay * 2, 15.0)
