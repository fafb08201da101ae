"""A local stand-in for the ECS agent's task scale-in protection endpoint.

Answers like aws/amazon-ecs-agent (ecs-agent/tmds/handlers/taskprotection/v1): PUT
``/task-protection/v1/state`` with ``{"ProtectionEnabled": bool, "ExpiresInMinutes": int?}``
-> 200 ``{"protection": {"ExpirationDate", "ProtectionEnabled", "TaskArn"}}``; unknown fields
or a missing ProtectionEnabled -> 400 ``{"error": {"Arn", "Code", "Message"}}``. ``fail_with``
makes it answer an error status instead (e.g. 500 ServerException).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/airflow/0123456789abcdef0123456789abcdef"
STATE_PATH = "/task-protection/v1/state"


@dataclass
class Call:
    method: str
    path: str
    body: object
    status: int


@dataclass
class AgentStandIn:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    fail_with: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def puts(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == "PUT"]

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition") -> list[Call]:
        """Poll the recorded calls until ``predicate(calls)`` holds; AssertionError at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.puts()
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; calls: {calls}")
            time.sleep(0.05)


def enabled_values(calls: list[Call], status: int | None = 200) -> list[bool]:
    return [
        c.body.get("ProtectionEnabled")
        for c in calls
        if isinstance(c.body, dict) and (status is None or c.status == status)
    ]


def make_handler(state: AgentStandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            return None

        def _answer(self, status: int, document: dict) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_PUT(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            status, document = self._decide(body)
            with state.lock:
                state.calls.append(Call("PUT", self.path, body, status))
            self._answer(status, document)

        def _decide(self, body):
            if self.path != STATE_PATH:
                return 404, {"error": {"Code": "ResourceNotFoundException", "Message": "no such path"}}
            if state.fail_with is not None:
                return state.fail_with, {
                    "error": {"Arn": TASK_ARN, "Code": "ServerException", "Message": "stand-in failure"}
                }
            if (
                not isinstance(body, dict)
                or set(body) - {"ProtectionEnabled", "ExpiresInMinutes"}
                or not isinstance(body.get("ProtectionEnabled"), bool)
            ):
                return 400, {
                    "error": {
                        "Code": "InvalidParameterException",
                        "Message": "UpdateTaskProtection: failed to decode request",
                    }
                }
            enabled = body["ProtectionEnabled"]
            protection = {"ProtectionEnabled": enabled, "TaskArn": TASK_ARN}
            if enabled:
                minutes = body.get("ExpiresInMinutes", 120)
                expires = datetime.now(UTC) + timedelta(minutes=minutes)
                protection["ExpirationDate"] = expires.isoformat().replace("+00:00", "Z")
            return 200, {"protection": protection}

    return Handler


class running_standin:
    def __enter__(self) -> AgentStandIn:
        self.state = AgentStandIn()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.state.url = f"http://127.0.0.1:{self.server.server_port}"
        return self.state

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
