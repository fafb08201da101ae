"""S3: a bucket policy's ``Condition`` decides whether its statement applies to an object request.

moto 5.2.5 evaluates a bucket policy on every object request (GetObject, PutObject, ...), but its
statement check treats conditions wrongly: an operator it does not know (``Bool``, which is what
the standard ``DenyWithoutTLS`` statement uses) is ignored, so the Deny applies to every request,
and a condition that does not match turns the statement into an explicit Deny, where IAM's
evaluation logic says the statement simply does not apply. With our data role's bucket policy,
every PutObject and GetObject on the DAG and log buckets answered 403.

This evaluates each statement the way IAM does for a resource policy: action (``Action`` /
``NotAction``, wildcards, case-insensitive), resource (``Resource`` / ``NotResource``), principal
(``*`` applies; a named principal cannot be checked by the emulator, so, as in moto, that statement
is neutral), then every condition (AND across operators and keys, OR across a key's values). The
operators ``Bool``, ``StringEquals``, ``StringNotEquals``, ``StringLike``, ``StringNotLike``,
``StringEqualsIgnoreCase``, ``ArnEquals``/``ArnLike`` (+ ``Not``) and ``Null`` are evaluated, with
the ``IfExists`` suffix; a key missing from the request context makes a positive operator false
and a negated one true (IAM reference, "Condition element"). Operators outside that list are
ignored as moto does.

The request context has one key: ``aws:SecureTransport`` = ``true``. The emulator listens on
plain HTTP on loopback standing in for S3's HTTPS endpoints, which every client here reaches over
TLS on AWS (botocore's default); a plain-HTTP client on AWS (``use_ssl=False``) is refused by the
``DenyWithoutTLS`` statement there and cannot be told apart here. That the statement exists is
proved by ``policies/data.rego`` in the audit, not by the emulator.
"""

from __future__ import annotations

import fnmatch
import json

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

CONTEXT = {"aws:securetransport": "true"}


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _matches(patterns, value: str, ignore_case: bool = False) -> bool:
    return any(_like(str(p), value, ignore_case) for p in _listed(patterns))


POSITIVE = {
    "Bool": lambda want, have: str(want).lower() == have.lower(),
    "StringEquals": lambda want, have: str(want) == have,
    "StringEqualsIgnoreCase": lambda want, have: str(want).lower() == have.lower(),
    "StringLike": lambda want, have: _like(str(want), have),
    "ArnEquals": lambda want, have: str(want) == have,
    "ArnLike": lambda want, have: _like(str(want), have),
}
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(operator: str, key: str, wanted, context: dict[str, str]) -> bool:
    """One operator/key pair of a Condition block against the request context."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    have = context.get(key.lower())
    if base == "Null":
        return any((str(w).lower() == "true") == (have is None) for w in _listed(wanted))
    if base not in POSITIVE and base not in NEGATED:
        return True  # not evaluated, as moto does
    if have is None:
        return if_exists or base in NEGATED
    test = POSITIVE[NEGATED.get(base, base)]
    hit = any(test(w, have) for w in _listed(wanted))
    return not hit if base in NEGATED else hit


def statement_result(
    statement: dict, action: str, resource: str, context: dict[str, str]
) -> PermissionResult:
    if "NotAction" in statement:
        if _matches(statement["NotAction"], action, ignore_case=True):
            return PermissionResult.NEUTRAL
    elif not _matches(statement.get("Action", []), action, ignore_case=True):
        return PermissionResult.NEUTRAL
    if "NotResource" in statement:
        if _matches(statement["NotResource"], resource):
            return PermissionResult.NEUTRAL
    elif not _matches(statement.get("Resource", []), resource):
        return PermissionResult.NEUTRAL
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return PermissionResult.NEUTRAL  # a named principal: the emulator does not know the caller
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, wanted in pairs.items():
            if not condition_holds(operator, key, wanted, context):
                return PermissionResult.NEUTRAL
    return PermissionResult.DENIED if statement.get("Effect") == "Deny" else PermissionResult.PERMITTED


def get_permission(self, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
    permitted = False
    for statement in _listed(json.loads(policy)["Statement"]):
        result = statement_result(statement, action, resource, CONTEXT)
        if result == PermissionResult.DENIED:
            return result
        permitted = permitted or result == PermissionResult.PERMITTED
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def apply() -> None:
    FakeBucket.get_permission = get_permission
