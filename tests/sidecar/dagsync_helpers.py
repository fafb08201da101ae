"""Helpers for the DAG sync tests (kept out of conftest.py so tests can import them)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "files" / "sidecar" / "src"
sys.path.insert(0, str(SRC))

from local_aws.server import fetch_calls  # noqa: E402

DUMMY = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@dataclass
class Rule:
    method: str | None
    path: re.Pattern | None
    query: str | None
    status: int = 500
    code: str = "InternalError"
    slow: float | None = None  # seconds per 64 KiB chunk instead of an error
    hits: int = 0

    def matches(self, environ) -> bool:
        if self.method and environ.get("REQUEST_METHOD") != self.method:
            return False
        if self.path and not self.path.search(environ.get("PATH_INFO", "")):
            return False
        return not (self.query and self.query not in environ.get("QUERY_STRING", ""))


@dataclass
class Faults:
    """WSGI middleware in front of the emulator: fail or slow down matching requests."""

    app: object
    rules: list[Rule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method=None, path=None, query=None, status=500, code="InternalError", slow=None) -> Rule:
        rule = Rule(method, re.compile(path) if path else None, query, status, code, slow)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def __call__(self, environ, start_response):
        with self.lock:
            rule = next((r for r in self.rules if r.matches(environ)), None)
            if rule:
                rule.hits += 1
        if rule is None:
            return self.app(environ, start_response)
        if rule.slow is None:
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{rule.code}</Code>'
                f"<Message>injected by the test</Message><RequestId>test</RequestId></Error>"
            ).encode()
            start_response(
                f"{rule.status} Injected",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return _trickle(self.app(environ, start_response), rule.slow)


def _trickle(chunks, delay: float):
    for chunk in chunks:
        for start in range(0, len(chunk), 65536):
            yield chunk[start : start + 65536]
            time.sleep(delay)


@dataclass
class S3Env:
    url: str
    faults: Faults
    bucket: str
    s3: object

    def calls(self) -> list[dict]:
        return fetch_calls(self.url)

    def reset_calls(self) -> None:
        fetch_calls(self.url, reset=True)

    def put(self, key: str, body: bytes) -> dict:
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def env(self, dest: Path, **extra) -> dict:
        """Environment for ``python -m airflow_dag_sync`` against this emulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DAG_SYNC_"))}
        env.update(DUMMY)
        env.update(
            AWS_ENDPOINT_URL=self.url,
            PYTHONPATH=str(SRC),
            DAGS_BUCKET=self.bucket,
            ENV="dev",
            DAG_SYNC_DEST=str(dest),
            DAG_SYNC_HEALTH_FILE=str(dest.parent / "health"),
            DAG_SYNC_INTERVAL="0.2",
            DAG_SYNC_JITTER="0",
            DAG_SYNC_BACKOFF_MIN="0.2",
            DAG_SYNC_BACKOFF_MAX="0.3",
        )
        env.update({k: str(v) for k, v in extra.items()})
        return env


def make_syncer(s3env: S3Env, dest: Path, **env):
    """The real Syncer wired as the program wires it, for in-process cycle tests."""
    from airflow_dag_sync.config import Config
    from airflow_dag_sync.s3 import make_clients
    from airflow_dag_sync.syncer import Syncer
    from airflow_dag_sync.tree import LocalTree

    config = Config.from_env(s3env.env(dest, **env))
    tree = LocalTree(config.dest, config.state_dir, fsync=config.fsync)
    tree.check()
    s3, counter, _ = make_clients(config.workers)
    return Syncer(config, tree, s3, counter, threading.Event())


def local_files(dest: Path) -> dict[str, bytes]:
    """Every file of the tree (state directory excluded): rel -> content."""
    out = {}
    for path in dest.rglob("*"):
        rel = path.relative_to(dest).as_posix()
        if rel.split("/")[0] == ".dag-sync" or not path.is_file():
            continue
        out[rel] = path.read_bytes()
    return out


def tmp_files(dest: Path) -> list[Path]:
    return sorted((dest / ".dag-sync" / "tmp").glob("*.part"))


class Program:
    """``python -m airflow_dag_sync`` in a subprocess; its JSON lines are collected."""

    def __init__(self, env: dict, args: tuple[str, ...] = ()):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airflow_dag_sync", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"event": "non-json", "line": line}
            with self._lock:
                self.lines.append(record)

    def events(self, name: str) -> list[dict]:
        with self._lock:
            return [r for r in self.lines if r.get("event") == name]

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None and not predicate():
                self._reader.join(timeout=5)
                value = predicate()
                if value:
                    return value
                raise AssertionError(
                    f"program exited {self.proc.returncode} before {what}: {self.lines[-5:]}"
                )
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; last lines: {self.lines[-5:]}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
