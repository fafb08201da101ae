# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Route tables: the EC2 calls (one paginated read for the VPC; writes per route and association)."""

from __future__ import annotations

import uuid

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import paginate
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tags_list


def vpc_route_tables(client, vpc_id: str) -> list:
    """Every route table of the VPC with its routes, associations and tags (one paginated read)."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return paginate(client, "describe_route_tables", Filters=filters).get("RouteTables", [])


def create_route_table(client, vpc_id: str, tags: dict) -> str:
    """Create the table with its tags in the same call.

    The client token is fresh per create: a retry of this call returns the same table, while a
    later run (say after the table was deleted) is not handed back the deleted table's id.
    """
    request = {"VpcId": vpc_id, "ClientToken": str(uuid.uuid4())}
    if tags:
        request["TagSpecifications"] = [{"ResourceType": "route-table", "Tags": tags_list(tags)}]
    return client.create_route_table(**request, aws_retry=True)["RouteTable"]["RouteTableId"]


def apply_routes(client, table_id: str, changes: dict) -> None:
    for (member, dest), targets in sorted(changes["create"].items()):
        client.create_route(RouteTableId=table_id, **{member: dest}, **targets, aws_retry=True)
    for (member, dest), targets in sorted(changes["replace"].items()):
        client.replace_route(RouteTableId=table_id, **{member: dest}, **targets, aws_retry=True)
    for member, dest in sorted(changes["delete"]):
        client.delete_route(RouteTableId=table_id, **{member: dest}, aws_retry=True)


def apply_associations(client, table_id: str, changes: dict) -> None:
    for subnet in changes["associate"]:
        client.associate_route_table(RouteTableId=table_id, SubnetId=subnet, aws_retry=True)
    for _, assoc_id in changes["replace"]:
        client.replace_route_table_association(AssociationId=assoc_id, RouteTableId=table_id, aws_retry=True)
    for _, assoc_id in changes["disassociate"]:
        client.disassociate_route_table(AssociationId=assoc_id, aws_retry=True)


def apply_tags(client, table_id: str, to_set: dict, to_remove: list) -> None:
    if to_remove:
        client.delete_tags(Resources=[table_id], Tags=[{"Key": k} for k in to_remove], aws_retry=True)
    if to_set:
        client.create_tags(Resources=[table_id], Tags=tags_list(to_set), aws_retry=True)
