"""EC2: a security-group rule that names a group is identified without its Description.

AWS identifies a rule by protocol, port range and peer; the description is not part of it
(RevokeSecurityGroupIngress/Egress: "you don't have to specify the description to revoke the
rule"; AuthorizeSecurityGroupIngress refuses the same peer again with InvalidPermission.Duplicate
whatever its description; UpdateSecurityGroupRuleDescriptions{Ingress,Egress} finds the rule by
peer to change its description). moto 5.2.5 compares the whole UserIdGroupPairs entry, Description
included, so a revoke without the description failed with InvalidPermission.NotFound, a description
update of a group rule did nothing, and a second authorize with another description added a
duplicate rule. CIDR and prefix-list peers were already compared without their description.
"""

from __future__ import annotations

from moto.ec2.models import security_groups as sg


def _peer(source_group: dict) -> dict:
    return {k: v for k, v in (source_group or {}).items() if k != "Description"}


def apply() -> None:
    rule_cls = sg.SecurityGroupRule
    original_eq = rule_cls.__eq__

    def __eq__(self, other):
        if not isinstance(other, rule_cls):
            return NotImplemented
        if _peer(self.source_group) != _peer(other.source_group):
            return False
        if not (self.source_group or other.source_group):
            return original_eq(self, other)
        saved = other.source_group
        other.source_group = self.source_group  # equal peers: compare everything else as moto does
        try:
            return original_eq(self, other)
        finally:
            other.source_group = saved

    rule_cls.__eq__ = __eq__
