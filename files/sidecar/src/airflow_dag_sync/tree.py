"""The local tree: key -> path mapping, the manifest, staging files and installing them.

Every download is written to a temporary file in ``<state dir>/tmp`` (same filesystem as the
tree, checked at start) and only ``os.replace``d into the tree once complete, so a reader
opening a path sees either the old file or the new one, never a partial one.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import shutil
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

MANIFEST_VERSION = 1
TMP_SUFFIX = ".part"
MAX_NAME_BYTES = 255


class DestinationError(RuntimeError):
    """The destination is missing, not a directory, or not writable (exit 3)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the manifest knows about one installed file."""

    etag: str
    size: int
    mtime_ns: int


def key_to_rel(rel: str, reserved: str | None) -> str | None:
    """Validate a key (relative to the prefix) as a path inside the tree; None to skip it.

    Skipped: folder markers (``a/``), empty, ``.`` or ``..`` segments, NUL, names longer
    than the filesystem allows, and anything under the reserved state directory.
    """
    if not rel or rel.endswith("/") or "\x00" in rel:
        return None
    parts = rel.split("/")
    for part in parts:
        if part in ("", ".", "..") or len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            return None
    if reserved is not None and parts[0] == reserved:
        return None
    return rel


class LocalTree:
    """The destination directory plus the program's own state directory inside it."""

    def __init__(self, dest: Path, state_dir: Path, fsync: bool = False):
        self.dest = dest
        self.state_dir = state_dir
        self.tmp_dir = state_dir / "tmp"
        self.manifest_path = state_dir / "manifest.json"
        self.fsync = fsync
        # Temporary names: a random per-process part (two programs on one tree, or a restarted
        # one with the same pid, never collide) and a counter (no getrandom call per file).
        self._tmp_prefix = uuid.uuid4().hex[:16]
        self._tmp_counter = itertools.count()
        # The state directory's name is reserved when it sits at the top of the tree.
        try:
            rel = state_dir.relative_to(dest)
            self.reserved = rel.parts[0] if rel.parts else None
        except ValueError:
            self.reserved = None

    # -- checks -----------------------------------------------------------------------
    def check(self) -> None:
        """Raise DestinationError unless the tree exists, is a directory and is writable."""
        if not self.dest.is_dir():
            raise DestinationError(f"destination {self.dest} does not exist or is not a directory")
        try:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            probe = self.tmp_dir / f"probe-{uuid.uuid4().hex}{TMP_SUFFIX}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise DestinationError(f"destination {self.dest} is not writable: {exc}") from exc
        if os.stat(self.tmp_dir).st_dev != os.stat(self.dest).st_dev:
            raise DestinationError(
                f"state directory {self.state_dir} is not on the destination's filesystem:"
                " renames into the tree would not be atomic"
            )

    def check_quick(self) -> None:
        """Two stats per cycle: a vanished mount is noticed even when nothing changes."""
        if not (os.path.isdir(self.dest) and os.path.isdir(self.tmp_dir)):
            self.check()

    def clean_tmp(self) -> int:
        """Remove temporary files left by a killed process; returns how many."""
        removed = 0
        with os.scandir(self.tmp_dir) as entries:
            for entry in entries:
                if entry.name.endswith(TMP_SUFFIX):
                    try:
                        os.unlink(entry.path)
                        removed += 1
                    except FileNotFoundError:
                        pass
        return removed

    # -- manifest ---------------------------------------------------------------------
    def load_manifest(self, source: str) -> dict[str, Entry]:
        """The manifest written for ``source`` (s3://bucket/prefix/), or {} if none/foreign."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        if data.get("version") != MANIFEST_VERSION or data.get("source") != source:
            return {}
        return {rel: Entry(*value) for rel, value in data.get("files", {}).items()}

    def save_manifest(self, source: str, manifest: dict[str, Entry]) -> None:
        payload = {
            "version": MANIFEST_VERSION,
            "source": source,
            "files": {rel: [e.etag, e.size, e.mtime_ns] for rel, e in manifest.items()},
        }
        tmp = self.tmp_dir / f"manifest-{uuid.uuid4().hex}{TMP_SUFFIX}"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
            if self.fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, self.manifest_path)

    # -- staging and installing ---------------------------------------------------------
    def new_temp(self) -> tuple[int, str]:
        """An exclusive new temporary file (mode 0644 minus umask) in the state directory."""
        path = os.path.join(self.tmp_dir, f"{self._tmp_prefix}-{next(self._tmp_counter)}{TMP_SUFFIX}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
        return fd, path

    def path_of(self, rel: str) -> str:
        return os.path.join(self.dest, rel)

    def install(self, tmp: str, rel: str) -> bool:
        """Rename a complete temporary file into place. False on a file/directory conflict."""
        target = self.path_of(rel)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(tmp, target)
        except (IsADirectoryError, NotADirectoryError, FileExistsError):
            _unlink_quiet(tmp)
            return False
        except OSError as exc:
            if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.ENOTEMPTY):
                _unlink_quiet(tmp)
                return False
            raise
        return True

    def remove(self, rel: str) -> None:
        """Delete a file (or a stray symlink/directory) and prune parents left empty."""
        target = self.path_of(rel)
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None:
            if stat.S_ISDIR(mode):
                shutil.rmtree(target)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
        parent = os.path.dirname(rel)
        while parent:
            try:
                os.rmdir(self.path_of(parent))
            except OSError:
                break
            parent = os.path.dirname(parent)

    def stat(self, rel: str) -> os.stat_result | None:
        try:
            return os.lstat(self.path_of(rel))
        except (FileNotFoundError, NotADirectoryError):
            return None

    # -- walking ------------------------------------------------------------------------
    def walk(self) -> dict[str, tuple[int, int]]:
        """Every non-directory entry of the tree (state directory excluded): rel -> (size, mtime_ns).

        Symlinks are reported (as strays if unknown) but never followed.
        """
        found: dict[str, tuple[int, int]] = {}
        stack = [""]
        state = os.path.realpath(self.state_dir)
        while stack:
            rel_dir = stack.pop()
            try:
                iterator = os.scandir(self.path_of(rel_dir) if rel_dir else self.dest)
            except (FileNotFoundError, NotADirectoryError):
                continue
            with iterator as entries:
                for entry in entries:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    if entry.is_dir(follow_symlinks=False):
                        if os.path.realpath(entry.path) == state:
                            continue
                        stack.append(rel)
                        continue
                    info = entry.stat(follow_symlinks=False)
                    found[rel] = (info.st_size, info.st_mtime_ns)
        return found


def _unlink_quiet(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
