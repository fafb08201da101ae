# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What pathwai.airflow_ecs.kms_keys changes: pure planning from the keys read and the keys wanted.

A key as read (``current``) and as wanted (``desired``) share one shape, the module's view::

    {"alias", "key_id", "key_arn", "key_state", "description", "policy" (dict), "enable_key_rotation",
     "tags" (dict)}
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes

# The states a key under its alias can be converged from (any other fails the run).
CONVERGIBLE_STATES = ("Enabled", "Disabled", "PendingDeletion")


def alias_name(name: str) -> str:
    """``name`` with the ``alias/`` prefix KMS requires."""
    return name if name.startswith("alias/") else f"alias/{name}"


def parse_policy(policy) -> dict | None:
    """A key policy given as a dict or a JSON string -> dict (None stays None)."""
    if policy is None or isinstance(policy, dict):
        return policy
    if isinstance(policy, str):
        parsed = json.loads(policy)
        if isinstance(parsed, dict):
            return parsed
    raise ValueError(f"a key policy must be a JSON object, got {type(policy).__name__}")


def policies_differ(current: dict | None, wanted: dict | None) -> bool:
    """True when ``wanted`` is given and is not semantically ``current`` (statement order, a
    one-element list versus a scalar, the account root as ARN or id: all the same)."""
    if wanted is None:
        return False
    return compare_policies(current or {}, wanted)


def desired_key(spec: dict, alias_tag: str) -> dict:
    """The view of one ``keys`` entry, with the alias tag added to its tags."""
    alias = alias_name(spec["alias"])
    tags = {k: "" if v is None else str(v) for k, v in (spec.get("tags") or {}).items()}
    tags[alias_tag] = alias
    return {
        "alias": alias,
        "description": spec.get("description"),
        "policy": parse_policy(spec.get("policy")),
        "enable_key_rotation": spec.get("enable_key_rotation"),
        "tags": tags,
    }


def plan_update(current: dict, desired: dict, purge_tags: bool) -> dict:
    """The changes that bring an existing key to ``desired``; an empty dict when none.

    Keys: ``cancel_deletion``, ``enable`` (bool), ``description`` (str), ``policy`` (dict),
    ``tag`` (dict to set), ``untag`` (keys to remove), ``rotation`` (bool to set).
    """
    plan: dict = {}
    state = current.get("key_state")
    if state == "PendingDeletion":
        # As amazon.aws.kms_key does: cancelling leaves the key Disabled, so it is enabled again.
        plan["cancel_deletion"] = True
        plan["enable"] = True
    elif state == "Disabled":
        plan["enable"] = True
    if desired.get("description") is not None and desired["description"] != (
        current.get("description") or ""
    ):
        plan["description"] = desired["description"]
    if policies_differ(current.get("policy"), desired.get("policy")):
        plan["policy"] = desired["policy"]
    to_set, to_remove = tag_changes(current.get("tags") or {}, desired["tags"], purge_tags)
    if to_set:
        plan["tag"] = to_set
    if to_remove:
        plan["untag"] = to_remove
    wanted_rotation = desired.get("enable_key_rotation")
    if wanted_rotation is not None and current.get("enable_key_rotation") is not wanted_rotation:
        plan["rotation"] = wanted_rotation
    return plan


def after_update(current: dict, desired: dict, plan: dict, purge_tags: bool) -> dict:
    """The view of an existing key once ``plan`` is applied."""
    after = dict(current)
    if plan.get("enable"):
        after["key_state"] = "Enabled"
    if "description" in plan:
        after["description"] = plan["description"]
    if "policy" in plan:
        after["policy"] = plan["policy"]
    if "rotation" in plan:
        after["enable_key_rotation"] = plan["rotation"]
    tags = dict(current.get("tags") or {})
    tags = {k: v for k, v in tags.items() if k not in plan.get("untag", [])}
    tags.update(plan.get("tag", {}))
    after["tags"] = dict(sorted(tags.items()))
    after["alias"] = desired["alias"]
    return after


def after_create(desired: dict) -> dict:
    """The view of a key this run creates (ids unknown until it exists)."""
    return {
        "alias": desired["alias"],
        "key_id": None,
        "key_arn": None,
        "key_state": "Enabled",
        "description": desired.get("description") or "",
        "policy": desired.get("policy"),
        "enable_key_rotation": bool(desired.get("enable_key_rotation")),
        "tags": dict(sorted(desired["tags"].items())),
    }


def pick_orphan(candidates: list[dict]) -> dict | None:
    """The key to adopt among enabled customer keys tagged with an alias: the oldest."""
    usable = [k for k in candidates if k.get("KeyState") == "Enabled" and k.get("KeyManager") == "CUSTOMER"]
    return min(usable, key=lambda k: (str(k.get("CreationDate", "")), k["KeyId"])) if usable else None
