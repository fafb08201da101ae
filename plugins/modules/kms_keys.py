#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: kms_keys
short_description: Converge a set of customer-managed KMS keys, each known by its alias, in one run
version_added: 0.1.0
description:
  - Creates or updates symmetric customer-managed KMS keys, one per entry of O(keys), each identified by its
    alias. For each key it converges the description, the key policy (compared semantically, so a policy that
    only differs in statement order or JSON layout is no change), automatic rotation and the tags.
  - Written because M(amazon.aws.kms_key) manages one key per module run, and the kms role needed seven runs
    that also read grants and policy names it never manages. Measured on a no-op re-run of the kms role's seven keys,
    126 KMS calls (21 each of C(DescribeKey), C(ListAliases), C(GetKeyRotationStatus), C(GetKeyPolicy), 14 each of
    C(ListGrants), C(ListKeyPolicies), C(ListResourceTags)) became 29, and the task took about a fifth of the
    time (33-40 s against 7.6-8.4 s on a heavily loaded 2-core controller); a first run made 140 KMS calls with
    the stock module and 23 with this one.
  - "Reads: one paginated C(ListAliases), then per key under an alias C(DescribeKey),
    C(GetKeyPolicy) (policy C(default)), C(GetKeyRotationStatus) and C(ListResourceTags); no grant or
    policy-name listing."
  - "Creates with C(CreateKey) carrying the description, policy and tags in the call itself, including a tag
    O(alias_tag)=C(alias/<name>) that names the intended alias, then C(CreateAlias) and C(EnableKeyRotation).
    KMS has no idempotency token for C(CreateKey); the tag stands in for one: when an alias is missing, the
    module lists the account's keys (C(ListKeys)), reads the tags of those no alias points at, and adopts an
    enabled customer key tagged with that alias (the oldest, when several) with C(CreateAlias) instead of
    creating a second key. This costs one C(ListResourceTags) per unaliased key, only on runs that have an
    alias to create."
  - A key under the alias that is pending deletion has its deletion cancelled and is enabled again, and a
    disabled one is enabled, as M(amazon.aws.kms_key) does with its default O(amazon.aws.kms_key#module:enabled=true).
    A key in any other state (for example C(PendingImport) or C(Unavailable)) fails the run.
  - Keys are never deleted or disabled by this module, and aliases never moved to another key; schedule the
    deletion of a key with M(amazon.aws.kms_key) and O(amazon.aws.kms_key#module:state=absent).
  - Supports check mode (no writes; RV(changed) and the diff predicted from what was read) and diff mode
    (before and after of each key that changes, keyed by alias).
author:
  - pathwai platform engineering
options:
  keys:
    description: The keys to converge.
    type: list
    elements: dict
    required: true
    suboptions:
      alias:
        description: The alias that identifies the key (C(alias/) is added when missing).
        type: str
        required: true
      description:
        description: The key's description. Omit to leave the description alone.
        type: str
      policy:
        description:
          - The key policy, as a dict or a JSON string. Omit to leave the policy alone (a new key then gets
            the KMS default policy).
        type: raw
      enable_key_rotation:
        description: Whether automatic yearly rotation is on. Omit to leave it alone.
        type: bool
      tags:
        description: The key's tags (the O(alias_tag) tag is always added).
        type: dict
        default: {}
  purge_tags:
    description: Remove tags of a key that are not in its O(keys[].tags) (the O(alias_tag) tag is kept).
    type: bool
    default: true
  alias_tag:
    description: The tag key that names a key's intended alias, set at creation and used for adoption.
    type: str
    default: "airflow:alias"
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Two keys with rotation on and a scoped policy each
  pathwai.airflow_ecs.kms_keys:
    keys:
      - alias: alias/airflow-dev-rds
        description: airflow-dev RDS storage
        policy: "{{ lookup('ansible.builtin.template', 'rds_policy.json.j2') }}"
        enable_key_rotation: true
        tags: {airflow:env: dev, airflow:purpose: rds}
      - alias: alias/airflow-dev-s3
        description: airflow-dev S3 buckets
        policy:
          Version: "2012-10-17"
          Statement:
            - {Sid: Root, Effect: Allow, Principal: {AWS: "arn:aws:iam::123456789012:root"}, Action: "kms:*", Resource: "*"}
        enable_key_rotation: true
        tags: {airflow:env: dev, airflow:purpose: s3}
  register: keys

- name: Use the ARNs
  ansible.builtin.debug:
    msg: "{{ keys.key_arns['alias/airflow-dev-rds'] }}"
"""

RETURN = r"""
keys:
  description: Each key after the run, in the order of O(keys) (in check mode, as it would be).
  returned: always
  type: list
  elements: dict
  contains:
    alias: {description: The alias., type: str, sample: alias/airflow-dev-rds}
    key_id: {description: The key id (null for a key check mode would create)., type: str}
    key_arn: {description: The key ARN (null for a key check mode would create)., type: str}
    key_state: {description: The key state., type: str, sample: Enabled}
    description: {description: The description., type: str}
    policy: {description: The key policy., type: dict}
    enable_key_rotation: {description: Whether automatic rotation is on., type: bool}
    tags: {description: The tags., type: dict}
    changed: {description: Whether this key changed., type: bool}
    actions:
      description: What was done (or would be) to this key, for example C(create), C(adopt), C(cancel_deletion),
        C(enable), C(description), C(policy), C(tag), C(untag), C(rotation).
      type: list
      elements: str
key_arns:
  description: Alias to key ARN, for every key that exists after the run.
  returned: always
  type: dict
  sample: {"alias/airflow-dev-rds": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import kms_keys_api as api
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.kms_keys import (
    CONVERGIBLE_STATES,
    after_create,
    after_update,
    desired_key,
    pick_orphan,
    plan_update,
)


def read_current(module, kms, wanted: list[dict]) -> tuple[dict, dict]:
    """(alias -> view of the key under it, alias -> (KeyMetadata, tags) of a key to adopt)."""
    aliases = api.list_aliases(kms)
    current = {}
    for desired in wanted:
        key_id = aliases.get(desired["alias"])
        if not key_id:
            continue
        meta = kms.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]
        if meta.get("KeyState") not in CONVERGIBLE_STATES:
            module.fail_json(
                msg=f"{desired['alias']} points at key {key_id} in state {meta.get('KeyState')}; "
                f"only {', '.join(CONVERGIBLE_STATES)} keys can be converged"
            )
        current[desired["alias"]] = api.read_key(kms, desired["alias"], key_id, meta=meta)
    missing = {d["alias"] for d in wanted} - set(current)
    adoptable = {}
    if missing:
        aliased = {key_id for key_id in aliases.values() if key_id}
        orphans = api.find_orphans(kms, missing, aliased, module.params["alias_tag"])
        for alias, found in orphans.items():
            meta = pick_orphan([m for m, _ in found])
            if meta is None:
                continue
            if len(found) > 1:
                module.warn(f"{len(found)} keys are tagged for {alias}; adopting the oldest, {meta['KeyId']}")
            adoptable[alias] = (meta, next(tags for m, tags in found if m is meta))
    return current, adoptable


def converge_one(module, kms, desired: dict, current: dict | None, orphan) -> tuple[dict, dict | None]:
    """(the key's result entry, its (before, after) when it changes)."""
    purge = module.params["purge_tags"]
    alias = desired["alias"]
    if current is None and orphan is None:
        after = after_create(desired)
        if not module.check_mode:
            meta = api.create_key(kms, desired)
            api.create_alias(kms, alias, meta["KeyId"])
            if desired.get("enable_key_rotation"):
                kms.enable_key_rotation(KeyId=meta["KeyId"], aws_retry=True)
            after.update(key_id=meta["KeyId"], key_arn=meta["Arn"], key_state=meta.get("KeyState", "Enabled"))
            after["description"] = meta.get("Description", after["description"])
        return dict(after, changed=True, actions=["create"]), ({}, after)

    actions = []
    if current is None:
        meta, tags = orphan
        current = api.read_key(kms, alias, meta["KeyId"], meta=meta, tags=tags)
        actions.append("adopt")
    plan = plan_update(current, desired, purge)
    actions += list(plan)
    if not actions:
        return dict(current, changed=False, actions=[]), None
    after = after_update(current, desired, plan, purge)
    if not module.check_mode:
        if "adopt" in actions:
            api.create_alias(kms, alias, current["key_id"])
        api.apply_plan(kms, current["key_id"], plan)
    before = {} if "adopt" in actions else current
    return dict(after, changed=True, actions=actions), (before, after)


def run(module) -> dict:
    wanted = [desired_key(spec, module.params["alias_tag"]) for spec in module.params["keys"]]
    aliases = [d["alias"] for d in wanted]
    duplicates = sorted({a for a in aliases if aliases.count(a) > 1})
    if duplicates:
        module.fail_json(msg=f"Each alias may appear once in keys; repeated: {', '.join(duplicates)}")
    kms = retrying_client(module, "kms", extra_codes=["DependencyTimeoutException", "KMSInternalException"])
    current, adoptable = read_current(module, kms, wanted)
    results, before, after = [], {}, {}
    for desired in wanted:
        entry, change = converge_one(
            module, kms, desired, current.get(desired["alias"]), adoptable.get(desired["alias"])
        )
        results.append(entry)
        if change:
            before[desired["alias"]], after[desired["alias"]] = change
    return dict(
        changed=any(r["changed"] for r in results),
        keys=results,
        key_arns={r["alias"]: r["key_arn"] for r in results if r.get("key_arn")},
        diff=diff_result(before, after),
    )


def main():
    key_spec = dict(
        alias=dict(type="str", required=True),
        description=dict(type="str"),
        policy=dict(type="raw"),
        enable_key_rotation=dict(type="bool"),
        tags=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            keys=dict(type="list", elements="dict", required=True, options=key_spec, no_log=False),
            purge_tags=dict(type="bool", default=True),
            alias_tag=dict(type="str", default="airflow:alias"),
        ),
        supports_check_mode=True,
    )
    run_module(
        module, lambda: run(module), "converge the KMS keys", (ValueError,), prefix="Invalid key policy: "
    )


if __name__ == "__main__":
    main()
