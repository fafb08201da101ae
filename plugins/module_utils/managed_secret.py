# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""managed_secret's pure part: values that never pass through Ansible (generated once, or composed
from other secrets) and the value-free view of a secret its results and diffs show.

A template is a string with placeholders:
  ``${secret:NAME}``           the value of secret NAME (same account and region)
  ``${secret:NAME#field}``     one field of a JSON secret
  ``${value:KEY}``             a plain (non-secret) value given to the module
and an optional escape after ``|``: ``|url`` (percent-encode for a URL), ``|json`` (a JSON
string body). Example: ``postgresql+psycopg2://airflow:${secret:airflow/dev/db#password|url}@${value:host}``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\$\{(secret|value):([^}#|]+)(?:#([^}|]+))?(?:\|(url|json))?\}")
ALPHANUMERIC = string.ascii_letters + string.digits


def generate(kind: str, length: int) -> str:
    """A new random value: ``password`` / ``token`` (letters and digits), ``hex``, or a Fernet key."""
    if kind == "fernet":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    if kind == "hex":
        return secrets.token_hex(length // 2 + length % 2)[:length]
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def secret_names(template: str) -> list[str]:
    """The secrets a template reads, in order of first use."""
    names: list[str] = []
    for kind, name, _field, _escape in PLACEHOLDER.findall(template):
        if kind == "secret" and name not in names:
            names.append(name)
    return names


def render(template: str, secret_values: dict[str, str], values: dict[str, str]) -> str:
    """Fill every placeholder; raises KeyError naming what is missing."""

    def fill(match: re.Match) -> str:
        kind, name, field, escape = match.groups()
        if kind == "value":
            if name not in values:
                raise KeyError(f"no value named {name!r}")
            text = str(values[name])
        else:
            if name not in secret_values:
                raise KeyError(f"no secret named {name!r}")
            text = secret_values[name]
            if field:
                document = json.loads(text)
                if field not in document:
                    raise KeyError(f"secret {name!r} has no field {field!r}")
                text = str(document[field])
        if escape == "url":
            return quote(text, safe="")
        if escape == "json":
            return json.dumps(text)[1:-1]
        return text

    return PLACEHOLDER.sub(fill, template)


class SecretError(Exception):
    """A secret cannot be converged (missing source, bad template, pending deletion...)."""


def view(meta: dict | None, value_state: str) -> dict:
    if not meta:
        return {}
    return {
        "arn": meta["ARN"],
        "name": meta["Name"],
        "description": meta.get("Description", ""),
        "kms_key_id": meta.get("KmsKeyId"),
        "tags": {t["Key"]: t["Value"] for t in meta.get("Tags", [])},
        "value": value_state,
    }
