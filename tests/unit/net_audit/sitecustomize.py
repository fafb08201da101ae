"""Loaded by every Python process started with this directory on PYTHONPATH: an audit hook (PEP 578)
that appends each attempt to resolve or reach a network peer to the file named by NET_AUDIT_LOG, one
JSON line each (pid, program, event, arguments). Nothing is blocked: the test reads the file."""

import json
import os
import sys

_LOG = os.environ.get("NET_AUDIT_LOG")
_EVENTS = {
    "socket.connect": lambda args: {"family": int(args[0].family), "address": repr(args[1])},
    "socket.sendto": lambda args: {"family": int(args[0].family), "address": repr(args[1])},
    "socket.sendmsg": lambda args: {"family": int(args[0].family), "address": repr(args[1])},
    "socket.getaddrinfo": lambda args: {"host": repr(args[0]), "port": repr(args[1])},
    "socket.gethostbyname": lambda args: {"host": repr(args[0])},
    "socket.gethostbyaddr": lambda args: {"host": repr(args[0])},
    "urllib.Request": lambda args: {"url": str(args[0])},
    "http.client.connect": lambda args: {"host": repr(args[1]), "port": repr(args[2])},
}


def _cmdline() -> str:
    try:
        with open(f"/proc/{os.getpid()}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return sys.executable


def _record(line: str) -> None:
    try:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass


def _hook(event, args):
    describe = _EVENTS.get(event)
    if describe is None or not _LOG:
        return
    try:
        detail = describe(args)
    except Exception as error:  # an event shape we did not foresee is still recorded
        detail = {"unparsed": repr(args), "error": repr(error)}
    _record(
        json.dumps({"pid": os.getpid(), "argv0": sys.argv[0] if sys.argv else "", "event": event, **detail})
    )


if _LOG:
    # sys.argv is not set yet while site runs: the start record names the executable and the command line.
    _record(json.dumps({"pid": os.getpid(), "event": "start", "cmdline": _cmdline()}))
    sys.addaudithook(_hook)
