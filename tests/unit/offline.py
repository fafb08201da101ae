"""Offline proofs: a network namespace with only loopback (unshare -n) and an audit hook
(net_audit/sitecustomize.py) in every Python process started, recording every attempt to resolve or
reach anything but loopback or a unix socket."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK_DIR = Path(__file__).resolve().parent / "net_audit"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
AF_UNIX = 1


def isolated() -> list[str]:
    """The command prefix for a namespace with only loopback (up), or skip saying why not."""
    if os.geteuid() != 0:
        pytest.skip(f"unshare -n needs root here (euid {os.geteuid()}); the no-network proof cannot run")
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("unshare or ip (util-linux, iproute2) is missing; the no-network proof cannot run")
    return ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "isolated"]


def _unquote(text: str | None) -> str | None:
    return None if text in (None, "None") else text.strip("'\"b")


def _is_loopback(host: str | None) -> bool:
    if host is None or host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def reaching_out(record: dict) -> bool:
    """Whether one audit record is an attempt to resolve or reach something other than loopback."""
    event = record["event"]
    if event == "start":
        return False
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        if record.get("family") == AF_UNIX:
            return False
        address = record.get("address", "")
        host = address.strip("()").split(",")[0] if address.startswith("(") else address
        return not _is_loopback(_unquote(host))
    if event == "urllib.Request":
        from urllib.parse import urlsplit

        return not _is_loopback(urlsplit(record["url"]).hostname)
    if "host" in record:
        return not _is_loopback(_unquote(record["host"]))
    return True  # an event shape not parsed: count it


def audited_env(log: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(HOOK_DIR), NET_AUDIT_LOG=str(log))
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return env


def records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
