# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Route tables: routes and subnet associations, desired against current (pure functions)."""

from __future__ import annotations

# Route targets the module accepts, as option name -> Route member.
TARGETS = {
    "gateway_id": "GatewayId",
    "transit_gateway_id": "TransitGatewayId",
    "nat_gateway_id": "NatGatewayId",
    "vpc_peering_connection_id": "VpcPeeringConnectionId",
    "network_interface_id": "NetworkInterfaceId",
}
DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")


class RouteError(ValueError):
    """A desired route or association cannot be made (names it)."""


def destination(dest: str) -> tuple[str, str]:
    """A route's destination -> (Route member, value): IPv4, IPv6 or a prefix list."""
    if dest.startswith("pl-"):
        return "DestinationPrefixListId", dest
    return ("DestinationIpv6CidrBlock" if ":" in dest else "DestinationCidrBlock"), dest


def wanted_routes(routes: list | None) -> dict:
    """The module's route dicts -> {(member, destination): {target member: id}}."""
    out = {}
    for route in routes or []:
        targets = {TARGETS[k]: v for k, v in route.items() if k in TARGETS and v}
        if len(targets) != 1:
            raise RouteError(f"route {route!r} needs exactly one target ({', '.join(TARGETS)})")
        out[destination(route["dest"])] = targets
    return out


def current_routes(table: dict) -> dict:
    """The table's own routes (not the local route) -> {(member, destination): {target member: id}}."""
    out = {}
    for route in table.get("Routes") or []:
        if route.get("Origin") == "CreateRouteTable":
            continue
        dest = next(((m, route[m]) for m in DESTINATIONS if route.get(m)), None)
        if dest is None:
            continue
        out[dest] = {m: route[m] for m in list(TARGETS.values()) if route.get(m)}
    return out


def route_changes(have: dict, want: dict, purge: bool) -> dict:
    """Routes to create, to replace (same destination, other target) and to delete."""
    return {
        "create": {d: t for d, t in want.items() if d not in have},
        "replace": {d: t for d, t in want.items() if d in have and have[d] != t},
        # A gateway endpoint's routes belong to the endpoint; AWS refuses to delete them here.
        "delete": {
            d: t
            for d, t in have.items()
            if purge and d not in want and not str(t.get("GatewayId", "")).startswith("vpce-")
        },
    }


def subnet_owners(tables: list) -> dict:
    """{subnet id: (route table id, association id)} over the VPC's explicit associations."""
    owners = {}
    for table in tables:
        for assoc in table.get("Associations") or []:
            state = (assoc.get("AssociationState") or {}).get("State", "associated")
            if assoc.get("SubnetId") and state in ("associated", "associating"):
                owners[assoc["SubnetId"]] = (table["RouteTableId"], assoc["RouteTableAssociationId"])
    return owners


def association_changes(table_id: str, wanted: list, owners: dict, claimed: set, purge: bool) -> dict:
    """Subnets to associate, to move here from another table, and associations to remove.

    ``claimed`` holds every subnet some listed table wants: those are never disassociated here
    (the table that wants them moves them).
    """
    changes: dict = {"associate": [], "replace": [], "disassociate": []}
    for subnet in sorted(set(wanted)):
        owner = owners.get(subnet)
        if owner is None:
            changes["associate"].append(subnet)
        elif owner[0] != table_id:
            changes["replace"].append((subnet, owner[1]))
    if purge:
        for subnet, (owner_table, assoc_id) in sorted(owners.items()):
            if owner_table == table_id and subnet not in wanted and subnet not in claimed:
                changes["disassociate"].append((subnet, assoc_id))
    return changes


def route_views(routes: dict) -> list:
    """{(member, destination): targets} -> the module's route dicts, sorted by destination."""
    names = {v: k for k, v in TARGETS.items()}
    return [
        {"dest": dest, **{names[m]: v for m, v in targets.items()}}
        for (_, dest), targets in sorted(routes.items(), key=lambda item: item[0][1])
    ]
