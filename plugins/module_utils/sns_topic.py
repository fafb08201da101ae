# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Pure comparisons for the sns_topic module: attributes, subscriptions, tags."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes

# A subscription AWS has not confirmed yet has this instead of an ARN; it cannot be unsubscribed.
PENDING = ("PendingConfirmation", "pending confirmation", "Deleted")


def subscription_key(sub: dict) -> tuple[str, str]:
    return (sub["protocol"], sub["endpoint"])


def normalise_subscriptions(listed: list) -> list:
    """ListSubscriptionsByTopic items as sorted {protocol, endpoint, subscription_arn}."""
    subs = [
        {"protocol": s["Protocol"], "endpoint": s["Endpoint"], "subscription_arn": s["SubscriptionArn"]}
        for s in listed
    ]
    return sorted(subs, key=subscription_key)


def subscription_changes(current: list, desired: list, purge: bool) -> tuple[list, list]:
    """(subscriptions to add, subscriptions to remove). Pending ones are never removed."""
    have = {subscription_key(s) for s in current}
    want = {subscription_key(s) for s in desired}
    to_add = [{"protocol": p, "endpoint": e} for p, e in sorted(want - have)]
    to_remove = []
    if purge:
        to_remove = [
            s for s in current if subscription_key(s) not in want and s["subscription_arn"] not in PENDING
        ]
    return to_add, to_remove


def normalise_topic(attributes: dict, subscriptions: list, tags: dict) -> dict:
    """What the module returns and compares for an existing topic."""
    arn = attributes["TopicArn"]
    return {
        "topic_arn": arn,
        "name": arn.rsplit(":", 1)[-1],
        "display_name": attributes.get("DisplayName", ""),
        "kms_master_key_id": attributes.get("KmsMasterKeyId", ""),
        "subscriptions": subscriptions,
        "tags": tags,
    }


def attribute_changes(before: dict, params: dict) -> dict:
    """SetTopicAttributes name -> value for each attribute that differs (None options are left alone)."""
    changes = {}
    for option, attribute in (("display_name", "DisplayName"), ("kms_master_key_id", "KmsMasterKeyId")):
        want = params.get(option)
        if want is not None and want != before.get(option, ""):
            changes[attribute] = want
    return changes


def desired_topic(before: dict | None, params: dict, arn: str | None) -> dict:
    """The topic as it will be after the run (check mode reports this)."""
    before = before or {
        "topic_arn": arn,
        "name": params["name"],
        "display_name": "",
        "kms_master_key_id": "",
        "subscriptions": [],
        "tags": {},
    }
    after = dict(before)
    for option in ("display_name", "kms_master_key_id"):
        if params.get(option) is not None:
            after[option] = params[option]
    if params.get("subscriptions") is not None:
        to_add, to_remove = subscription_changes(
            before["subscriptions"], params["subscriptions"], params["purge_subscriptions"]
        )
        removed = {s["subscription_arn"] for s in to_remove}
        kept = [s for s in before["subscriptions"] if s["subscription_arn"] not in removed]
        added = [dict(s, subscription_arn=None) for s in to_add]
        after["subscriptions"] = sorted(kept + added, key=subscription_key)
    to_set, to_remove = tag_changes(before["tags"], params.get("tags"), params["purge_tags"])
    after["tags"] = {**{k: v for k, v in before["tags"].items() if k not in to_remove}, **to_set}
    return after
