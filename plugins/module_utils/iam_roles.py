# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""IAM roles: the comparable view of a role and the plan that brings it to the desired state
(pure functions; the AWS calls are in iam_roles_api)."""

from __future__ import annotations

import json
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes

DEFAULT_PATH = "/"


def policy_document(document) -> dict:
    """A policy document as a dict. IAM returns documents URL-encoded (RFC 3986); botocore
    decodes them into dicts, but a string (encoded or plain JSON) is decoded here too."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    try:
        return json.loads(document)
    except ValueError:
        return json.loads(unquote(document))


def same_document(current, wanted) -> bool:
    """Semantic equality: statement order, one-item lists vs scalars, key order do not matter."""
    return not compare_policies(policy_document(current), policy_document(wanted))


def desired(role: dict) -> dict:
    """The comparable view of one item of the module's ``roles`` option."""
    return {
        "name": role["name"],
        "path": role.get("path") or DEFAULT_PATH,
        "description": role.get("description") or "",
        "assume_role_policy": policy_document(role["assume_role_policy"]),
        "max_session_duration": role.get("max_session_duration"),
        "inline_policies": {k: policy_document(v) for k, v in (role.get("inline_policies") or {}).items()},
        "managed_policy_arns": sorted(set(role.get("managed_policy_arns") or [])),
        "tags": {k: "" if v is None else str(v) for k, v in (role.get("tags") or {}).items()},
    }


def current(role: dict, inline: dict, attached: list) -> dict:
    """The comparable view of a GetRole ``Role``, its inline documents and attached policies."""
    return {
        "name": role["RoleName"],
        "arn": role["Arn"],
        "path": role.get("Path", DEFAULT_PATH),
        "description": role.get("Description", ""),
        "assume_role_policy": policy_document(role.get("AssumeRolePolicyDocument")),
        "max_session_duration": role.get("MaxSessionDuration"),
        "inline_policies": {k: policy_document(v) for k, v in inline.items()},
        "managed_policy_arns": sorted(p["PolicyArn"] for p in attached),
        "tags": {t["Key"]: t.get("Value", "") for t in role.get("Tags") or []},
    }


def plan(want: dict, have: dict | None) -> dict:
    """The changes that bring ``have`` (None: the role does not exist) to ``want``.

    Keys (only those with something to do): ``create``, ``update_role`` (the UpdateRole request:
    Description and MaxSessionDuration), ``trust``, ``put_policies`` (names), ``delete_policies``,
    ``attach``, ``detach``, ``tag`` (dict), ``untag`` (keys). A role is created with its tags, so
    ``tag`` is empty then. ``path_mismatch`` is set when the role exists under another path (IAM
    cannot move a role)."""
    if have is None:
        return {
            "create": True,
            "put_policies": sorted(want["inline_policies"]),
            "attach": want["managed_policy_arns"],
        }
    changes: dict = {}
    if want["path"] != have["path"]:
        changes["path_mismatch"] = {"have": have["path"], "want": want["path"]}
    update = {}
    if want["description"] != have["description"]:
        update["Description"] = want["description"]
    if want["max_session_duration"] and want["max_session_duration"] != have["max_session_duration"]:
        update["MaxSessionDuration"] = want["max_session_duration"]
    if update:  # UpdateRole changes only the fields it is given
        changes["update_role"] = update
    if not same_document(have["assume_role_policy"], want["assume_role_policy"]):
        changes["trust"] = True
    put = [
        name
        for name, document in sorted(want["inline_policies"].items())
        if name not in have["inline_policies"] or not same_document(have["inline_policies"][name], document)
    ]
    delete = sorted(set(have["inline_policies"]) - set(want["inline_policies"]))
    attach = sorted(set(want["managed_policy_arns"]) - set(have["managed_policy_arns"]))
    detach = sorted(set(have["managed_policy_arns"]) - set(want["managed_policy_arns"]))
    to_tag, to_untag = tag_changes(have["tags"], want["tags"], purge=True)
    for key, value in (
        ("put_policies", put),
        ("delete_policies", delete),
        ("attach", attach),
        ("detach", detach),
        ("tag", to_tag),
        ("untag", to_untag),
    ):
        if value:
            changes[key] = value
    return changes


def after_view(want: dict, have: dict | None) -> dict:
    """What the role looks like once the plan is applied (for the diff; no ARN for a new role)."""
    view = {k: v for k, v in want.items() if k != "name"}
    if view["max_session_duration"] is None:
        view["max_session_duration"] = have["max_session_duration"] if have else 3600
    if have is not None:
        view["path"] = have["path"]  # IAM cannot move a role; reported as path_mismatch
    return view


def before_view(have: dict | None) -> dict:
    """The diff's view of an existing role (without its name and ARN)."""
    if have is None:
        return {}
    return {k: v for k, v in have.items() if k not in ("name", "arn")}
