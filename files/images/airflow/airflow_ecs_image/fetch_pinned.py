"""Build step: download a file and keep it only if its SHA-256 is the pinned one.

``python -m airflow_ecs_image.fetch_pinned <url> <sha256> <destination>`` - the Dockerfile fetches
the RDS CA bundle with it (``RDS_CA_BUNDLE_SHA256`` build argument). An empty or wrong pin fails the
build with the checksum it saw, so a changed bundle is reviewed before it is trusted. Standard
library only (the build stage has no curl).
"""

from __future__ import annotations

import hashlib
import re
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PinError(Exception):
    """The pin is missing or the download does not match it."""


def fetch(url: str, sha256: str, destination: Path, timeout: float = 60) -> str:
    """Download ``url`` to ``destination`` if its SHA-256 is ``sha256``; returns the digest."""
    pin = sha256.strip().lower()
    if not SHA256.match(pin):
        raise PinError(f"no SHA-256 pinned for {url} (got {sha256!r}): pass the reviewed checksum")
    if not url.startswith(("https://", "file://")):
        raise PinError(f"refusing {url}: https only")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https or a local file
        body = response.read()
    seen = hashlib.sha256(body).hexdigest()
    if seen != pin:
        raise PinError(f"{url} has SHA-256 {seen}, not the pinned {pin}: review the new file, then re-pin")
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(body)
    return seen


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m airflow_ecs_image.fetch_pinned <url> <sha256> <destination>", file=sys.stderr)
        return 2
    try:
        fetch(args[0], args[1], Path(args[2]))
    except PinError as exc:
        print(f"fetch_pinned: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
