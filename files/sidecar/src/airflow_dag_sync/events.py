"""Event mode: S3 event notifications delivered to SQS (directly, or through SNS).

A poller thread long-polls the queue and hands message batches to the main loop, which
syncs just the keys named (a conditional GET per key: the current S3 state decides, so
duplicated or out-of-order events are harmless) and deletes the messages once applied.
A full reconcile still runs every ``DAG_SYNC_RECONCILE_INTERVAL`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from datetime import datetime
from urllib.parse import unquote_plus

from airflow_dag_sync.log import log


def parse_message(body: str, bucket: str, prefix: str) -> tuple[set[str], list[float]] | None:
    """Keys (relative to ``prefix``) and event times named by one message; None if the
    message is not an S3 notification (test events give an empty set)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        try:  # SNS envelope (raw message delivery off)
            data = json.loads(data["Message"])
        except (TypeError, ValueError):
            return None
    if not isinstance(data, dict):
        return None
    if data.get("Event") == "s3:TestEvent":
        return set(), []
    records = data.get("Records")
    if not isinstance(records, list):
        return None
    rels: set[str] = set()
    times: list[float] = []
    for record in records:
        try:
            s3 = record["s3"]
            if s3["bucket"]["name"] != bucket:
                continue
            key = unquote_plus(s3["object"]["key"])
        except (KeyError, TypeError):
            continue
        if not key.startswith(prefix):
            continue
        rels.add(key[len(prefix) :])
        with contextlib.suppress(KeyError, TypeError, ValueError):
            times.append(datetime.fromisoformat(record["eventTime"]).timestamp())
    return rels, times


class Poller(threading.Thread):
    """Long-polls SQS and puts lists of messages on ``out``; never touches the tree."""

    def __init__(self, sqs, queue_url: str, wait: int, stop: threading.Event, out: queue.Queue):
        super().__init__(name="sqs-poller", daemon=True)
        self.sqs, self.queue_url, self.wait = sqs, queue_url, max(0, min(wait, 20))
        self.stop, self.out = stop, out
        self.last_empty_poll_started: float | None = None
        self.calls = 0

    def run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            started = time.time()
            try:
                self.calls += 1
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=self.wait,
                )
            except Exception as exc:
                failures += 1
                log("queue_poll_failed", level="warning", error=f"{type(exc).__name__}: {exc}"[:300])
                self.stop.wait(min(5.0 * failures, 30.0))
                continue
            failures = 0
            messages = response.get("Messages", [])
            if messages:
                self.out.put((started, messages))
            else:
                self.last_empty_poll_started = started

    def delete(self, messages: list[dict]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            try:
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception as exc:
                log("queue_delete_failed", level="warning", error=f"{type(exc).__name__}: {exc}"[:300])
