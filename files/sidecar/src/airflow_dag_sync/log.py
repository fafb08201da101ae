"""One JSON object per line on stdout (the awslogs driver ships it to CloudWatch Logs)."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime

_lock = threading.Lock()


def log(event: str, level: str = "info", **fields) -> None:
    """Write ``{"ts", "level", "event", **fields}`` as one line, flushed at once."""
    record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": level, "event": event}
    record.update(fields)
    line = json.dumps(record, ensure_ascii=False, default=str)
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
