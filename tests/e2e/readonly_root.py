"""Run a command the way a container with ``readonlyRootFilesystem`` runs: every file system read-only
but the task's writable mounts. Used by the e2e proof inside a mount namespace of its own:

    unshare --mount --propagation private [--uts] python readonly_root.py \
        [--hostname NAME] [--bind SOURCE:TARGET ...] -- COMMAND ARGS...

Each ``--bind`` mounts SOURCE at TARGET read-write (a task-scoped volume, or the DAG sync's EFS mount
onto itself); then every other mount of the namespace is remounted read-only, except the kernel's
/proc, /sys and /dev (a container has those too); a write is tried to prove it; then COMMAND replaces
this process (same pid: health checks enter its namespace with ``nsenter -t <pid>``). The changes
are private to the namespace: the rest of the machine keeps its writable file systems.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

KERNEL = ("/proc", "/sys", "/dev")


def mount_points() -> list[str]:
    """Every mount point of this namespace, parents first (field 5 of mountinfo, octal-escaped)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        points.append(point.encode().decode("unicode_escape"))
    return points


def _under(path: str, roots) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hostname")
    parser.add_argument("--bind", action="append", default=[], metavar="SOURCE:TARGET")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    if args.hostname:
        socket.sethostname(args.hostname)
    targets = []
    for pair in args.bind:
        source, _, target = pair.partition(":")
        subprocess.run(["mount", "--bind", source, target], check=True)
        targets.append(os.path.realpath(target))
    for point in mount_points():
        if _under(point, KERNEL) or _under(point, targets):
            continue
        subprocess.run(["mount", "-o", "remount,bind,ro", point], check=True)
    probe = Path(os.getcwd()) / ".readonly-root-probe"
    try:
        probe.write_text("")
    except OSError as exc:
        assert exc.errno == errno.EROFS, exc
    else:
        probe.unlink()
        raise SystemExit(f"readonly_root: {probe} is writable")
    for target in targets:  # and the writable mounts are
        with tempfile.TemporaryFile(dir=target):
            pass
    sys.stdout.flush()
    os.execvp(command[0], command)  # noqa: S606 - the container's own argv, as given
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
