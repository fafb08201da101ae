#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: route_tables
short_description: Converge several route tables of one VPC (routes, subnet associations, tags) in one run
version_added: 0.1.0
description:
  - Creates the listed route tables of a VPC that are missing, identified by their C(Name) tag, and
    brings their routes, subnet associations and tags to the desired state.
  - Written because M(amazon.aws.ec2_vpc_route_table) handles one table per run, reads every table's
    tags of the VPC with one C(DescribeTags) each on every run, looks the subnets up again, and
    sleeps 5 s whenever it changed anything (a fixed pause before reading its own result back; AWS
    needs none). For the 3 tier tables of this collection's network role (measured back to back on
    a shared 2-core controller) a first run went from 3 module runs, 43 calls and 40 s (15 s of
    it sleeping) to one run, 11 calls and 13 s; a re-run that changes nothing from 36 calls and
    32 s to 1 call and 9 s.
  - One paginated C(DescribeRouteTables) filtered by VPC reads every table with its routes,
    associations and tags. Missing tables are created with their tags in C(CreateRouteTable) (with
    a client token). Routes change with C(CreateRoute), C(ReplaceRoute) (same destination, other
    target) and C(DeleteRoute); subnets with C(AssociateRouteTable), C(ReplaceRouteTableAssociation)
    (a subnet associated with another table is moved) and C(DisassociateRouteTable); tags with
    C(CreateTags) and C(DeleteTags).
  - The local route is never touched; routes a gateway VPC endpoint adds (target C(vpce-...)) are
    never deleted. Tables of the VPC that are not listed are left alone (except for losing a subnet
    a listed table takes over). Nothing is deleted; use M(amazon.aws.ec2_vpc_route_table) with
    C(state=absent) for that.
  - Supports check mode (no writes; changes predicted) and diff mode (each table's routes, subnets
    and tags before and after, keyed by name).
author:
  - pathwai platform engineering
options:
  vpc_id:
    description: The VPC of the route tables.
    type: str
    required: true
  route_tables:
    description: The route tables.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The table's C(Name) tag, unique among the VPC's tables; it identifies the table.
        type: str
        required: true
      tags:
        description: Tags besides C(Name). Omit to leave an existing table's other tags alone.
        type: dict
      subnets:
        description: >-
          Subnet ids to associate with the table. A subnet associated with another table is moved
          here. Omit to leave the associations alone.
        type: list
        elements: str
      routes:
        description: Routes besides the local route. Omit to leave the routes alone.
        type: list
        elements: dict
        suboptions:
          dest:
            description: Destination IPv4 or IPv6 CIDR block, or a prefix list id (C(pl-...)).
            type: str
            required: true
          gateway_id:
            description: An internet, virtual private or egress-only gateway.
            type: str
          transit_gateway_id:
            description: A transit gateway.
            type: str
          nat_gateway_id:
            description: A NAT gateway.
            type: str
          vpc_peering_connection_id:
            description: A VPC peering connection.
            type: str
          network_interface_id:
            description: A network interface.
            type: str
  purge_routes:
    description: Delete routes not listed (not the local route, nor a gateway endpoint's routes).
    type: bool
    default: true
  purge_subnets:
    description: Disassociate subnets not listed in O(route_tables[].subnets).
    type: bool
    default: true
  purge_tags:
    description: Remove tags not listed (tags starting with C(aws:) are never removed).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One table per tier; the ALB tier routes the IdP range through a transit gateway
  pathwai.airflow_ecs.route_tables:
    vpc_id: vpc-0123456789abcdef0
    purge_routes: false
    route_tables:
      - name: app-rt-private
        tags: {tier: private}
        subnets: [subnet-0a, subnet-0b]
        routes: []
      - name: app-rt-alb
        tags: {tier: alb}
        subnets: [subnet-0c, subnet-0d]
        routes:
          - {dest: 10.200.0.0/16, transit_gateway_id: tgw-0123456789abcdef0}
  register: tables

- name: Use a table id
  ansible.builtin.debug:
    msg: "{{ tables.route_table_ids['app-rt-alb'] }}"
"""

RETURN = r"""
route_table_ids:
  description: Route table id by name (null for a table check mode would create).
  returned: always
  type: dict
  sample: {"app-rt-private": "rtb-0a1b2c3d4e5f60718"}
route_tables:
  description: Every listed table after the run, by name.
  returned: always
  type: dict
  contains:
    route_table_id: {description: The id (null in check mode for a table to create)., type: str}
    tags: {description: The tags (C(Name) included)., type: dict}
    subnets: {description: The associated subnet ids., type: list, elements: str}
    routes: {description: The routes besides the local route., type: list, elements: dict}
changes:
  description: Per changed table, what was (or in check mode would be) created, moved, replaced or removed.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import route_tables_api as api
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.route_tables import (
    RouteError,
    association_changes,
    current_routes,
    route_changes,
    route_views,
    subnet_owners,
    wanted_routes,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_dict

ROUTE_OPTIONS = dict(
    dest=dict(type="str", required=True),
    gateway_id=dict(type="str"),
    transit_gateway_id=dict(type="str"),
    nat_gateway_id=dict(type="str"),
    vpc_peering_connection_id=dict(type="str"),
    network_interface_id=dict(type="str"),
)


def find_tables(module, tables: list) -> dict:
    """The VPC's tables by Name tag; a name on two tables fails (it cannot identify one)."""
    by_name: dict = {}
    for table in tables:
        name = tags_dict(table.get("Tags")).get("Name")
        if name is None:
            continue
        if name in by_name:
            module.fail_json(
                msg=f"route tables {by_name[name]['RouteTableId']} and {table['RouteTableId']} are both named {name}"
            )
        by_name[name] = table
    return by_name


def view(tags: dict, subnets: list, routes: dict) -> dict:
    return {"tags": tags, "subnets": sorted(subnets), "routes": route_views(routes)}


def converge(module, client) -> dict:
    params = module.params
    specs = params["route_tables"]
    names = [s["name"] for s in specs]
    if len(set(names)) != len(names):
        module.fail_json(msg="route_tables lists a name more than once")
    wanted_subnets = [s for spec in specs for s in spec["subnets"] or []]
    if len(set(wanted_subnets)) != len(wanted_subnets):
        module.fail_json(msg="a subnet is listed for more than one route table")
    wanted = {spec["name"]: wanted_routes(spec["routes"]) for spec in specs}  # fails before any write

    tables = api.vpc_route_tables(client, params["vpc_id"])
    by_name = find_tables(module, tables)
    owners = subnet_owners(tables)
    claimed = set(wanted_subnets)
    changes, before, after, result = {}, {}, {}, {}
    for spec in specs:
        name = spec["name"]
        table = by_name.get(name)
        want_tags = None if spec["tags"] is None else {**spec["tags"], "Name": name}
        table_changes = {}
        if table is None:
            tags = dict(want_tags or {"Name": name})
            table_id = None
            if not module.check_mode:
                table_id = api.create_route_table(client, params["vpc_id"], tags)
            table = {"RouteTableId": table_id, "Routes": [], "Associations": [], "Tags": []}
            table_changes["create"] = True
            have_tags, to_set, to_remove = tags, {}, []
        else:
            have_tags = tags_dict(table.get("Tags"))
            to_set, to_remove = tag_changes(have_tags, want_tags, params["purge_tags"])
            before[name] = view(
                have_tags,
                [s for s, (t, _) in owners.items() if t == table["RouteTableId"]],
                current_routes(table),
            )
        table_id = table["RouteTableId"]
        have_routes = current_routes(table)
        routes = (
            route_changes(have_routes, wanted[name], params["purge_routes"])
            if spec["routes"] is not None
            else {"create": {}, "replace": {}, "delete": {}}
        )
        subnets = (
            association_changes(table_id, spec["subnets"], owners, claimed, params["purge_subnets"])
            if spec["subnets"] is not None
            else {"associate": [], "replace": [], "disassociate": []}
        )
        if not module.check_mode:
            api.apply_routes(client, table_id, routes)
            api.apply_associations(client, table_id, subnets)
            api.apply_tags(client, table_id, to_set, to_remove)
        for part, items in routes.items():
            if items:
                table_changes[f"routes_{part}"] = (
                    route_views(items) if part != "delete" else sorted(d for _, d in items)
                )
        for part, items in subnets.items():
            if items:
                table_changes[f"subnets_{part}"] = [i if isinstance(i, str) else i[0] for i in items]
        if to_set or to_remove:
            table_changes["tags"] = {"set": to_set, "remove": to_remove}
        if table_changes:
            changes[name] = table_changes

        after_tags = {k: v for k, v in {**have_tags, **to_set}.items() if k not in to_remove}
        now_subnets = {s for s, (t, _) in owners.items() if t == table_id and table_id is not None}
        now_subnets = (now_subnets - {s for s, _ in subnets["disassociate"]}) | set(spec["subnets"] or [])
        after_routes = dict(have_routes)
        after_routes.update(routes["create"])
        after_routes.update(routes["replace"])
        for dest in routes["delete"]:
            after_routes.pop(dest)
        after[name] = view(after_tags, sorted(now_subnets), after_routes)
        result[name] = {"route_table_id": table_id, **after[name]}
    return dict(
        changed=bool(changes),
        changes=changes,
        route_tables=result,
        route_table_ids={n: t["route_table_id"] for n, t in result.items()},
        diff=diff_result(before, after),
    )


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        route_tables=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                tags=dict(type="dict"),
                subnets=dict(type="list", elements="str"),
                routes=dict(type="list", elements="dict", options=ROUTE_OPTIONS),
            ),
        ),
        purge_routes=dict(type="bool", default=True),
        purge_subnets=dict(type="bool", default=True),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "ec2", ["InvalidRouteTableID.NotFound"])
    what = f"converge the route tables of {module.params['vpc_id']}"
    run_module(module, lambda: converge(module, client), what, (RouteError,))


if __name__ == "__main__":
    main()
