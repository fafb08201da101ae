"""Start and stop the local AWS emulator (moto server + our extensions) on loopback."""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from dataclasses import dataclass, field

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# AMIs are never used here and loading them makes every fresh EC2 region take ~1 s.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

LOOPBACK = "127.0.0.1"


@dataclass
class Emulator:
    """A running emulator: its URL and the means to read its call record and stop it."""

    url: str
    _server: object = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def calls(self) -> list[dict]:
        """Every API call answered since the last reset, oldest first."""
        return fetch_calls(self.url)

    def reset_calls(self) -> None:
        fetch_calls(self.url, reset=True)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def fetch_calls(url: str, reset: bool = False) -> list[dict]:
    """Read the call record of the emulator listening at ``url`` (and clear it, with reset)."""
    request = urllib.request.Request(
        url.rstrip("/") + "/_local_aws/calls", method="DELETE" if reset else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def build_app():
    """moto's WSGI application with our extensions applied and every call counted."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from local_aws import extensions
    from local_aws.calls import CallCounter

    extensions.apply()
    return CallCounter(DomainDispatcherApplication(create_backend_app))


def start(port: int = 0) -> Emulator:
    """Serve the emulator on 127.0.0.1 (a free port unless one is given)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args, **kwargs) -> None:  # one line per call is noise here
            return None

    server = make_server(LOOPBACK, port, build_app(), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="local-aws", daemon=True)
    thread.start()
    emulator = Emulator(url=f"http://{LOOPBACK}:{server.server_port}", _server=server, _thread=thread)
    reset_state(emulator.url)
    return emulator


def reset_state(url: str) -> None:
    """Forget every resource. moto keeps its accounts in module globals, so an emulator
    started in a process that ran one before would otherwise inherit that one's account."""
    request = urllib.request.Request(url.rstrip("/") + "/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass
    fetch_calls(url, reset=True)
