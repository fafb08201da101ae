"""Run the emulator in the foreground: ``python -m local_aws [--port N] [--url-file F]``.

It listens on 127.0.0.1 only, writes its URL to ``--url-file`` once it accepts
connections, and stops on SIGTERM or SIGINT. Faults (throttling, a stop after the N-th write)
are injected as the ``LOCAL_AWS_THROTTLE_*`` / ``LOCAL_AWS_STOP_*`` variables say, or later
through ``/_local_aws/faults`` (see ``local_aws/extensions/faults.py``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from local_aws.server import start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_aws", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--url-file", type=Path, help="write the emulator's URL here when ready")
    args = parser.parse_args(argv)

    emulator = start(args.port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.url_file:
        args.url_file.write_text(emulator.url + "\n")
    print(f"local AWS emulator listening on {emulator.url}", flush=True)
    stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
