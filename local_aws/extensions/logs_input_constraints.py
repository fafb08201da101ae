"""CloudWatch Logs: every request is checked against botocore's input shape constraints.

botocore's ``logs`` model gives each input member its ``min``/``max`` (length of strings and
lists, value of numbers) and ``pattern`` (e.g. ``LogGroupName``: 1-512 characters of
``[\\.\\-_/#A-Za-z0-9]+``). botocore checks only the minimums client-side; real CloudWatch Logs
checks the rest and answers ``InvalidParameterException`` with ``1 validation error detected:
Value 'a b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular
expression pattern: [\\.\\-_/#A-Za-z0-9]+`` (several problems: ``2 validation errors detected:
...; ...``). moto 5.2.5 checked a few members (the name's length, not its characters). This
checks every member of every operation before moto sees the request. A pattern Python's ``re``
cannot compile (Java-only syntax) is skipped rather than guessed.
"""

from __future__ import annotations

import json
import re
from functools import cache

import botocore.session
from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse


@cache
def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


@cache
def _pattern(text: str) -> re.Pattern | None:
    try:
        return re.compile(text)
    except re.error:
        return None


def _bounds(shape, measure: int, value, path: str, what: str) -> list[str]:
    found = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    prefix = f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have {what}"
    if low is not None and measure < low:
        found.append(f"{prefix} greater than or equal to {low}")
    if high is not None and measure > high:
        found.append(f"{prefix} less than or equal to {high}")
    return found


def violations(shape, value, path: str = "") -> list[str]:
    """AWS's validation messages for ``value`` against botocore ``shape`` (empty when it conforms)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        found = []
        for name, member in shape.members.items():
            if name in value:
                found += violations(member, value[name], f"{path}.{name}" if path else name)
        return found
    if kind == "list" and isinstance(value, list):
        found = _bounds(shape, len(value), value, path, "length")
        for index, item in enumerate(value, start=1):
            found += violations(shape.member, item, f"{path}.{index}.member")
        return found
    if kind == "map" and isinstance(value, dict):
        found = _bounds(shape, len(value), value, path, "length")
        for key, item in value.items():
            found += violations(shape.key, key, f"{path}.{key}.key")
            found += violations(shape.value, item, f"{path}.{key}.value")
        return found
    if kind == "string" and isinstance(value, str):
        found = _bounds(shape, len(value), value, path, "length")
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            found.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
        return found
    if kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        return _bounds(shape, value, value, path, "value")
    return []


def request_violations(service: str, action: str, body: str | bytes | None) -> list[str]:
    """The validation messages for one JSON-protocol request (none for an unknown operation)."""
    model = _service_model(service)
    if action not in model.operation_names:
        return []
    shape = model.operation_model(action).input_shape
    try:
        params = json.loads(body or "{}")
    except ValueError:
        return []
    return violations(shape, params) if shape is not None else []


def apply() -> None:
    original = LogsResponse.call_action

    def call_action(self):
        found = request_violations("logs", self._get_action(), self.body)
        if not found:
            return original(self)
        count = f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected: "
        error = InvalidParameterException(msg=count + "; ".join(found))
        response = error.description, {**dict(error.get_headers() or []), "status": error.code}
        status, headers, body = self._transform_response(self.response_headers, response)
        return (status, *self._enrich_response(headers, body))

    LogsResponse.call_action = call_action
