"""EC2: security-group names and descriptions, and rule descriptions, in AWS's character sets.

botocore's documentation of the request members (``CreateSecurityGroup.GroupName`` /
``Description``, ``IpRange`` / ``Ipv6Range`` / ``PrefixListId`` / ``UserIdGroupPair``
``Description``) gives the constraints real EC2 enforces for VPC security groups, answering
``InvalidParameterValue``; moto 5.2.5 accepted any text:

- group name and description: up to 255 ASCII characters from ``a-zA-Z0-9``, space and
  ``._-:/()#,@[]+=&;{}!$*``; a name may not start with ``sg-``. AWS's messages:
  ``Invalid security group description. Valid descriptions are strings less than 256
  characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*``,
  ``Value (sg-x) for parameter GroupName is invalid. Group names may not be in the format sg-*.``
  and, for non-ASCII text, ``Value (...) for parameter GroupDescription is invalid. Character
  sets beyond ASCII are not supported.`` (the name's charset message follows the description's);
- rule descriptions (AuthorizeSecurityGroupIngress/Egress, UpdateSecurityGroupRuleDescriptions
  Ingress/Egress, ModifySecurityGroupRules): up to 255 characters; ``IpRanges`` and
  ``Ipv6Ranges`` (and ModifySecurityGroupRules) allow the set above, ``PrefixListIds`` and
  ``UserIdGroupPairs`` the same set without ``&`` (as botocore documents each shape). AWS's
  message: ``Invalid rule description. Valid descriptions are strings less than 256 characters
  from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*``.
"""

from __future__ import annotations

import re

from moto.ec2.exceptions import InvalidParameterValue
from moto.ec2.models.security_groups import SecurityGroupBackend

ALLOWED = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"
WITH_AMPERSAND = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")
WITHOUT_AMPERSAND = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*]{0,255}")
RULE_METHODS = (
    "authorize_security_group_ingress",
    "authorize_security_group_egress",
    "update_security_group_rule_descriptions_ingress",
    "update_security_group_rule_descriptions_egress",
)


def _check_group_text(parameter: str, value: str, what: str) -> None:
    if not value.isascii():
        raise InvalidParameterValue(
            f"Value ({value}) for parameter {parameter} is invalid. "
            "Character sets beyond ASCII are not supported."
        )
    if not WITH_AMPERSAND.fullmatch(value):
        raise InvalidParameterValue(
            f"Invalid security group {what}. Valid {what}s are strings less than 256 characters "
            f"from the following set:  {ALLOWED}"
        )


def check_group(name: str | None, description: str | None) -> None:
    """Raise InvalidParameterValue for a group name or description that EC2 refuses."""
    if name is not None:
        _check_group_text("GroupName", name, "name")
        if name.lower().startswith("sg-"):
            raise InvalidParameterValue(
                f"Value ({name}) for parameter GroupName is invalid. "
                "Group names may not be in the format sg-*."
            )
    if description is not None:
        _check_group_text("GroupDescription", description, "description")


def check_rule_description(description: str | None, allowed: re.Pattern = WITH_AMPERSAND) -> None:
    """Raise InvalidParameterValue for a rule description that EC2 refuses."""
    if description is not None and not allowed.fullmatch(description):
        raise InvalidParameterValue(
            "Invalid rule description. Valid descriptions are strings less than 256 characters "
            f"from the following set:  {ALLOWED}"
        )


def check_rule_peers(kwargs: dict) -> None:
    for entry in kwargs.get("ip_ranges") or []:
        check_rule_description(entry.get("Description"), WITH_AMPERSAND)
    for entry in (kwargs.get("source_groups") or []) + (kwargs.get("prefix_list_ids") or []):
        check_rule_description(entry.get("Description"), WITHOUT_AMPERSAND)


def _checked(original):
    def method(self, *args, **kwargs):
        check_rule_peers(kwargs)
        return original(self, *args, **kwargs)

    return method


def apply() -> None:
    original_create = SecurityGroupBackend.create_security_group
    original_modify = SecurityGroupBackend.modify_security_group_rules

    def create_security_group(self, name, description, *args, **kwargs):
        if not kwargs.get("is_default"):
            check_group(name, description)
        return original_create(self, name, description, *args, **kwargs)

    def modify_security_group_rules(self, group_id, rules):
        for rule in (rules or {}).values():
            check_rule_description(rule.get("Description"), WITH_AMPERSAND)
        return original_modify(self, group_id, rules)

    SecurityGroupBackend.create_security_group = create_security_group
    SecurityGroupBackend.modify_security_group_rules = modify_security_group_rules
    for name in RULE_METHODS:
        setattr(SecurityGroupBackend, name, _checked(getattr(SecurityGroupBackend, name)))
