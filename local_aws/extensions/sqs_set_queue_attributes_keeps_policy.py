"""SQS: SetQueueAttributes changes only the attributes it names.

moto 5.2.5's ``Queue._set_attributes`` ends with ``self.policy = attributes.get("Policy")``, so any
SetQueueAttributes without ``Policy`` (``DelaySeconds``, ``RedrivePolicy``, ...) removed the queue's
policy. AWS keeps every attribute the call does not name (API reference, SetQueueAttributes); our
DAG-events queue would silently stop admitting S3 the first time another attribute changed.
"""

from __future__ import annotations

from moto.sqs.models import Queue

_original = Queue._set_attributes


def set_attributes(self: Queue, attributes: dict, now: float | None = None) -> None:
    kept = getattr(self, "policy", None)
    _original(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = kept


def apply() -> None:
    Queue._set_attributes = set_attributes
