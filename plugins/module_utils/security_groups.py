# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Security groups: rules as comparable keys, and the plan that turns current into desired (pure).

A rule is reduced to atomic keys ``(protocol, from_port, to_port, peer kind, peer)`` with its
description, one key per CIDR, IPv6 CIDR, prefix list or group. Desired and current rules are both
reduced this way, so the difference is exactly what to authorize, revoke or re-describe.
"""

from __future__ import annotations

import ipaddress

# Protocol names and numbers as AWS accepts them -> the name AWS returns.
PROTOCOLS = {
    "-1": "-1",
    "all": "-1",
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
}

# (rule option, IpPermission member, member's peer field)
PEERS = (
    ("cidr_ip", "IpRanges", "CidrIp"),
    ("cidr_ipv6", "Ipv6Ranges", "CidrIpv6"),
    ("ip_prefix", "PrefixListIds", "PrefixListId"),
    ("group_id", "UserIdGroupPairs", "GroupId"),
)
MEMBERS = {kind: (member, field) for kind, member, field in PEERS}

# The rule AWS adds to every new security group of a VPC: all IPv4 traffic out.
DEFAULT_EGRESS = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


class RuleError(ValueError):
    """A desired rule cannot be turned into AWS permissions (names the rule)."""


def _protocol(value) -> str:
    text = str(value if value is not None else "tcp").lower()
    return PROTOCOLS.get(text, text)


def _ports(proto: str, from_port, to_port) -> tuple:
    if proto == "-1":
        return None, None
    if from_port is None and to_port is None:
        return None, None
    from_port = int(from_port if from_port is not None else to_port)
    to_port = int(to_port if to_port is not None else from_port)
    return from_port, to_port


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _cidr(value: str, version: int) -> str:
    try:
        net = ipaddress.ip_network(str(value), strict=False)
    except ValueError as e:
        raise RuleError(f"{value!r} is not a CIDR block") from e
    if net.version != version:
        raise RuleError(f"{value!r} is not an IPv{version} CIDR block")
    return str(net)


def current_rules(permissions: list | None) -> dict:
    """IpPermissions (as DescribeSecurityGroups returns them) -> {key: description}."""
    out = {}
    for perm in permissions or []:
        proto = _protocol(perm.get("IpProtocol"))
        from_port, to_port = _ports(proto, perm.get("FromPort"), perm.get("ToPort"))
        for kind, member, field in PEERS:
            for entry in perm.get(member) or []:
                if field in entry:
                    out[(proto, from_port, to_port, kind, entry[field])] = entry.get("Description", "")
    return out


def wanted_rules(rules: list | None, group_id, prefix_list_id) -> dict:
    """The module's rule dicts -> {key: description}.

    ``group_id(name)`` and ``prefix_list_id(id or name)`` resolve peers; both raise RuleError.
    """
    out = {}
    for rule in rules or []:
        proto = _protocol(rule.get("proto"))
        from_port, to_port = _ports(proto, rule.get("from_port"), rule.get("to_port"))
        if proto in ("tcp", "udp") and from_port is None:
            raise RuleError(f"rule {rule!r}: {proto} needs from_port and to_port")
        peers = [("cidr_ip", _cidr(c, 4)) for c in _as_list(rule.get("cidr_ip"))]
        peers += [("cidr_ipv6", _cidr(c, 6)) for c in _as_list(rule.get("cidr_ipv6"))]
        peers += [("ip_prefix", prefix_list_id(p)) for p in _as_list(rule.get("ip_prefix"))]
        peers += [("group_id", g) for g in _as_list(rule.get("group_id"))]
        peers += [("group_id", group_id(n)) for n in _as_list(rule.get("group_name"))]
        if not peers:
            raise RuleError(
                f"rule {rule!r} names no peer (cidr_ip, cidr_ipv6, ip_prefix, group_id or group_name)"
            )
        for kind, peer in peers:
            out[(proto, from_port, to_port, kind, peer)] = rule.get("rule_desc") or ""
    return out


def _sort_key(key: tuple) -> tuple:
    return tuple("" if part is None else str(part).zfill(5) for part in key)


def ip_permissions(rules: dict, descriptions: bool = True) -> list:
    """{key: description} -> IpPermissions, one entry per protocol and port range."""
    perms: dict = {}
    for key in sorted(rules, key=_sort_key):
        proto, from_port, to_port, kind, peer = key
        perm = perms.get((proto, from_port, to_port))
        if perm is None:
            perm = {"IpProtocol": proto}
            if from_port is not None:
                perm.update(FromPort=from_port, ToPort=to_port)
            perms[(proto, from_port, to_port)] = perm
        member, field = MEMBERS[kind]
        entry = {field: peer}
        if descriptions and rules[key]:
            entry["Description"] = rules[key]
        perm.setdefault(member, []).append(entry)
    return list(perms.values())


def rule_views(rules: dict, names: dict, with_ids: bool = True) -> list:
    """{key: description} -> the module's rule dicts (group peers named when ``names`` knows them)."""
    views = []
    for key in sorted(rules, key=_sort_key):
        proto, from_port, to_port, kind, peer = key
        view = {"proto": proto, "from_port": from_port, "to_port": to_port}
        if kind == "group_id":
            if peer in names:
                view["group_name"] = names[peer]
            if with_ids or peer not in names:
                view["group_id"] = peer
        else:
            view[kind] = peer
        if rules[key]:
            view["rule_desc"] = rules[key]
        views.append(view)
    return views


def rule_changes(have: dict, want: dict) -> dict:
    """What turns ``have`` into ``want``: keys to authorize, to revoke, to re-describe."""
    return {
        "authorize": {k: d for k, d in want.items() if k not in have},
        "revoke": {k: d for k, d in have.items() if k not in want},
        "describe": {k: d for k, d in want.items() if k in have and have[k] != d},
    }


def has_changes(changes: dict) -> bool:
    return any(changes[part] for part in ("authorize", "revoke", "describe"))
