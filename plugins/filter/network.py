# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Filters for the network layer: input checks and security-group rule tables."""

from __future__ import annotations

import ipaddress

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy_documents import service_trust_policy

# network_idp_route_target value that makes the role create and attach a virtual private gateway.
VPN_GATEWAY = "vpn-gateway"


def _net(value):
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        return None


def network_problems(cfg: dict) -> list[str]:
    """Every reason the network inventory cannot be built, each naming the variable and value.

    ``cfg`` holds the network role's variables without their ``network_`` prefix.
    """
    problems: list[str] = []
    vpc = _net(cfg.get("vpc_cidr"))
    if vpc is None:
        problems.append(
            f"network_vpc_cidr={cfg.get('vpc_cidr')!r} is not a valid CIDR block (e.g. 10.0.0.0/16)"
        )
    elif not (16 <= vpc.prefixlen <= 28) or vpc.version != 4:
        problems.append(
            f"network_vpc_cidr={cfg['vpc_cidr']!r} must be an IPv4 block from /16 to /28 (AWS limit)"
        )
    azs = list(cfg.get("availability_zones") or [])
    if len(set(azs)) < 2:
        problems.append(
            f"network_availability_zones={azs!r} needs at least two distinct AZs for high availability"
        )
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for tier in ("private", "data", "alb"):
        name = f"network_{tier}_subnet_cidrs"
        cidrs = list(cfg.get(f"{tier}_subnet_cidrs") or [])
        if len(cidrs) != len(azs):
            problems.append(f"{name}={cidrs!r} must have one subnet per availability zone ({len(azs)})")
        for cidr in cidrs:
            net = _net(cidr)
            if net is None:
                problems.append(f"{name} has {cidr!r}, which is not a valid CIDR block")
                continue
            if vpc is not None and not net.subnet_of(vpc):
                problems.append(f"{name} has {cidr!r}, which is outside network_vpc_cidr={cfg['vpc_cidr']!r}")
            for other_name, other in seen:
                if net.overlaps(other):
                    problems.append(f"{name} has {cidr!r}, which overlaps {other} in {other_name}")
            seen.append((name, net))
    if cfg.get("nat_gateway"):
        problems.append(
            "network_nat_gateway=true: this platform has no NAT gateway by design (ADR-001); "
            "AWS is reached through VPC endpoints. Remove the variable or set it to false"
        )
    if cfg.get("internet_gateway"):
        problems.append(
            "network_internet_gateway=true: the VPC has no internet gateway and no route to the internet "
            "by design (ADR-001). Remove the variable or set it to false"
        )
    if cfg.get("alb_scheme", "internal") != "internal":
        problems.append(
            f"network_alb_scheme={cfg.get('alb_scheme')!r}: the ALB is internal only (ADR-006); "
            "a public ALB would need an internet gateway"
        )
    for name in ("corporate_cidrs", "idp_cidrs"):
        for cidr in cfg.get(name) or []:
            net = _net(cidr)
            if net is None:
                problems.append(f"network_{name} has {cidr!r}, which is not a valid CIDR block")
            elif net.prefixlen == 0:
                problems.append(
                    f"network_{name} has {cidr!r}: an open range is not allowed (no 0.0.0.0/0 or ::/0)"
                )
    if cfg.get("idp_cidrs") and not cfg.get("idp_route_target"):
        problems.append(
            "network_idp_cidrs is set but network_idp_route_target is empty: name the transit gateway "
            "(tgw-...) or virtual private gateway (vgw-...) that routes to the IdP"
        )
    target = cfg.get("idp_route_target") or ""
    if target and target != VPN_GATEWAY and not target.startswith(("tgw-", "vgw-")):
        problems.append(
            f"network_idp_route_target={target!r} must be a transit gateway (tgw-...), a virtual private "
            f"gateway (vgw-...) or {VPN_GATEWAY!r} (the role creates and attaches one); internet and NAT "
            "gateways are not allowed"
        )
    problems.extend(_aws_problems(cfg))
    if "flow_logs_retention_days" in cfg:
        problem = aws_rules.property_problem(
            "network_flow_logs_retention_days",
            cfg["flow_logs_retention_days"],
            "AWS::Logs::LogGroup",
            "RetentionInDays",
        )
        problems.extend([problem] if problem else [])
        if str(cfg.get("flow_logs_traffic_type")) != "ALL":
            problems.append(
                f"network_flow_logs_traffic_type={cfg.get('flow_logs_traffic_type')!r} must be ALL "
                "(accepted and rejected traffic: the record that there is no path out)"
            )
    return problems


def _aws_problems(cfg: dict) -> list[str]:
    """What AWS itself would refuse: the region, zones outside it, security-group names and
    descriptions (cfn-lint's AWS::EC2::SecurityGroup schema) and rule descriptions."""
    problems: list[str] = []
    region = cfg.get("region") or ""
    if region:
        problem = aws_rules.region_problem("airflow_region", region)
        problems.extend([problem] if problem else [])
        if not problem:
            problems.extend(
                aws_rules.zone_problems(
                    "network_availability_zones", cfg.get("availability_zones"), region, "airflow_region"
                )
            )
    prefix = str(cfg.get("name_prefix") or "")
    links = aws_rules.prefix_links("network", prefix, cfg.get("project", ""), cfg.get("env", ""))
    for short, group in expand_mirrors(cfg.get("security_groups") or {}).items():
        where = f"network_security_groups.{short}"
        group = group if isinstance(group, dict) else {}
        problems.extend(
            filter(
                None,
                [
                    aws_rules.property_problem(
                        f"{where}.description",
                        group.get("description", ""),
                        "AWS::EC2::SecurityGroup",
                        "GroupDescription",
                        region or aws_rules.DEFAULT_REGION,
                    ),
                    aws_rules.blame(
                        aws_rules.property_problem(
                            f"the security group name of {where}",
                            f"{prefix}-{short}",
                            "AWS::EC2::SecurityGroup",
                            "GroupName",
                        ),
                        links,
                    ),
                ],
            )
        )
        for direction in ("ingress", "egress"):
            for index, rule in enumerate(group.get(direction) or []):
                peers = [rule.get("peer", "cidr")] if rule.get("cidrs") else []
                peers += list(rule.get("groups") or []) + (
                    [rule["prefix_list"]] if rule.get("prefix_list") else []
                )
                for peer in peers:
                    description = _rule_description(short, direction, peer, rule.get("port"))
                    problem = aws_rules.rule_description_problem(
                        f"{where}.{direction}[{index}] (rule description)", description
                    )
                    problems.extend([problem] if problem else [])
    return problems


def _rule_description(group: str, direction: str, peer: str, port) -> str:
    return f"{group}-{direction}-{peer}-tcp-{port}"


def expand_mirrors(table: dict) -> dict:
    """The table with each ``mirror: egress`` ingress rule turned into ``groups``: every group of
    the table whose egress names this group on that port (so a pairing is written once, on the
    side that opens the connection, and a new service group needs no edit of the stores' rows)."""
    out = {}
    for short, group in (table or {}).items():
        group = dict(group) if isinstance(group, dict) else group
        if isinstance(group, dict) and group.get("ingress"):
            rules = []
            for rule in group["ingress"]:
                if isinstance(rule, dict) and rule.get("mirror") == "egress":
                    port = str(rule.get("port"))
                    peers = [
                        other
                        for other, row in table.items()
                        if isinstance(row, dict)
                        and any(
                            str(e.get("port")) == port and short in (e.get("groups") or [])
                            for e in row.get("egress") or []
                        )
                    ]
                    rule = {k: v for k, v in rule.items() if k != "mirror"} | {"groups": peers}
                rules.append(rule)
            group["ingress"] = rules
        out[short] = group
    return out


def security_group_specs(table: dict, prefix: str, prefix_list_ids: dict | None = None) -> list[dict]:
    """Turn the role's rule table into amazon.aws.ec2_security_group arguments.

    Each entry of ``table`` is ``{short name: {description, ingress: [...], egress: [...]}}``; a
    rule has ``port`` and one of ``groups`` (short names), ``cidrs`` (+ ``peer``) or
    ``prefix_list`` (a key of ``prefix_list_ids``). Rule descriptions follow the seed's
    ``{service}-{direction}-{source/dest}-{protocol}-{port}`` convention.
    """
    prefix_list_ids = prefix_list_ids or {}
    specs = []
    for short, group in expand_mirrors(table).items():
        spec = {"short": short, "name": f"{prefix}-{short}", "description": group["description"]}
        for direction, key in (("ingress", "rules"), ("egress", "rules_egress")):
            rules = []
            for rule in group.get(direction) or []:
                port = int(rule["port"])
                base = {"proto": "tcp", "from_port": port, "to_port": port}
                for peer in rule.get("groups") or []:
                    desc = _rule_description(short, direction, peer, port)
                    rules.append({**base, "group_name": f"{prefix}-{peer}", "rule_desc": desc})
                for cidr in rule.get("cidrs") or []:
                    desc = _rule_description(short, direction, rule.get("peer", "cidr"), port)
                    rules.append({**base, "cidr_ip": cidr, "rule_desc": desc})
                if rule.get("prefix_list"):
                    desc = _rule_description(short, direction, rule["prefix_list"], port)
                    pl_id = prefix_list_ids.get(rule["prefix_list"], f"<{rule['prefix_list']} prefix list>")
                    rules.append({**base, "ip_prefix": pl_id, "rule_desc": desc})
            spec[key] = rules
        specs.append(spec)
    return specs


def security_group_args(specs: list, tags: dict | None = None) -> list[dict]:
    """``security_group_specs`` output -> the ``groups`` of pathwai.airflow_ecs.security_groups.

    Each group is tagged with ``tags`` plus its ``Name`` and ``airflow:component`` (its short name).
    """
    return [
        {
            "name": spec["name"],
            "description": spec["description"],
            "tags": {**(tags or {}), "Name": spec["name"], "airflow:component": spec["short"]},
            "rules": spec["rules"],
            "rules_egress": spec["rules_egress"],
        }
        for spec in specs
    ]


def route_specs(cidrs: list, target: str) -> list[dict]:
    """Routes for amazon.aws.ec2_vpc_route_table: each CIDR via the transit or virtual private gateway."""
    key = "transit_gateway_id" if str(target).startswith("tgw-") else "gateway_id"
    return [{"dest": cidr, key: target} for cidr in cidrs or []]


def flow_log_role(cfg: dict) -> dict:
    """The flow-log delivery role, as a pathwai.airflow_ecs.iam_roles entry: trusted by VPC Flow Logs for
    this account's flow logs only (aws:SourceAccount, aws:SourceArn), allowed to write to its one log group.

    ``cfg``: name, log_group_name, region, account_id, tags."""
    account, region = cfg["account_id"], cfg["region"]
    group = f"arn:aws:logs:{region}:{account}:log-group:{cfg['log_group_name']}"
    trust = service_trust_policy(
        "vpc-flow-logs.amazonaws.com", account, f"arn:aws:ec2:{region}:{account}:vpc-flow-log/*"
    )
    deliver = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogRecords",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [group, f"{group}:log-stream:*"],
            }
        ],
    }
    return {
        "name": cfg["name"],
        "description": "VPC Flow Logs delivery to its one log group",
        "assume_role_policy": trust,
        "inline_policies": {cfg["name"]: deliver},
        "tags": cfg.get("tags") or {},
    }


class FilterModule:
    def filters(self):
        return {
            "network_problems": network_problems,
            "security_group_specs": security_group_specs,
            "security_group_args": security_group_args,
            "route_specs": route_specs,
            "flow_log_role": flow_log_role,
        }
