# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The live account's rendering of the plan: one environment read layer by layer (read-only) into
the plan's resources (:mod:`plan_model`: CloudFormation type, the plan's logical id, properties),
the real ids and ARNs linked into references (:func:`plan_live_base.link`), and every policy
document found (``{name, kind, document}``). :mod:`plan_render` renders the result as the plan's
(CloudFormation template, ``terraform show -json`` document), so the gate judges a deployed
stack with the same rules as the plan."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_alb import alb
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import Live, link
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_compute import compute
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_data import data
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_kms import kms
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_monitoring import monitoring
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_network import (
    TERRAFORM as NETWORK_TF,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_network import network

# In this order: later layers name earlier layers' resources (subnets, keys) by their logical ids.
LAYERS = {
    "network": network,
    "kms": kms,
    "data": data,
    "alb": alb,
    "compute": compute,
    "monitoring": monitoring,
}

# Terraform converters for the types only a live account holds (a NAT or internet gateway and its
# attachment): added over the layers' converters when a live rendering is turned into a plan.
TERRAFORM = dict(NETWORK_TF)


def live_plan(client, scope: dict, layers=tuple(LAYERS)) -> dict:
    """``client(service)``: a retrying boto3 client; ``scope``: ``env``, ``name_prefix`` and the
    names the roles give (see the plan_live_info module). Returns ``resources`` (linked),
    ``policies`` and ``physical_ids`` (real id or ARN -> ``<logical id>`` or ``<logical id>.Arn``)."""
    live = Live(scope, client)
    for name, read in LAYERS.items():
        if name in layers:
            read(live)
    # The network layer reads flow logs before the data layer reads log groups: name them now.
    for res in live.resources:
        if res["type"] == "AWS::EC2::FlowLog" and "LogGroupName" in res["properties"]:
            res["properties"]["LogGroupName"] = live.by_name(res["properties"]["LogGroupName"])
    return {
        "resources": link(live.resources, live.physical),
        "policies": live.policies,
        "physical_ids": dict(sorted(live.physical.items())),
    }
