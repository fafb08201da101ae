"""``airflow-dag-sync``: the resident loop, signals and exit codes.

Exit codes: 0 stopped by SIGTERM/SIGINT (or ``--once`` succeeded), 1 invalid configuration
(or ``--once`` failed), 2 invalid credentials (after DAG_SYNC_AUTH_FAILURES_BEFORE_EXIT
consecutive cycles), 3 destination missing or not writable.
"""

from __future__ import annotations

import argparse
import queue
import random
import signal
import sys
import threading
import time

from airflow_dag_sync import __version__
from airflow_dag_sync.config import Config, ConfigError
from airflow_dag_sync.log import log

EXIT_OK, EXIT_CONFIG, EXIT_AUTH, EXIT_DEST = 0, 1, 2, 3
_SENTINEL = object()
_random = random.SystemRandom()


class Cadence:
    """Delay from one cycle's start to the next: interval + U(0, jitter); after ``backoff_after``
    consecutive no-op cycles U(backoff_min, backoff_max); any change resets it. Failed
    or refused cycles retry at the base cadence without touching the no-op count."""

    def __init__(self, config: Config):
        self.config = config
        self.noop_streak = 0

    def next_delay(self, result: str) -> float:
        c = self.config
        if result == "ok":
            self.noop_streak = 0
        elif result == "noop":
            self.noop_streak += 1
            if self.noop_streak >= c.backoff_after:
                return _random.uniform(c.backoff_min, c.backoff_max)
        return c.interval + _random.uniform(0.0, c.jitter)


class Runner:
    def __init__(self, config: Config, stop: threading.Event):
        from airflow_dag_sync.metrics import MetricsPublisher
        from airflow_dag_sync.s3 import make_clients
        from airflow_dag_sync.syncer import Syncer
        from airflow_dag_sync.tree import LocalTree

        self.config = config
        self.stop = stop
        self.tree = LocalTree(config.dest, config.state_dir, fsync=config.fsync)
        self.tree.check()
        leftovers = self.tree.clean_tmp()
        s3, counter, session = make_clients(config.workers)
        self.session = session
        self.syncer = Syncer(config, self.tree, s3, counter, stop)
        self.metrics = MetricsPublisher(session, config.metric_namespace, config.environment, config.metrics)
        self.auth_failures = 0
        self.cadence = Cadence(config)
        self.events: queue.Queue = queue.Queue()
        log(
            "started",
            version=__version__,
            source=self.syncer.source,
            dest=str(config.dest),
            mode="event" if config.event_mode else "poll",
            manifest_files=len(self.syncer.manifest),
            tmp_files_removed=leftovers,
        )

    def wake(self) -> None:
        self.events.put(_SENTINEL)

    # -- one cycle + bookkeeping ----------------------------------------------------------
    def _after(self, res, lag_override: float | None = None) -> int | None:
        """Log, publish, touch health; an exit code when the program must stop."""
        from airflow_dag_sync.health import touch

        if lag_override is not None:
            res.lag_s = lag_override
        log("cycle", **res.fields())
        if res.result != "stopped":
            self.metrics.publish(res.lag_s, res.pickup_s)
        if res.good:
            try:
                touch(self.config.health_file, {"result": res.result, "kind": res.kind, "ts": time.time()})
            except OSError as exc:
                log("health_file_failed", level="warning", error=str(exc))
        if res.auth_error:
            self.auth_failures += 1
            if self.auth_failures >= self.config.auth_failures_before_exit:
                log(
                    "exit",
                    level="error",
                    code=EXIT_AUTH,
                    reason=f"invalid credentials on {self.auth_failures} consecutive attempts",
                    error=res.error,
                )
                return EXIT_AUTH
        elif res.result != "stopped":
            self.auth_failures = 0
        return None

    def _sleep_after(self, res) -> float:
        return self.cadence.next_delay(res.result)

    # -- poll mode -------------------------------------------------------------------------
    def run(self, once: bool = False) -> int:
        from airflow_dag_sync.tree import DestinationError

        try:
            if self.config.event_mode and not once:
                return self._run_events()
            last_walk = None
            while not self.stop.is_set():
                walk = last_walk is None or time.monotonic() - last_walk >= self.config.reconcile_interval
                started = time.monotonic()
                res = self.syncer.full_cycle(walk=walk)
                if walk and res.good:
                    last_walk = started
                code = self._after(res)
                if code is not None:
                    return code
                if once:
                    return EXIT_OK if res.good and res.result != "refused" else EXIT_CONFIG
                if res.result == "stopped":
                    break
                # The cadence runs start to start: a slow listing does not stretch the period.
                delay = self._sleep_after(res) - (time.monotonic() - started)
                self.stop.wait(max(delay, 0.0))
            return EXIT_OK
        except DestinationError as exc:
            log("exit", level="error", code=EXIT_DEST, reason=str(exc))
            return EXIT_DEST
        finally:
            self.close()

    # -- event mode ------------------------------------------------------------------------
    def _run_events(self) -> int:
        from airflow_dag_sync.events import Poller, parse_message

        c = self.config
        sqs = self.session.client("sqs")
        poller = Poller(sqs, c.queue_url, c.sqs_wait, self.stop, self.events)
        in_sync = False  # the last full cycle and every batch since were applied
        next_full = 0.0
        poller_started = False
        while not self.stop.is_set():
            if time.monotonic() >= next_full:
                res = self.syncer.full_cycle(walk=True)
                in_sync = res.good and res.result != "refused"
                code = self._after(res, lag_override=self._event_lag(res.lag_s, poller, in_sync))
                if code is not None:
                    return code
                if res.result == "stopped":
                    break
                next_full = time.monotonic() + (c.reconcile_interval if res.good else self._sleep_after(res))
                if not poller_started:
                    poller.start()
                    poller_started = True
                continue
            try:
                item = self.events.get(timeout=max(0.0, next_full - time.monotonic()))
            except queue.Empty:
                continue
            if item is _SENTINEL:
                break
            batches = [item]
            while True:  # drain whatever else is waiting: one sync for all of it
                try:
                    more = self.events.get_nowait()
                except queue.Empty:
                    break
                if more is _SENTINEL:
                    self.stop.set()
                    break
                batches.append(more)
            messages = [m for _, batch in batches for m in batch]
            rels: set[str] = set()
            times: list[float] = []
            unknown = 0
            for message in messages:
                parsed = parse_message(message.get("Body", ""), c.bucket, c.prefix)
                if parsed is None:
                    unknown += 1
                    continue
                rels |= parsed[0]
                times += parsed[1]
            if unknown:
                log(
                    "queue_messages_ignored",
                    level="warning",
                    count=unknown,
                    reason="not an S3 event notification",
                )
            if rels:
                res = self.syncer.sync_keys(rels)
                if res.result == "stopped":
                    break
                lag = (time.time() - min(times)) if times else None
                code = self._after(res, lag_override=lag)
                if code is not None:
                    return code
                if not res.good:
                    in_sync = False
                    next_full = min(next_full, time.monotonic() + c.interval)
                    continue  # messages come back after their visibility timeout
            poller.delete(messages)
        return EXIT_OK

    def _event_lag(self, lag_s: float | None, poller, in_sync: bool) -> float | None:
        if not in_sync or poller.last_empty_poll_started is None:
            return lag_s
        return min(lag_s or 0.0, max(0.0, time.time() - poller.last_empty_poll_started))

    def close(self) -> None:
        self.syncer.close()
        self.metrics.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="airflow-dag-sync",
        description="Keep a local directory equal to s3://$DAGS_BUCKET/$ENV/ (see README).",
    )
    parser.add_argument(
        "--once", action="store_true", help="run one full cycle and exit (0 good, else 1/2/3)"
    )
    parser.add_argument(
        "--health", action="store_true", help="container health check: is the health file fresh?"
    )
    parser.add_argument("--version", action="version", version=__version__)
    args = parser.parse_args(argv)

    if args.health:
        from airflow_dag_sync.health import check

        return check()

    try:
        config = Config.from_env()
    except ConfigError as exc:
        log("exit", level="error", code=EXIT_CONFIG, reason=f"invalid configuration: {exc}")
        return EXIT_CONFIG

    stop = threading.Event()
    runner: Runner | None = None

    def _on_signal(signum, _frame) -> None:
        log("signal", signal=signal.Signals(signum).name)
        stop.set()
        if runner is not None:
            runner.wake()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)

    from airflow_dag_sync.tree import DestinationError

    try:
        runner = Runner(config, stop)
    except DestinationError as exc:
        log("exit", level="error", code=EXIT_DEST, reason=str(exc))
        return EXIT_DEST
    code = runner.run(once=args.once)
    if code == EXIT_OK:
        log("exit", code=EXIT_OK, reason="stopped" if stop.is_set() else "done")
    return code


if __name__ == "__main__":
    sys.exit(main())
