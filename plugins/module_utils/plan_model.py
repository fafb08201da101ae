# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The plan's resources, one shape for the inventory's plan and for the live account.

A resource is a dict::

    {"type": "AWS::EC2::SecurityGroup",   # its CloudFormation type
     "id": "SecurityGroupDagSync",        # CloudFormation logical id (alphanumeric, unique)
     "properties": {...},                 # CloudFormation properties, as the roles send them
     "sources": {"GroupDescription": "network_security_groups"}}  # property -> inventory variable

In the plan a reference to another planned resource is ``{"Ref": id}`` or
``{"Fn::GetAtt": [id, attribute]}``; in a live rendering it is the real id or ARN. Each layer's
builder (``plan_<layer>.py``) returns such resources and declares, per type, how Terraform's AWS
provider names it (``TERRAFORM``): :mod:`plan_render` turns the list into a CloudFormation template
and a ``terraform show -json`` document.
"""

from __future__ import annotations

import re

# The AWS documentation's example account: policies in a plan rendered from the inventory alone
# name it where the live account's id is not known yet (no AWS call is made to learn it).
PLAN_ACCOUNT = "111122223333"


def resource(rtype: str, logical_id: str, properties: dict, sources: dict | None = None) -> dict:
    return {"type": rtype, "id": logical_id, "properties": properties, "sources": dict(sources or {})}


def logical_id(*parts: str) -> str:
    """``logical_id("sg", "dag-sync")`` -> ``SgDagSync``: CloudFormation's alphanumeric ids."""
    words = re.split(r"[^A-Za-z0-9]+", " ".join(str(p) for p in parts))
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def ref(target: str) -> dict:
    return {"Ref": target}


def get_att(target: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [target, attribute]}


def tags(mapping: dict | None, **extra: str) -> list[dict]:
    """CloudFormation's tag list, sorted by key."""
    merged = {**(mapping or {}), **extra}
    return [{"Key": k, "Value": str(v)} for k, v in sorted(merged.items())]


def arn(service: str, region: str, account: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{rest}"


def by_id(resources: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for res in resources:
        if res["id"] in out:
            raise ValueError(f"two planned resources share the logical id {res['id']}")
        out[res["id"]] = res
    return out


# Logical ids shared across layers: a later layer's resources refer to an earlier layer's by these.
VPC_ID = "Vpc"
CLUSTER_ID = "EcsCluster"
ALB_ID = "Alb"
TARGET_GROUP_ID = "AlbTargetGroup"
ALERT_TOPIC_ID = "AlertTopic"


def key_id(purpose: str) -> str:
    """The customer-managed key of a purpose (``data``, ``secrets``, ``logs``, ...)."""
    return logical_id("kms", purpose)


def subnet_id(tier: str, zone: str) -> str:
    """``tier``: private, data or alb; ``zone``: the AZ name (its letter is used)."""
    return logical_id("subnet", tier, zone[-1])


def sg_id(name: str) -> str:
    """A security group of ``network_security_groups`` (``dag-sync`` -> ``SgDagSync``)."""
    return logical_id("sg", name)


def bucket_id(purpose: str) -> str:
    """``dags`` or ``logs``."""
    return logical_id("bucket", purpose)


def secret_id(name: str) -> str:
    """A secret by its short name under the environment's prefix (``db``, ``fernet_key``, ...)."""
    return logical_id("secret", name)


def log_group_id(component: str) -> str:
    return logical_id("logs", component)


def role_id(name: str) -> str:
    """An IAM role by its short name (``execution``, ``worker-task``, ...)."""
    return logical_id("role", name)


def service_id(service: str) -> str:
    return logical_id("service", service)


def task_definition_id(family: str) -> str:
    return logical_id("taskdef", family)


# The network role's flow log of the VPC.
FLOW_LOG_ID = "VpcFlowLog"


def scalable_target_id(service: str) -> str:
    """An autoscaled service's scalable target (``ScalingTargetWorker``)."""
    return logical_id("scaling", "target", service)


def scaling_policy_id(service: str, name: str) -> str:
    """A service's step policy by its short name (``scale-out`` -> ``ScalingPolicyWorkerScaleOut``)."""
    return logical_id("scaling", "policy", service, name)


def sg_rule_id(description: str) -> str:
    """A security-group rule by its description, unique by construction
    (``<group>-<direction>-<peer>-<protocol>-<port>``: ``alb-ingress-corporate-tcp-443`` ->
    ``SgAlbIngressCorporateTcp443``), so the plan and the live account name it alike."""
    return logical_id("sg", description)


def route_id(tier: str, destination: str) -> str:
    """A route of a tier's route table by its destination (``alb``, ``10.200.0.0/24`` ->
    ``RouteAlb102000024``)."""
    return logical_id("route", tier, re.sub(r"[^A-Za-z0-9]+", " ", destination))
