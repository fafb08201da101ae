"""Fixtures for the DAG sync program tests (helpers live in dagsync_helpers.py)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import boto3
import pytest
from dagsync_helpers import DUMMY, Faults, Program, S3Env

from local_aws.server import LOOPBACK, build_app


@pytest.fixture
def s3env(monkeypatch):
    """The emulator's app behind ``Faults`` on a free loopback port, one fresh bucket."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args, **kwargs) -> None:
            return None

    faults = Faults(build_app())
    server = make_server(LOOPBACK, 0, faults, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://{LOOPBACK}:{server.server_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    for name, value in DUMMY.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    s3 = boto3.client("s3", endpoint_url=url)
    bucket = f"dags-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    yield S3Env(url, faults, bucket, s3)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def dest(tmp_path) -> Path:
    path = tmp_path / "dags"
    path.mkdir()
    return path


@pytest.fixture
def program():
    started: list[Program] = []

    def _start(env: dict, *args: str) -> Program:
        prog = Program(env, args)
        started.append(prog)
        return prog

    yield _start
    for prog in started:
        prog.stop()
