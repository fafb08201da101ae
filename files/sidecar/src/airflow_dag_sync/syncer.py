"""One sync cycle: list, plan, guard, download (staged), commit.

A cycle moves the tree from one S3 snapshot to the next or leaves it untouched:
every download is staged in a temporary file first, and only when all of them succeeded
are deletions and renames applied (a few milliseconds of ``unlink``/``rename``). A failed
listing page, a failed download, a refused plan or SIGTERM leave the tree as it was.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime

from airflow_dag_sync.config import Config
from airflow_dag_sync.log import log
from airflow_dag_sync.s3 import Remote, error_code, is_auth_error, list_prefix
from airflow_dag_sync.tree import DestinationError, Entry, LocalTree, key_to_rel

CHUNK = 256 * 1024
_UTIME_FD = os.utime in os.supports_fd
GONE = "gone"
UNCHANGED = "unchanged"


class Stopped(Exception):
    """SIGTERM arrived (or the cycle was aborted): stop without touching the tree."""


class IncompleteDownload(IOError):
    """The body ended before Content-Length bytes arrived."""


@dataclass(slots=True)
class Staged:
    rel: str
    tmp: str
    etag: str
    size: int
    mtime_ns: int
    last_modified: float | None  # epoch seconds


@dataclass
class Plan:
    fetch: list[str]
    deletes: list[str]
    strays: list[str]
    tree_size: int


@dataclass
class CycleResult:
    """Everything the cycle's log line reports."""

    kind: str  # full | events
    result: str = "noop"  # ok | noop | refused | error | stopped
    added: int = 0
    changed: int = 0
    deleted: int = 0
    bytes: int = 0
    objects: int = 0
    s3_calls: int = 0
    list_pages: int = 0
    duration_s: float = 0.0
    cpu_s: float = 0.0
    lag_s: float | None = None
    pickup_s: float | None = None
    walked: bool = False
    strays: int = 0
    skipped: int = 0
    failed: int = 0
    refused: str | None = None
    error: str | None = None
    error_code: str | None = None
    auth_error: bool = field(default=False, repr=False)

    @property
    def changes(self) -> int:
        return self.added + self.changed + self.deleted

    @property
    def good(self) -> bool:
        """The cycle reached S3 and decided (applied or deliberately refused) a plan."""
        return self.result in ("ok", "noop", "refused")

    def fields(self) -> dict:
        data = asdict(self)
        data.pop("auth_error")
        for name in ("duration_s", "cpu_s", "lag_s", "pickup_s"):
            if data[name] is not None:
                data[name] = round(data[name], 3)
        return {k: v for k, v in data.items() if v is not None}


class Syncer:
    """Owns the manifest; the download pool only writes temporary files."""

    def __init__(self, config: Config, tree: LocalTree, s3, counter, stop: threading.Event):
        self.config = config
        self.tree = tree
        self.s3 = s3
        self.counter = counter
        self.stop = stop
        self.source = f"s3://{config.bucket}/{config.prefix}"
        self.manifest: dict[str, Entry] = tree.load_manifest(self.source)
        self.pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="download")
        self._abort = threading.Event()
        self.started = time.time()
        self.last_good_listing: float | None = None
        self.tree_size_at_full = len(self.manifest)
        self.event_deletes_since_full = 0
        self._skipped_seen: frozenset[str] = frozenset()
        self.list_page_size = 1000  # S3's maximum; tests lower it to exercise pagination

    def close(self) -> None:
        self._abort.set()
        self.pool.shutdown(wait=True, cancel_futures=True)

    @contextmanager
    def _measured(self, res: CycleResult):
        """Time a cycle (wall, CPU, S3 calls) and turn its failure into the result: a stop
        is ``stopped``, any other error ``error`` (the tree is kept); a lost destination
        propagates (the program exits 3)."""
        t0, c0, n0 = time.monotonic(), time.process_time(), self.counter.value
        try:
            yield
        except Stopped:
            res.result = "stopped"
        except DestinationError:
            raise
        except Exception as exc:
            self._failed(res, exc)
        finally:
            res.duration_s = time.monotonic() - t0
            res.cpu_s = time.process_time() - c0
            res.s3_calls = self.counter.value - n0

    # -- full cycle ---------------------------------------------------------------------
    def full_cycle(self, walk: bool = False) -> CycleResult:
        """List the prefix and bring the tree to it. ``walk`` also checks the local tree
        (missing, modified and stray files), as done at start and every reconcile interval."""
        res = CycleResult("full", walked=walk)
        listing_started = time.time()
        res.lag_s = listing_started - (self.last_good_listing or self.started)
        with self._measured(res):
            self.tree.check_quick()
            listing, res.list_pages = list_prefix(
                self.s3, self.config.bucket, self.config.prefix, self.list_page_size
            )
            remote = self._valid(listing)
            res.objects, res.skipped = len(remote), len(listing) - len(remote)
            local = self.tree.walk() if walk else None
            plan = self.plan(remote, local)
            res.strays = len(plan.strays)
            refusal = self.guard(remote, plan)
            if refusal:
                res.result, res.refused = "refused", refusal
                log(
                    "plan_refused",
                    level="error",
                    reason=refusal,
                    would_delete=len(plan.deletes),
                    would_fetch=len(plan.fetch),
                    tree_size=plan.tree_size,
                    listed=len(remote),
                    sample=sorted(plan.deletes)[:20],
                )
                return res
            if plan.strays and self.config.stray_policy == "keep":
                log("strays_kept", level="warning", count=len(plan.strays), sample=sorted(plan.strays)[:20])
            staged = self._fetch_all(plan.fetch, remote)
            self._commit(staged, plan.deletes, res, strays=set(plan.strays))
            self.tree_size_at_full = len(self.manifest)
            self.event_deletes_since_full = 0
            if res.result != "error":
                res.result = "ok" if res.changes else "noop"
                self.last_good_listing = listing_started
        return res

    def _valid(self, listing: dict[str, Remote]) -> dict[str, Remote]:
        """Drop keys that cannot be a path in the tree. Cheap when nothing new was listed."""
        manifest, known_bad = self.manifest, self._skipped_seen
        # Fast path for the usual cycle: no key is new and none disappeared, so every key
        # was validated when installed (or already skipped, e.g. a console folder marker).
        installed = sum(1 for rel in listing if rel in manifest)
        if installed == len(manifest) and installed + sum(1 for rel in known_bad if rel in listing) == len(
            listing
        ):
            return {rel: r for rel, r in listing.items() if rel not in known_bad} if known_bad else listing
        reserved = self.tree.reserved
        valid = {rel: r for rel, r in listing.items() if key_to_rel(rel, reserved) is not None}
        dirs = set()
        for rel in valid:
            head, _, _ = rel.rpartition("/")
            while head and head not in dirs:
                dirs.add(head)
                head, _, _ = head.rpartition("/")
        conflicts = [rel for rel in valid if rel in dirs]  # "a" and "a/b" cannot both be files
        for rel in conflicts:
            del valid[rel]
        skipped = frozenset(listing) - frozenset(valid)
        if skipped != self._skipped_seen:
            self._skipped_seen = skipped
            if skipped:
                log(
                    "keys_skipped",
                    level="warning",
                    count=len(skipped),
                    reason="folder marker, bad or reserved segment, or file/dir clash",
                    sample=sorted(skipped)[:20],
                )
        return valid

    def plan(self, remote: dict[str, Remote], local: dict[str, tuple[int, int]] | None) -> Plan:
        manifest = self.manifest
        fetch = []
        for rel, r in remote.items():
            entry = manifest.get(rel)
            if entry is None or entry.etag != r.etag or entry.size != r.size:
                fetch.append(rel)
            elif local is not None and local.get(rel) != (entry.size, entry.mtime_ns):
                fetch.append(rel)  # missing or modified locally
        deletes = [rel for rel in manifest if rel not in remote]
        strays: list[str] = []
        tree_size = len(manifest)
        if local is not None:
            strays = [rel for rel in local if rel not in manifest and rel not in remote]
            tree_size = len(manifest.keys() | local.keys())
            if self.config.stray_policy == "delete":
                deletes.extend(strays)
        return Plan(fetch, deletes, strays, tree_size)

    def guard(self, remote: dict[str, Remote], plan: Plan) -> str | None:
        """Why this plan must not be applied, or None."""
        if plan.tree_size == 0:
            return None
        if not remote:
            return "empty listing: the prefix has no objects but the tree has files"
        limit = self.config.max_delete_fraction * plan.tree_size
        if len(plan.deletes) > limit:
            share = len(plan.deletes) / plan.tree_size
            return (
                f"would delete {len(plan.deletes)} of {plan.tree_size} files ({share:.0%}),"
                f" more than DAG_SYNC_MAX_DELETE_FRACTION={self.config.max_delete_fraction}"
            )
        return None

    # -- event-driven partial sync ------------------------------------------------------------
    def sync_keys(self, rels: set[str]) -> CycleResult:
        """Bring only these keys up to date (event mode): GET each one conditionally;
        a key S3 no longer has is deleted locally, within the mass-delete guard."""
        res = CycleResult("events")
        reserved = self.tree.reserved
        with self._measured(res):
            wanted = sorted(rel for rel in rels if key_to_rel(rel, reserved) is not None)
            res.skipped = len(rels) - len(wanted)
            outcomes = self._fetch_all(wanted, None, conditional=True, keep_gone=True)
            staged = [o for o in outcomes if isinstance(o, Staged)]
            gone = [o.rel for o in outcomes if isinstance(o, _Gone)]
            deletes = [rel for rel in gone if rel in self.manifest or self.tree.stat(rel) is not None]
            limit = self.config.max_delete_fraction * max(self.tree_size_at_full, 1)
            if deletes and self.event_deletes_since_full + len(deletes) > limit:
                log(
                    "event_deletes_deferred",
                    level="warning",
                    count=len(deletes),
                    reason="beyond the mass-delete guard; the next full cycle decides",
                )
                deletes = []
            self.event_deletes_since_full += len(deletes)
            self._commit(staged, deletes, res, strays=set())
            if res.result != "error":
                res.result = "ok" if res.changes else "noop"
        return res

    # -- downloads ------------------------------------------------------------------------------
    def _fetch_all(self, rels, remote, conditional: bool = False, keep_gone: bool = False) -> list:
        """Stage every download; on any failure remove all staged files and raise."""
        if not rels:
            return []
        self._abort.clear()
        futures = [self.pool.submit(self._download, rel, conditional) for rel in rels]
        results, first_error = [], None
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:
                if first_error is None:
                    first_error = exc
                    self._abort.set()
        if first_error is None and self.stop.is_set():
            first_error = Stopped()
        if first_error is not None:
            for item in results:
                if isinstance(item, Staged):
                    _unlink_quiet(item.tmp)
            raise Stopped() if self.stop.is_set() else first_error
        out = []
        for item in results:
            if isinstance(item, Staged) or (keep_gone and isinstance(item, _Gone)):
                out.append(item)
        return out

    def _download(self, rel: str, conditional: bool):
        if self.stop.is_set() or self._abort.is_set():
            raise Stopped()
        params = {"Bucket": self.config.bucket, "Key": self.config.prefix + rel}
        entry = self.manifest.get(rel)
        if conditional and entry is not None:
            params["IfNoneMatch"] = entry.etag
        try:
            response = self.s3.get_object(**params)
        except Exception as exc:
            code = error_code(exc)
            if code in ("NoSuchKey", "404", "NotFound"):
                return _Gone(rel)
            if code in ("304", "NotModified"):
                return _Unchanged(rel)
            raise
        body = response["Body"]
        fd, tmp = self.tree.new_temp()
        written = 0
        try:
            try:
                # Unbuffered writes straight to the descriptor: most DAG files are one chunk,
                # so this is one read, one write, one futimens and one close per file.
                while True:
                    if self.stop.is_set() or self._abort.is_set():
                        raise Stopped()
                    chunk = body.read(CHUNK)
                    if not chunk:
                        break
                    _write_all(fd, chunk)
                    written += len(chunk)
                if self.config.fsync:
                    os.fsync(fd)
                expected = response.get("ContentLength")
                if expected is not None and written != expected:
                    raise IncompleteDownload(f"{rel}: got {written} of {expected} bytes")
                modified = response.get("LastModified")
                epoch = modified.timestamp() if isinstance(modified, datetime) else None
                # The file's mtime is when it arrived, not S3's LastModified (whole seconds, at the
                # upload): Airflow's dag-processor re-parses a file at once only when its mtime is
                # newer than the end of its last parse, which a parse of the old content that ended
                # between the upload and now would beat (the change then waited
                # min_file_process_interval, 30 s, in the e2e proof).
                mtime_ns = time.time_ns()
                os.utime(fd if _UTIME_FD else tmp, ns=(mtime_ns, mtime_ns))
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quiet(tmp)
            raise
        finally:
            body.close()
        return Staged(rel, tmp, response.get("ETag", ""), written, mtime_ns, epoch)

    # -- commit -------------------------------------------------------------------------------
    def _commit(self, staged: list[Staged], deletes: list[str], res: CycleResult, strays: set[str]) -> None:
        """Apply deletions then renames; per-file filesystem errors are logged and retried next
        cycle, a vanished or read-only destination raises DestinationError."""
        if not staged and not deletes:
            return
        manifest = self.manifest
        now = time.time()
        # Pickup latency only for objects put since the previous good listing (not for the
        # first sync, nor for old objects fetched again because the local copy was damaged).
        since = (self.last_good_listing - 2.0) if self.last_good_listing is not None else float("inf")
        failures: list[tuple[str, str, str]] = []
        try:
            for rel in deletes:
                try:
                    self.tree.remove(rel)
                except OSError as exc:
                    failures.append(("delete", rel, str(exc)))
                    continue
                manifest.pop(rel, None)
                res.deleted += 1
            for item in staged:
                existed = item.rel in manifest or item.rel in strays
                try:
                    installed = self.tree.install(item.tmp, item.rel)
                except OSError as exc:
                    _unlink_quiet(item.tmp)
                    failures.append(("install", item.rel, str(exc)))
                    continue
                if not installed:
                    manifest.pop(item.rel, None)
                    failures.append(("install", item.rel, "a directory or file is in the way"))
                    continue
                manifest[item.rel] = Entry(item.etag, item.size, item.mtime_ns)
                if existed:
                    res.changed += 1
                else:
                    res.added += 1
                res.bytes += item.size
                if item.last_modified is not None and item.last_modified >= since:
                    pickup = max(0.0, now - item.last_modified)
                    res.pickup_s = pickup if res.pickup_s is None else max(res.pickup_s, pickup)
        finally:
            for item in staged:
                _unlink_quiet(item.tmp)  # no-op for installed ones
            self.tree.save_manifest(self.source, manifest)
        if failures:
            self.tree.check()  # raises DestinationError if the mount went away
            res.failed = len(failures)
            res.result = "error"
            res.error = f"{len(failures)} file(s) could not be updated; retried next cycle"
            log(
                "files_failed",
                level="error",
                count=len(failures),
                sample=[{"op": op, "path": rel, "error": err} for op, rel, err in failures[:20]],
            )

    def _failed(self, res: CycleResult, exc: BaseException) -> None:
        if isinstance(exc, OSError) and not error_code(exc):
            self.tree.check()  # a missing/unwritable destination is fatal, not retried
        res.result = "error"
        res.error = f"{type(exc).__name__}: {exc}"[:500]
        res.error_code = error_code(exc)
        res.auth_error = is_auth_error(exc)


@dataclass(frozen=True, slots=True)
class _Gone:
    rel: str


@dataclass(frozen=True, slots=True)
class _Unchanged:
    rel: str


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _unlink_quiet(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
