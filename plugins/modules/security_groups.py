#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: security_groups
short_description: Converge a set of security groups of one VPC, with their exact rules, in one run
version_added: 0.1.0
description:
  - Creates the listed security groups of a VPC that are missing and brings every listed group's
    ingress and egress rules, rule descriptions and tags to exactly the desired state. Rules may
    name other groups of the set (or any group of the VPC) by name; they are resolved to the ids of
    this run, so groups that reference each other are created and wired in one run.
  - Written because M(amazon.aws.ec2_security_group) handles one group per run, so a platform's
    groups need one module process per group (twice, when the groups reference each other), and each
    run repeats C(DescribeSecurityGroups), C(DescribeTags) and C(sts:GetCallerIdentity), and sleeps
    3 s after creating a group. For the 11 groups of this collection's network role (measured back
    to back on a shared 2-core controller) a re-run that changes nothing went from 24 module runs
    and 115 API calls (238 s) to one run and 2 calls (11 s), and a first run from 162 calls (261 s)
    to 39 calls, 36 of them the writes themselves (19 s).
  - One paginated C(DescribeSecurityGroups) filtered by VPC reads every group with its rules and
    tags. Missing groups are created with their tags in the C(CreateSecurityGroup) call itself, so
    an interrupted run leaves no untagged group. New groups are read back once (C(DescribeSecurityGroups)
    by id), which also covers the default egress rule AWS adds to every new group; it is revoked
    unless listed.
  - Rules are authorized (C(AuthorizeSecurityGroupIngress), C(AuthorizeSecurityGroupEgress)) before
    stale ones are revoked (C(RevokeSecurityGroupIngress), C(RevokeSecurityGroupEgress)), one call per
    group and direction; a rule whose description alone differs is updated in place
    (C(UpdateSecurityGroupRuleDescriptionsIngress), C(UpdateSecurityGroupRuleDescriptionsEgress)).
    Tags change with C(CreateTags) and C(DeleteTags). C(ip_prefix) names other than C(pl-...) ids are
    looked up with one C(DescribePrefixLists).
  - Groups of the VPC that are not listed are left alone (except the VPC's default group with
    O(empty_default_group)). Nothing is deleted; use M(amazon.aws.ec2_security_group) with
    C(state=absent) for that. A group's description cannot change without replacing the group, so a
    different description only produces a warning.
  - Supports check mode (no writes; a group to create reports C(changed) and its planned rules) and
    diff mode (each group's description, tags and rules before and after, keyed by name).
author:
  - pathwai platform engineering
options:
  vpc_id:
    description: The VPC whose security groups are converged.
    type: str
    required: true
  groups:
    description: The security groups, each identified by its name within the VPC.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The group name (unique in the VPC).
        type: str
        required: true
      description:
        description: The group description (only used when the group is created).
        type: str
        required: true
      tags:
        description: The group's tags. Omit to leave an existing group's tags alone.
        type: dict
      rules:
        description: The exact ingress rules. Rules not listed are revoked.
        type: list
        elements: dict
        default: []
        suboptions: &rule
          proto:
            description: The protocol (V(tcp), V(udp), V(icmp), V(icmpv6), V(-1) or V(all), or a number).
            type: str
            default: tcp
          from_port:
            description: First port (ICMP type). Required for V(tcp) and V(udp); ignored for V(-1).
            type: int
          to_port:
            description: Last port (ICMP code). Defaults to O(groups[].rules[].from_port).
            type: int
          cidr_ip:
            description: IPv4 CIDR blocks.
            type: list
            elements: str
          cidr_ipv6:
            description: IPv6 CIDR blocks.
            type: list
            elements: str
          ip_prefix:
            description: Prefix lists, by id (C(pl-...)) or by AWS-managed name (C(com.amazonaws.us-east-1.s3)).
            type: list
            elements: str
          group_id:
            description: Security groups by id.
            type: list
            elements: str
          group_name:
            description: Security groups by name, among O(groups) or the existing groups of the VPC.
            type: list
            elements: str
          rule_desc:
            description: The rule's description (kept on every peer of the rule).
            type: str
      rules_egress:
        description: >-
          The exact egress rules. Rules not listed are revoked, including the allow-all rule AWS
          adds to a new group; V([]) leaves the group no egress at all.
        type: list
        elements: dict
        default: []
        suboptions: *rule
  purge_tags:
    description: Remove tags not in O(groups[].tags) (tags starting with C(aws:) are never removed).
    type: bool
    default: true
  empty_default_group:
    description: >-
      Also revoke every ingress and egress rule of the VPC's C(default) group (nothing should use
      it; CIS AWS Foundations 5.4). Its tags are left alone.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: An ALB and the tasks behind it, referencing each other; nothing else in or out
  pathwai.airflow_ecs.security_groups:
    vpc_id: vpc-0123456789abcdef0
    empty_default_group: true
    groups:
      - name: app-alb
        description: Internal ALB
        tags: {Name: app-alb}
        rules:
          - {proto: tcp, from_port: 443, to_port: 443, cidr_ip: [10.100.0.0/16], rule_desc: corporate}
        rules_egress:
          - {proto: tcp, from_port: 8080, to_port: 8080, group_name: [app-tasks], rule_desc: to tasks}
      - name: app-tasks
        description: ECS tasks
        tags: {Name: app-tasks}
        rules:
          - {proto: tcp, from_port: 8080, to_port: 8080, group_name: [app-alb], rule_desc: from ALB}
        rules_egress:
          - {proto: tcp, from_port: 443, to_port: 443, ip_prefix: [com.amazonaws.us-east-1.s3], rule_desc: S3}
  register: sgs

- name: Use a group id
  ansible.builtin.debug:
    msg: "{{ sgs.group_ids['app-tasks'] }}"
"""

RETURN = r"""
group_ids:
  description: Group id by name (null for a group that check mode would create).
  returned: always
  type: dict
  sample: {"app-alb": "sg-0a1b2c3d4e5f60718", "app-tasks": "sg-0f1e2d3c4b5a69788"}
security_groups:
  description: Every listed group after the run, by name.
  returned: always
  type: dict
  contains:
    group_id: {description: The id (null in check mode for a group to create)., type: str}
    group_name: {description: The name., type: str}
    description: {description: The description., type: str}
    tags: {description: The tags., type: dict}
    rules:
      description: The ingress rules, one per peer, in the shape of O(groups[].rules).
      type: list
      elements: dict
    rules_egress: {description: The egress rules, as RV(security_groups.rules)., type: list, elements: dict}
default_group_id:
  description: The id of the VPC's default group.
  returned: when O(empty_default_group=true)
  type: str
changes:
  description: >-
    Per changed group: whether it is created, the rules authorized, revoked or re-described per
    direction, and the tags set and removed (what check mode would do).
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import security_groups_api as api
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.security_groups import (
    DEFAULT_EGRESS,
    RuleError,
    current_rules,
    has_changes,
    rule_changes,
    rule_views,
    wanted_rules,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import (
    resulting_tags,
    tag_changes,
    tags_dict,
)

RULE_OPTIONS = dict(
    proto=dict(type="str", default="tcp"),
    from_port=dict(type="int"),
    to_port=dict(type="int"),
    cidr_ip=dict(type="list", elements="str"),
    cidr_ipv6=dict(type="list", elements="str"),
    ip_prefix=dict(type="list", elements="str"),
    group_id=dict(type="list", elements="str"),
    group_name=dict(type="list", elements="str"),
    rule_desc=dict(type="str"),
)
DIRECTIONS = (("ingress", "rules", "IpPermissions"), ("egress", "rules_egress", "IpPermissionsEgress"))
NEW = "(new group {})"  # the id check mode gives a group it would create


class Converger:
    """One run: read the VPC's groups, create the missing ones, then set every group's rules and tags."""

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.specs = self.params["groups"]
        self.groups = {}  # name -> DescribeSecurityGroups entry (a prediction for a group check mode creates)
        self.ids = {}  # name -> id (a placeholder for a group check mode creates)
        self.prefix_lists = {}
        self.created = set()

    def names(self) -> dict:
        return {group_id: name for name, group_id in self.ids.items()}

    def group_id(self, name: str) -> str:
        if name not in self.ids:
            raise RuleError(
                f"security group {name!r} is neither in groups nor in VPC {self.params['vpc_id']}"
            )
        return self.ids[name]

    def prefix_list_id(self, value: str) -> str:
        if value.startswith("pl-"):
            return value
        if value not in self.prefix_lists:
            raise RuleError(f"no AWS-managed prefix list named {value!r} in this region")
        return self.prefix_lists[value]

    def wanted(self, spec: dict) -> dict:
        return {
            direction: wanted_rules(spec[key], self.group_id, self.prefix_list_id)
            for direction, key, _ in DIRECTIONS
        }

    def read(self) -> None:
        duplicates = sorted(
            {s["name"] for s in self.specs if [t["name"] for t in self.specs].count(s["name"]) > 1}
        )
        if duplicates:
            self.module.fail_json(msg=f"groups lists {', '.join(duplicates)} more than once")
        for group in api.vpc_groups(self.client, self.params["vpc_id"]):
            self.groups[group["GroupName"]] = group
            self.ids[group["GroupName"]] = group["GroupId"]
        for spec in self.specs:
            self.ids.setdefault(spec["name"], NEW.format(spec["name"]))
        names = {
            p
            for spec in self.specs
            for _, key, _ in DIRECTIONS
            for rule in spec[key]
            for p in rule.get("ip_prefix") or []
            if not p.startswith("pl-")
        }
        self.prefix_lists = api.prefix_list_ids(self.client, sorted(names))
        for spec in self.specs:  # every rule resolves before anything is written
            self.wanted(spec)

    def create_missing(self) -> None:
        missing = [s for s in self.specs if s["name"] not in self.groups]
        for spec in missing:
            tags = resulting_tags(self.params | {"tags": spec["tags"]}, None)
            self.created.add(spec["name"])
            if self.module.check_mode:
                self.groups[spec["name"]] = {
                    "GroupName": spec["name"],
                    "GroupId": None,
                    "Description": spec["description"],
                    "IpPermissions": [],
                    "IpPermissionsEgress": DEFAULT_EGRESS,
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                }
                continue
            group_id = api.create_group(
                self.client, self.params["vpc_id"], spec["name"], spec["description"], tags
            )
            self.ids[spec["name"]] = group_id
        if missing and not self.module.check_mode:
            # EC2 is eventually consistent: a group just created may not be visible to the next call yet.
            self.client = retrying_client(self.module, "ec2", ["InvalidGroup.NotFound"])
            for group in api.read_groups(self.client, [self.ids[s["name"]] for s in missing]):
                self.groups[group["GroupName"]] = group

    def view(self, group: dict, rules: dict, tags: dict) -> dict:
        names = self.names()
        return {
            "description": group["Description"],
            "tags": tags,
            **{key: rule_views(rules[direction], names, with_ids=False) for direction, key, _ in DIRECTIONS},
        }

    def converge_group(self, name: str, wanted: dict, tags_wanted, purge: bool) -> tuple[dict, dict]:
        """Plan and (unless check mode) apply one group; return its changes and its view before/after."""
        group = self.groups[name]
        have = {direction: current_rules(group.get(member)) for direction, _, member in DIRECTIONS}
        rules = {direction: rule_changes(have[direction], wanted[direction]) for direction in have}
        have_tags = tags_dict(group.get("Tags"))
        to_set, to_remove = tag_changes(have_tags, tags_wanted, purge)
        after_tags = {k: v for k, v in {**have_tags, **to_set}.items() if k not in to_remove}
        if not self.module.check_mode:
            for direction, changes in rules.items():
                api.apply_rules(self.client, group["GroupId"], direction, changes)
            api.apply_tags(self.client, group["GroupId"], to_set, to_remove)
        names = self.names()
        changes = {
            direction: {part: rule_views(keys, names) for part, keys in parts.items() if keys}
            for direction, parts in rules.items()
            if has_changes(parts)
        }
        if to_set or to_remove:
            changes["tags"] = {"set": to_set, "remove": to_remove}
        if name in self.created:
            changes["create"] = True
        before = None if name in self.created else self.view(group, have, have_tags)
        return changes, {"before": before, "after": self.view(group, wanted, after_tags)}

    def run(self) -> dict:
        self.read()
        self.create_missing()
        changes, before, after, result = {}, {}, {}, {}
        for spec in self.specs:
            name = spec["name"]
            group = self.groups[name]
            if spec["description"] != group["Description"]:
                self.module.warn(
                    f"security group {name} keeps its description {group['Description']!r}: "
                    "a description cannot change without replacing the group"
                )
            wanted = self.wanted(spec)
            changed, views = self.converge_group(name, wanted, spec["tags"], self.params["purge_tags"])
            if changed:
                changes[name] = changed
            if views["before"] is not None:
                before[name] = views["before"]
            after[name] = views["after"]
            group_id = None if self.module.check_mode and name in self.created else group["GroupId"]
            names = self.names()
            result[name] = {
                "group_id": group_id,
                "group_name": name,
                **views["after"],
                **{
                    key: [_real_ids(v) for v in rule_views(wanted[direction], names)]
                    for direction, key, _ in DIRECTIONS
                },
            }
        out = dict(security_groups=result, group_ids={n: g["group_id"] for n, g in result.items()})
        if self.params["empty_default_group"]:
            default = self.groups.get("default")
            if default is None:
                self.module.fail_json(msg=f"VPC {self.params['vpc_id']} has no default security group")
            empty = {direction: {} for direction, _, _ in DIRECTIONS}
            changed, views = self.converge_group("default", empty, None, False)
            if changed:
                changes["default"] = changed
            before["default"], after["default"] = views["before"], views["after"]
            out["default_group_id"] = default["GroupId"]
        out.update(changed=bool(changes), changes=changes, diff=diff_result(before, after))
        return out


def _real_ids(view: dict) -> dict:
    if str(view.get("group_id", "")).startswith(NEW.split("{", 1)[0]):
        view["group_id"] = None
    return view


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        groups=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str", required=True),
                tags=dict(type="dict"),
                rules=dict(type="list", elements="dict", default=[], options=RULE_OPTIONS),
                rules_egress=dict(type="list", elements="dict", default=[], options=RULE_OPTIONS),
            ),
        ),
        purge_tags=dict(type="bool", default=True),
        empty_default_group=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "ec2")
    what = f"converge the security groups of {module.params['vpc_id']}"
    run_module(module, Converger(module, client).run, what, (RuleError,))


if __name__ == "__main__":
    main()
