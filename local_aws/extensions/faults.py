"""Fault injection: throttled answers at a chosen rate, and a stop after the N-th write call.

Not a gap of moto: what real accounts do to a run. Configured at start from the environment
(``LOCAL_AWS_THROTTLE_RATE``, ``LOCAL_AWS_THROTTLE_SERVICES``, ``LOCAL_AWS_FAULT_SEED``,
``LOCAL_AWS_STOP_AFTER_WRITES``, ``LOCAL_AWS_STOP_MODE``, ``LOCAL_AWS_STOP_ON``) or at runtime through
``/_local_aws/faults``: ``PUT`` a JSON config (replaces the config, counters start again),
``GET`` the config and counters, ``DELETE`` them and turn faults off.

- **Throttling.** Each signed request is refused with the service's own throttling error at
  ``throttle_rate`` (0..1), or its service's rate in ``throttle_services`` (credential-scope names:
  ``ec2``, ``s3``, ``iam``, ``elasticloadbalancing``, ``monitoring``, ``elasticfilesystem``...).
  The answer has the error shape and HTTP status of the service's protocol, as AWS sends it:
  EC2 ``RequestLimitExceeded`` (503, EC2 XML); query services (IAM, STS, ELBv2, RDS, ElastiCache,
  SNS) ``Throttling`` (400, ``ErrorResponse`` XML); JSON services (ECS, KMS, Logs, Secrets Manager,
  Application Auto Scaling, ACM) ``ThrottlingException`` (400, ``__type``), a query-compatible JSON
  service (CloudWatch) with ``x-amzn-query-error: Throttling;Sender``; REST-JSON services (EFS)
  ``ThrottlingException`` (429, ``x-amzn-ErrorType``); S3 ``SlowDown`` (503, S3 XML; HEAD without
  body). botocore classifies every one as throttling and retries it. A throttled request never
  reaches moto. Which requests are throttled is drawn per service (``Schedule``: one in each
  stretch of 1/rate requests, at a place drawn from ``random.Random(f"{seed}/{service}")``): at
  least floor(n * rate) of a service's first n requests, the same ones for the same seed and the
  same requests to that service, whatever the other services see.
- **Stop.** With ``stop_after_writes: N``, once N write calls (calls.is_write) have been answered
  by moto every later signed request is refused: ``stop_mode: error`` (default) answers HTTP 400
  ``RunStopped`` in the protocol's shape (not retried by botocore: the caller fails at once),
  ``disconnect`` closes the connection without an answer (botocore retries it as a connection
  error, then fails). ``N: 0`` refuses from the first request. Stays stopped until reconfigured.
  With ``stop_on: "service Action"`` (``"kms CreateKey"``) only that call's writes count toward N:
  the run stops right after the N-th such call, whatever ran before it.

Throttled and refused requests appear in the call record (``/_local_aws/calls``) with
``fault: throttled`` / ``fault: refused``; ``/moto-api/`` and the emulator's own ``/_local_aws/``
paths and unsigned requests are never faulted.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import threading
import uuid
from dataclasses import asdict, dataclass, field

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from local_aws import calls

CONTROL_PATH = "/_local_aws/faults"
STOP_MODES = ("error", "disconnect")
STOP_CODE = "RunStopped"

# protocol -> (throttling code, HTTP status), as each protocol's services answer.
THROTTLE = {
    "ec2": ("RequestLimitExceeded", 503),
    "query": ("Throttling", 400),
    "json": ("ThrottlingException", 400),
    "rest-json": ("ThrottlingException", 429),
    "rest-xml": ("SlowDown", 503),
}
MESSAGES = {
    "RequestLimitExceeded": "Request limit exceeded.",
    "SlowDown": "Please reduce your request rate.",
    "Throttling": "Rate exceeded",
    "ThrottlingException": "Rate exceeded",
}


@dataclass
class FaultConfig:
    throttle_rate: float = 0.0
    throttle_services: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    stop_after_writes: int | None = None
    stop_mode: str = "error"
    # "service Action" (e.g. "kms CreateKey"): only writes of that call count toward
    # stop_after_writes, so a test can stop after the N-th such call whatever came before it.
    stop_on: str | None = None

    def __post_init__(self) -> None:
        rates = [self.throttle_rate, *self.throttle_services.values()]
        if any(not 0 <= float(r) <= 1 for r in rates):
            raise ValueError("throttle rates must be between 0 and 1")
        if self.stop_mode not in STOP_MODES:
            raise ValueError(f"stop_mode must be one of {', '.join(STOP_MODES)}")
        if self.stop_after_writes is not None and int(self.stop_after_writes) < 0:
            raise ValueError("stop_after_writes must be 0 or more")

    @classmethod
    def from_env(cls, env: dict | None = None) -> FaultConfig | None:
        """The config the ``LOCAL_AWS_*`` variables describe, None when none is set.
        ``LOCAL_AWS_THROTTLE_SERVICES`` is ``service=rate,service=rate``."""
        env = os.environ if env is None else env
        names = ("LOCAL_AWS_THROTTLE_RATE", "LOCAL_AWS_THROTTLE_SERVICES", "LOCAL_AWS_STOP_AFTER_WRITES")
        if not any(env.get(name) for name in names):
            return None
        services = {}
        for pair in filter(None, env.get("LOCAL_AWS_THROTTLE_SERVICES", "").split(",")):
            name, _, rate = pair.partition("=")
            services[name.strip()] = float(rate)
        stop = env.get("LOCAL_AWS_STOP_AFTER_WRITES")
        return cls(
            throttle_rate=float(env.get("LOCAL_AWS_THROTTLE_RATE") or 0),
            throttle_services=services,
            seed=int(env.get("LOCAL_AWS_FAULT_SEED") or 0),
            stop_after_writes=int(stop) if stop else None,
            stop_mode=env.get("LOCAL_AWS_STOP_MODE") or "error",
            stop_on=env.get("LOCAL_AWS_STOP_ON") or None,
        )


class Schedule:
    """Which requests of one service are throttled at ``rate``: one in each stretch of 1/rate
    consecutive requests, at a place drawn from ``random.Random(f"{seed}/{service}")`` (stratified,
    so the first n requests hold at least floor(n * rate) throttled ones, and two stretches can put
    theirs side by side)."""

    def __init__(self, rate: float, seed: str) -> None:
        self.rate, self._random = rate, random.Random(seed)  # noqa: S311
        self._done = 0  # throttled so far: the next one falls in stretch number _done
        self._next = self._place(0)

    def _place(self, at_least: int) -> int:
        return max(at_least, math.floor((self._done + self._random.random()) / self.rate))

    def throttled(self, index: int) -> bool:
        if index < self._next:
            return False
        self._done += 1
        self._next = self._place(index + 1)
        return True


class Faults:
    """The emulator's fault state: its config, one throttling schedule per service, and counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.configure(FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._schedules: dict[str, Schedule] = {}
            self.seen: dict[str, int] = {}
            self.throttled: dict[str, int] = {}
            self.writes = 0
            self.counted = 0  # writes counting toward stop_after_writes (all, or stop_on's only)
            self.refused = 0
            self.stopped_after: str | None = "start" if config.stop_after_writes == 0 else None

    def status(self) -> dict:
        with self._lock:
            return {
                "config": asdict(self.config),
                "seen": dict(self.seen),
                "throttled": dict(self.throttled),
                "writes": self.writes,
                "stopped_after": self.stopped_after,
                "refused": self.refused,
            }

    def verdict(self, call: dict) -> str | None:
        """``refused``, ``throttled`` or None (answer normally) for one signed request."""
        service = call["service"]
        with self._lock:
            if self.stopped_after is not None:
                self.refused += 1
                return "refused"
            index = self.seen.get(service, 0)
            self.seen[service] = index + 1
            rate = float(self.config.throttle_services.get(service, self.config.throttle_rate))
            if not rate:
                return None
            schedule = self._schedules.setdefault(service, Schedule(rate, f"{self.config.seed}/{service}"))
            if not schedule.throttled(index):
                return None
            self.throttled[service] = self.throttled.get(service, 0) + 1
            return "throttled"

    def answered(self, call: dict) -> None:
        """Count a write moto answered; the N-th one stops the run."""
        if not call["write"]:
            return
        with self._lock:
            self.writes += 1
            stop_on = self.config.stop_on
            if stop_on and f"{call['service']} {call['action']}" != stop_on:
                return
            self.counted += 1
            limit = self.config.stop_after_writes
            if limit is not None and self.counted >= limit and self.stopped_after is None:
                self.stopped_after = f"{self.writes}: {call['service']} {call['action']}"


FAULTS = Faults()


def protocol(environ: dict, call: dict) -> str:
    """The request's protocol, read from the request itself (botocore's serializers differ)."""
    if call["service"] == "s3":
        return "rest-xml"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if " " not in call["action"]:  # an Action parameter: query protocol
        return "ec2" if call["service"] == "ec2" else "query"
    return "rest-json"


def error_response(environ: dict, call: dict, code: str, status: int) -> tuple[int, list, bytes]:
    """Status, headers and body of an error ``code`` in the request's protocol shape."""
    request_id = str(uuid.uuid4())
    kind = protocol(environ, call)
    message = MESSAGES.get(code, "The run was stopped by fault injection (local_aws).")
    headers = [("x-amzn-RequestId", request_id)]
    if kind == "json":
        if environ.get("HTTP_X_AMZN_QUERY_MODE") == "true":  # a query-compatible JSON service
            query_code = "Throttling" if code == "ThrottlingException" else code
            headers.append(("x-amzn-query-error", f"{query_code};Sender"))
        body = json.dumps({"__type": code, "message": message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
    elif kind == "rest-json":
        body = json.dumps({"ErrorCode": code, "Message": message}).encode()
        headers += [("x-amzn-ErrorType", code), ("Content-Type", "application/json")]
    elif kind == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif kind == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    else:  # S3: no body on HEAD
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", request_id)]
        headers.append(("Content-Type", "application/xml"))
        body = b""
        if environ.get("REQUEST_METHOD") != "HEAD":
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                f"<Message>{message}</Message><RequestId>{request_id}</RequestId>"
                f"<HostId>{request_id}</HostId></Error>"
            ).encode()
    return status, [*headers, ("Content-Length", str(len(body)))], body


def _answer(start_response, status: int, headers: list, body: bytes) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 503: "Service Unavailable"}
    start_response(f"{status} {reasons.get(status, 'Error')}", headers)
    return [body]


def _control(environ, start_response) -> list[bytes]:
    """PUT: configure (and answer the status). GET: the status. DELETE: the status, then faults off."""
    method = environ.get("REQUEST_METHOD")
    status = FAULTS.status()
    try:
        if method == "PUT":
            FAULTS.configure(FaultConfig(**json.loads(calls.read_body(environ) or b"{}")))
            status = FAULTS.status()
        elif method == "DELETE":
            FAULTS.configure(FaultConfig())
    except (TypeError, ValueError) as e:
        return _answer(start_response, 400, [("Content-Type", "text/plain")], str(e).encode())
    return _answer(start_response, 200, [("Content-Type", "application/json")], json.dumps(status).encode())


def _disconnect(environ) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("local_aws: run stopped by fault injection")  # werkzeug drops it quietly


def apply() -> None:
    original = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH:
            return _control(environ, start_response)
        call = calls.describe(environ)
        if path.startswith(("/moto-api/", "/_local_aws/")) or call["service"] == "unsigned":
            return original(self, environ, start_response)
        verdict = FAULTS.verdict(call)
        if verdict == "throttled":
            call["fault"] = verdict
            code, status = THROTTLE[protocol(environ, call)]
            return _answer(start_response, *error_response(environ, call, code, status))
        if verdict == "refused":
            call["fault"] = verdict
            if FAULTS.config.stop_mode == "disconnect":
                _disconnect(environ)
            return _answer(start_response, *error_response(environ, call, STOP_CODE, 400))
        response = original(self, environ, start_response)
        FAULTS.answered(call)
        return response

    DomainDispatcherApplication.__call__ = __call__
