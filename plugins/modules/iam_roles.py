#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: iam_roles
short_description: Converge a list of IAM roles (trust, inline and managed policies, tags) in one run
version_added: 0.1.0
description:
  - Ensures every role of O(roles) exists with exactly the given trust policy, description, inline
    policies (others are deleted), attached managed policies (others are detached) and tags (others
    are removed). Roles listed neither in O(roles) nor in O(absent) are never read or touched.
  - Written because M(amazon.aws.iam_role) and M(amazon.aws.iam_policy) converge one role (or one
    policy) per module run, so a loop over N roles starts 2N module processes and makes its own
    reads in each. Measured for the compute role's 7 roles on a no-op re-run, 14 module runs and
    56 IAM calls in 58 s became one run, 28 reads and 3 s (on a first run 70 calls in 94 s became 21 calls
    in 4 s; a shared 2-core machine, so the seconds are inflated by load, the calls are exact).
    It also avoids M(amazon.aws.iam_role)'s deprecation warnings on every run.
  - Reads per role C(GetRole) (the trust policy and the tags come with it), C(ListRolePolicies) and
    C(GetRolePolicy) per inline policy, and C(ListAttachedRolePolicies) (paginated). IAM returns policy
    documents URL-encoded; they are decoded and compared semantically (statement and key order,
    a one-item list versus a scalar, a missing C(Version)), so an unchanged role makes no write.
  - A new role is created with its tags in C(CreateRole). All missing roles are created first, then the
    policies are written. IAM is eventually consistent, so a C(PutRolePolicy) or C(AttachRolePolicy)
    that follows a C(CreateRole) can briefly fail with C(NoSuchEntity); for a role created by this run
    those two calls retry C(NoSuchEntity) with jittered backoff (up to 8 retries). Nothing sleeps
    unless AWS answers with that error. Existing roles never retry C(NoSuchEntity).
  - Writes are C(CreateRole), C(UpdateRole), C(UpdateAssumeRolePolicy), C(PutRolePolicy),
    C(DeleteRolePolicy), C(AttachRolePolicy), C(DetachRolePolicy), C(TagRole), C(UntagRole).
  - Supports check mode (no write, C(changed) predicted) and diff mode (before and after per role).
  - A role's path cannot be changed in place; a role found under another path fails the run before any write.
  - Roles named in O(absent) are deleted. IAM refuses to delete a role that still has policies or
    instance profiles, so each one's inline policies are deleted (C(DeleteRolePolicy)), its managed
    policies detached (C(DetachRolePolicy)) and it is removed from its instance profiles
    (C(ListInstanceProfilesForRole), C(RemoveRoleFromInstanceProfile); the profiles themselves are
    kept) before C(DeleteRole). A role that does not exist is not a change.
author:
  - pathwai platform engineering
options:
  roles:
    description: The roles to converge.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The role name.
        type: str
        required: true
      description:
        description: The role's description.
        type: str
        default: ""
      path:
        description: The role's path, used when creating it.
        type: str
        default: /
      assume_role_policy:
        description: The trust policy document (a dict).
        type: dict
        required: true
      inline_policies:
        description: Inline policy name -> policy document (a dict). Exactly these; others are deleted.
        type: dict
        default: {}
      managed_policy_arns:
        description: ARNs of the managed policies to attach. Exactly these; others are detached.
        type: list
        elements: str
        default: []
      tags:
        description: The role's tags. Exactly these; others are removed (except C(aws:*) tags).
        type: dict
        default: {}
      max_session_duration:
        description: Maximum session duration in seconds (3600-43200). Omit to keep the current value
          (3600 for a new role).
        type: int
  absent:
    description: Names of roles to delete, with their inline policies and managed policy attachments.
      A name may not also be in O(roles).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The ECS execution role and a task role
  pathwai.airflow_ecs.iam_roles:
    roles:
      - name: airflow-prod-execution
        description: ECS task execution
        assume_role_policy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}
        managed_policy_arns:
          - arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
        tags: {airflow:env: prod}
      - name: airflow-prod-scheduler-task
        assume_role_policy: "{{ trust_policy }}"
        inline_policies:
          airflow-prod-scheduler-task: "{{ scheduler_policy }}"
  register: roles

- name: Delete two roles (inline policies, attachments and instance-profile memberships first)
  pathwai.airflow_ecs.iam_roles:
    absent: [airflow-prod-execution, airflow-prod-scheduler-task]

- name: Use an ARN
  ansible.builtin.debug:
    msg: "{{ roles.roles['airflow-prod-execution'] }}"
"""

RETURN = r"""
roles:
  description: Role name -> role ARN of O(roles). In check mode a role that would be created has an empty ARN.
  returned: always
  type: dict
  sample: {"airflow-prod-execution": "arn:aws:iam::123456789012:role/airflow-prod-execution"}
changes:
  description: Per changed role, what was (or in check mode would be) done.
  returned: always
  type: dict
  sample: {"airflow-prod-worker-task": {"put_policies": ["airflow-prod-worker-task"], "tag": {"team": "data"}}}
deleted:
  description: The roles of O(absent) that existed and were (or in check mode would be) deleted.
  returned: always
  type: list
  elements: str
  sample: ["airflow-prod-execution"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.iam_roles import (
    after_view,
    before_view,
    desired,
    plan,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.iam_roles_api import (
    apply_plan,
    create_role,
    delete_role,
    read_role,
)


def remove(module, client) -> tuple[list, dict]:
    """Delete the roles of ``absent`` that exist; (their names, the diff's before view)."""
    found = {name: read_role(client, name) for name in module.params["absent"]}
    found = {name: have for name, have in found.items() if have is not None}
    if not module.check_mode:
        for name, have in found.items():
            delete_role(client, name, have)
    return sorted(found), {name: before_view(have) for name, have in found.items()}


def converge(module, client, new_role_client) -> dict:
    wanted = [desired(role) for role in module.params["roles"]]
    names = [w["name"] for w in wanted]
    if len(set(names)) != len(names):
        module.fail_json(
            msg=f"duplicate role names in roles: {sorted({n for n in names if names.count(n) > 1})}"
        )
    both = sorted(set(names) & set(module.params["absent"]))
    if both:
        module.fail_json(msg=f"roles both in roles and in absent: {both}")
    current = {w["name"]: read_role(client, w["name"]) for w in wanted}
    plans = {w["name"]: plan(w, current[w["name"]]) for w in wanted}
    moved = {name: p["path_mismatch"] for name, p in plans.items() if "path_mismatch" in p}
    if moved:
        module.fail_json(msg=f"IAM cannot change a role's path; delete and recreate these roles: {moved}")
    changes = {name: p for name, p in plans.items() if p}
    arns = {name: (have or {}).get("arn", "") for name, have in current.items()}
    if not module.check_mode:
        for want in wanted:  # every create first: IAM has time to propagate before the policy writes
            if changes.get(want["name"], {}).get("create"):
                arns[want["name"]] = create_role(client, want)["Arn"]
        for want in wanted:
            if want["name"] in changes:
                apply_plan(client, new_role_client, want, changes[want["name"]])
    deleted, deleted_before = remove(module, client)
    diff = diff_result(
        {name: before_view(current[name]) for name in changes} | deleted_before,
        {w["name"]: after_view(w, current[w["name"]]) for w in wanted if w["name"] in changes},
    )
    return dict(changed=bool(changes or deleted), roles=arns, changes=changes, deleted=deleted, diff=diff)


def main():
    role_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        path=dict(type="str", default="/"),
        assume_role_policy=dict(type="dict", required=True),
        inline_policies=dict(type="dict", default={}),
        managed_policy_arns=dict(type="list", elements="str", default=[]),
        tags=dict(type="dict", default={}),
        max_session_duration=dict(type="int"),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            roles=dict(type="list", elements="dict", default=[], options=role_spec),
            absent=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    client = retrying_client(module, "iam")
    new_role_client = retrying_client(module, "iam", extra_codes=["NoSuchEntity"])
    run_module(module, lambda: converge(module, client, new_role_client), "converge the IAM roles")


if __name__ == "__main__":
    main()
