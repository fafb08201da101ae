"""EC2: security-group rules that name a prefix list keep their Description.

Real EC2 returns ``IpPermissions[].PrefixListIds[]`` as ``{PrefixListId, Description}``
(botocore shape ``PrefixListId``) and UpdateSecurityGroupRuleDescriptions{Ingress,Egress}
changes that description. moto 5.2.5 keeps only the id, so a second run of
amazon.aws.ec2_security_group sees a changed rule and fails. This keeps the whole entry.
"""

from __future__ import annotations

from moto.ec2.models import security_groups as sg


def apply() -> None:
    rule_cls = sg.SecurityGroupRule
    original_init = rule_cls.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        entry = kwargs.get("prefix_list_id")
        if entry is None and len(args) >= 8:
            entry = args[7]
        self.prefix_list_entry = (
            {
                "PrefixListId": entry["PrefixListId"],
                **({"Description": entry["Description"]} if "Description" in entry else {}),
            }
            if entry
            else None
        )

    rule_cls.__init__ = __init__

    group_cls = sg.SecurityGroup
    original_flatten = group_cls._flattened_rules

    def _flattened_rules(self, rules):
        views = original_flatten(self, rules)
        for view in views:
            view.prefix_list_ids = [
                dict(rule.prefix_list_entry)
                for rule in rules
                if rule.prefix_list_entry
                and (rule.from_port, rule.to_port, rule.ip_protocol)
                == (view.from_port, view.to_port, view.ip_protocol)
            ]
        return views

    group_cls._flattened_rules = _flattened_rules

    backend_cls = sg.SecurityGroupBackend
    original_update = backend_cls._sg_update_description

    def _sg_update_description(self, security_rule, rule):
        original_update(self, security_rule, rule)
        wanted = getattr(security_rule, "prefix_list_entry", None)
        current = getattr(rule, "prefix_list_entry", None)
        if (
            wanted
            and current
            and wanted["PrefixListId"] == current["PrefixListId"]
            and "Description" in wanted
        ):
            current["Description"] = wanted["Description"]

    backend_cls._sg_update_description = _sg_update_description
