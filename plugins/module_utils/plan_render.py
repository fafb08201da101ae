# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Render the plan's resources (:mod:`plan_model`) for the field's scanners.

- :func:`cloudformation`: a CloudFormation template, read by cfn-lint (AWS's property patterns,
  lengths, enumerations, engine versions, Fargate sizes).
- :func:`terraform_plan`: a ``terraform show -json`` document (``planned_values``,
  ``resource_changes`` with ``change.after``, ``configuration`` with the references between
  resources), read by Checkov's ``terraform_plan`` framework and by OPA policies written for
  Terraform plans, the seed's ``no-nat.rego`` among them.

Each CloudFormation type is turned into Terraform's AWS-provider resources by a converter that the
layer's builder declares (``TERRAFORM`` in ``plan_<layer>.py``): ``converter(resource)`` returns
``[(tf_type, name_suffix, values), ...]``, the main resource first with suffix ``""``. A value
``tf_ref(property)`` stands for a reference to another planned resource: unknown until apply, and a
``references`` expression in ``configuration`` so that Checkov's graph checks see the edge.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import by_id

PROVIDER = "registry.terraform.io/hashicorp/aws"
_REF = "__ref__"


def cloudformation(resources: list[dict], description: str) -> dict:
    by_id(resources)  # refuses duplicate ids
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Resources": {r["id"]: {"Type": r["type"], "Properties": r["properties"]} for r in resources},
    }


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def tf_ref(value, attribute: str = "id"):
    """A CloudFormation reference as a Terraform reference placeholder (lists element-wise)."""
    if isinstance(value, list):
        return [tf_ref(v, attribute) for v in value]
    if isinstance(value, dict) and "Ref" in value:
        return {_REF: [value["Ref"], attribute]}
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target, att = value["Fn::GetAtt"]
        return {_REF: [target, _snake(att.replace(".", ""))]}
    return value


def tf_tags(tag_list) -> dict:
    """CloudFormation's tag list as Terraform's ``tags`` map."""
    return {t["Key"]: t["Value"] for t in tag_list or []}


def _resolve(value, addresses: dict[str, str]):
    """(values, after_unknown, expressions) for one value tree."""
    if isinstance(value, dict) and _REF in value:
        target, attribute = value[_REF]
        address = addresses[target]
        return None, True, {"references": [f"{address}.{attribute}", address]}
    if isinstance(value, dict):
        values, unknown, expressions = {}, {}, {}
        for key, item in value.items():
            values[key], u, e = _resolve(item, addresses)
            if u:
                unknown[key] = u
            if e:
                expressions[key] = e
        return values, unknown, expressions
    if isinstance(value, list):
        parts = [_resolve(item, addresses) for item in value]
        values = [p[0] for p in parts]
        unknown = [p[1] or False for p in parts] if any(p[1] for p in parts) else {}
        refs = [r for p in parts if p[2] for r in p[2].get("references", [])]
        nested = [p[2] for p in parts if p[2] and "references" not in p[2]]
        if refs:
            expressions = {"references": refs}
        elif nested:
            expressions = [p[2] or {} for p in parts]
        else:
            expressions = {}
        return values, unknown, expressions
    return value, {}, {}


def terraform_blocks(resources: list[dict], converters: dict) -> list[dict]:
    """Every resource as Terraform blocks ``{type, name, values}`` with references still open."""
    blocks = []
    for res in resources:
        convert = converters.get(res["type"])
        if convert is None:
            raise ValueError(f"no Terraform rendering for {res['type']} ({res['id']})")
        for tf_type, suffix, values in convert(copy.deepcopy(res)):
            name = f"{res['id']}{suffix}"
            blocks.append({"type": tf_type, "name": name, "id": res["id"], "values": values})
    return blocks


def terraform_plan(resources: list[dict], converters: dict, region: str) -> dict:
    blocks = terraform_blocks(resources, converters)
    addresses: dict[str, str] = {}
    for block in blocks:
        addresses.setdefault(block["id"], f"{block['type']}.{block['name']}")
    planned, changes, config = [], [], []
    for block in blocks:
        address = f"{block['type']}.{block['name']}"
        values, unknown, expressions = _resolve(block["values"], addresses)
        head = {"address": address, "mode": "managed", "type": block["type"], "name": block["name"]}
        planned.append({**head, "provider_name": PROVIDER, "schema_version": 0, "values": values})
        changes.append(
            {
                **head,
                "provider_name": PROVIDER,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": unknown or {},
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        config.append({**head, "provider_config_key": "aws", "expressions": expressions or {}})
    provider = {"aws": {"name": "aws", "expressions": {"region": {"constant_value": region}}}}
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": provider,
            "root_module": {"resources": config},
        },
    }


def link_physical_ids(resources: list[dict], physical: dict[str, str]) -> list[dict]:
    """Live renderings: ``physical`` maps a real id or ARN to ``"<logical id>"`` or
    ``"<logical id>.Arn"``; every property value equal to one becomes a reference, so the live
    account's rendering carries the same edges as the plan's."""

    def swap(value):
        if isinstance(value, str) and value in physical:
            target, _, attribute = physical[value].partition(".")
            return {"Fn::GetAtt": [target, attribute]} if attribute else {"Ref": target}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    return [{**r, "properties": swap(r["properties"])} for r in resources]


def tf_flow_log(res: dict) -> list:
    """AWS::EC2::FlowLog as aws_flow_log (the plan's flow logs and a live account's)."""
    p = res["properties"]
    values = {
        "vpc_id": tf_ref(p.get("ResourceId")),
        "traffic_type": p.get("TrafficType"),
        "log_destination_type": p.get("LogDestinationType"),
        "log_destination": p.get("LogDestination"),
        "log_group_name": tf_ref(p.get("LogGroupName")),
        "iam_role_arn": tf_ref(p.get("DeliverLogsPermissionArn"), "arn"),
        "max_aggregation_interval": p.get("MaxAggregationInterval"),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_flow_log", "", {k: v for k, v in values.items() if v is not None})]
