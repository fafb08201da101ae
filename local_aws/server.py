"""Start and stop the local AWS emulator (moto server + our extensions) on loopback."""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from dataclasses import asdict, dataclass, field

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

    def set_faults(self, **config) -> dict:
        """Inject faults from now on (``local_aws/extensions/faults.py``: throttle_rate,
        throttle_services, seed, stop_after_writes, stop_mode, stop_on); counters start again."""
        return control_faults(self.url, "PUT", config)

    def faults(self) -> dict:
        """The fault config and its counters (requests seen and throttled per service, writes...)."""
        return control_faults(self.url, "GET")

    def clear_faults(self) -> dict:
        """Turn fault injection off; returns the counters as they were."""
        return control_faults(self.url, "DELETE")

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


def control_faults(url: str, method: str, config: dict | None = None) -> dict:
    """PUT (configure), GET (read) or DELETE (turn off) the fault injection of the emulator at ``url``."""
    data = json.dumps(config).encode() if config is not None else None
    request = urllib.request.Request(url.rstrip("/") + "/_local_aws/faults", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def fetch_auth_tokens(url: str) -> dict[str, list[str]]:
    """Per ElastiCache replication group, the SHA-256 digests of the AUTH tokens it accepts (oldest first)."""
    address = url.rstrip("/") + "/_local_aws/elasticache/auth-tokens"
    with urllib.request.urlopen(address, timeout=10) as response:
        return json.loads(response.read())


def build_app():
    """moto's WSGI application with our extensions applied and every call counted."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from local_aws import extensions
    from local_aws.calls import CallCounter

    extensions.apply()
    return CallCounter(DomainDispatcherApplication(create_backend_app))


def start(port: int = 0, faults: dict | None = None) -> Emulator:
    """Serve the emulator on 127.0.0.1 (a free port unless one is given), injecting ``faults``
    (Emulator.set_faults) or, without them, those the ``LOCAL_AWS_*`` environment variables set."""
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
    if faults is None:
        from local_aws.extensions.faults import FaultConfig

        configured = FaultConfig.from_env()
        faults = asdict(configured) if configured else None
    if faults:
        emulator.set_faults(**faults)
    return emulator


def reset_state(url: str) -> None:
    """Forget every resource. moto keeps its accounts in module globals, so an emulator
    started in a process that ran one before would otherwise inherit that one's account."""
    request = urllib.request.Request(url.rstrip("/") + "/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass
    fetch_calls(url, reset=True)
    control_faults(url, "DELETE")  # fault state is per process too
