# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What every pathwai.airflow_ecs module shares: retrying clients, paginated reads, diffs."""

from __future__ import annotations

import random
import time

try:  # noqa: SIM105 (Ansible modules import optional dependencies this way)
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class ConsistencyRetry(AWSRetry):
    """AWSRetry for the codes a module names only (eventual consistency, e.g. IAM's NoSuchEntity for a
    role just created). Throttling, 5xx and connection errors are botocore's: every client retries them
    as the connection's ``aws_config`` says (``retries: {mode, total_max_attempts}``, set once in the
    inventory's ``airflow_aws_connection``), so a decorator retrying them too would multiply the
    attempts (AWSRetry's own list holds ``Throttling`` and ``RequestLimitExceeded``)."""

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return response_code in (catch_extra_error_codes or ())


def retrying_client(module, service: str, extra_codes: list[str] | None = None):
    """A boto3 client retrying as the connection's ``aws_config`` says (botocore: throttling, 5xx,
    connection errors); a call given ``aws_retry=True`` is also retried, with jittered backoff, on
    ``extra_codes`` (eventual consistency) and nothing else."""
    codes = extra_codes or []
    decorator = ConsistencyRetry.jittered_backoff(retries=8, delay=1, catch_extra_error_codes=codes)
    return module.client(service, retry_decorator=decorator)


def paginate(client, operation: str, **params) -> dict:
    """Every page of ``operation`` merged into one result (botocore's build_full_result); each page's
    request is retried by botocore as the client's retry config says."""
    return client.get_paginator(operation).paginate(**params).build_full_result()


def diff_result(before, after) -> dict:
    """Ansible's ``diff`` structure (shown by ``--diff``)."""
    return {"before": before, "after": after}


def exit_with(module, result: dict) -> None:
    """Exit with ``result``, keeping its ``diff`` only when the run asked for diffs."""
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


def run_module(module, work, what: str, errors: tuple = (), prefix: str = "") -> None:
    """Every module's tail: ``work()`` gives the result; an exception of ``errors`` (WaitError is
    always one) fails with ``prefix`` and its message, an AWS error with ``Failed to <what>`` and
    AWS's own; then exit (diff kept if asked)."""
    try:
        result = work()
    except (WaitError, *errors) as e:
        module.fail_json(msg=f"{prefix}{e}")
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to {what}")
    exit_with(module, result)


class WaitError(Exception):
    """A wait ran out of time, or the resource reached a failed state; ``last`` is the value last read."""

    def __init__(self, message: str, last=None):
        super().__init__(message)
        self.last = last


def poll(
    read,
    done,
    timeout: float,
    what: str,
    failed=None,
    sleep=time.sleep,
    delay: float = 1.0,
    max_delay: float = 15.0,
    jitter: float = 0.0,
    describe=None,
    clock=time.monotonic,
):
    """The one wait: call ``read()`` until ``done(value)`` and return that value. The delay starts at
    ``delay`` s and doubles up to ``max_delay`` (equal values poll at a fixed interval), +/- ``jitter``
    of itself. WaitError (carrying the last value) when ``failed(value)`` or when the next sleep would
    pass ``timeout`` s; ``describe(value)`` adds the last state to its message."""
    deadline = clock() + timeout
    while True:
        value = read()
        if done(value):
            return value
        state = f" ({describe(value)})" if describe is not None else ""
        if failed is not None and failed(value):
            raise WaitError(f"{what}: entered a failed state{state}", value)
        pause = delay * random.uniform(1 - jitter, 1 + jitter) if jitter else delay  # noqa: S311
        if clock() + pause > deadline:
            raise WaitError(f"{what}: timed out after {timeout:g} s{state}", value)
        sleep(pause)
        delay = min(delay * 2, max_delay)
