"""Count the AWS API calls an emulator answers, by service and action.

The WSGI middleware records one entry per request. ``/_local_aws/calls`` returns the
record as JSON (GET), or returns and clears it (DELETE). A call is a *write* unless its action reads
(Describe*, List*, Get*, Head*, or a GET/HEAD on a REST API).
"""

from __future__ import annotations

import io
import json
import re
import threading
from urllib.parse import parse_qs

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Search")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
CONTROL_PREFIX = "/_local_aws/"
CONTROL_PATH = CONTROL_PREFIX + "calls"


def is_write(action: str) -> bool:
    """True when an action changes state in the account.

    Query and JSON protocols name the action; REST protocols (S3, EFS) are recorded as
    ``"<METHOD> <first path segment>"`` and write unless the method is GET or HEAD.
    """
    method, _, rest = action.partition(" ")
    if rest:
        return method not in ("GET", "HEAD")
    return not action.startswith(READ_PREFIXES)


def _service(environ: dict) -> str:
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "unsigned"


def _action(environ: dict, body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    path = environ.get("PATH_INFO", "/")
    return f"{environ.get('REQUEST_METHOD', 'GET')} {path.split('/')[1] if path != '/' else '/'}"


ENVIRON_KEY = "local_aws.call"


def read_body(environ: dict) -> bytes:
    """The request body, buffered so that the next reader gets it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def describe(environ: dict) -> dict:
    """The request's record entry (service, action, write), kept in ``environ`` so that inner
    layers (fault injection) read and annotate the same entry. Buffers the body once."""
    if ENVIRON_KEY not in environ:
        action = _action(environ, read_body(environ))
        environ[ENVIRON_KEY] = {"service": _service(environ), "action": action, "write": is_write(action)}
    return environ[ENVIRON_KEY]


class CallCounter:
    """WSGI middleware that records (service, action, write) for every request; a request answered
    by fault injection (``local_aws/extensions/faults.py``) carries ``fault`` too."""

    def __init__(self, app):
        self.app = app
        self.calls: list[dict] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH:
            return self._control(environ, start_response)
        if path.startswith(CONTROL_PREFIX):  # the emulator's other controls are no AWS call
            return self.app(environ, start_response)
        entry = describe(environ)
        with self._lock:
            self.calls.append(entry)
        return self.app(environ, start_response)

    def _control(self, environ, start_response):
        """GET: the record. DELETE: the record, then cleared."""
        with self._lock:
            payload = json.dumps(self.calls).encode()
            if environ.get("REQUEST_METHOD") == "DELETE":
                self.calls.clear()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload]
