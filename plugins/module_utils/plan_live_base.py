# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What the live renderings of the plan share (``plan_live_<layer>.py``).

Each layer reads one environment of the live account (read-only) and adds resources in the
plan's shape (:func:`plan_model.resource`), under the logical ids the plan gives them, with the
real ids and ARNs as property values. :class:`Live` also records which real id or ARN belongs to
which logical id (``physical``) so that :func:`link` turns those values into ``Ref``/``GetAtt``
references, giving the live rendering the same edges as the plan's.
"""

from __future__ import annotations

import copy

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_model
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import link_physical_ids

# Properties holding policy documents: ARNs inside them stay concrete strings (as in the plan).
POLICY_PROPERTIES = (
    "AssumeRolePolicyDocument",
    "Policies",
    "KeyPolicy",
    "PolicyDocument",
    "FileSystemPolicy",
)


class Live:
    """The live rendering being built: resources, policy documents and real id -> logical id."""

    def __init__(self, scope: dict, client):
        self.scope = scope
        self.client = client  # client(service) -> a retrying boto3 client
        self.resources: list[dict] = []
        self.policies: list[dict] = []
        self.physical: dict[str, str] = {}
        # Names that stand for a resource where a reference is meant (a log group in a task
        # definition, the DB instance in an alarm): used by by_name, never swapped blindly
        # (a name may also be a literal elsewhere, as the cluster's is the dashboard's).
        self.names: dict[str, str] = {}
        self._ids: set[str] = set()

    @property
    def prefix(self) -> str:
        return self.scope["name_prefix"]

    def add(self, rtype: str, logical: str, properties: dict, ref=None, arn=None) -> str:
        """Add a resource; ``ref`` (its ``Ref`` value) and ``arn`` (its ``Arn``) are linked.
        A second resource with the same logical id gets a numbered one (never dropped)."""
        unique, n = logical, 2
        while unique in self._ids:
            unique, n = f"{logical}{n}", n + 1
        self._ids.add(unique)
        properties = {k: v for k, v in _clean(properties).items() if v != ""}
        self.resources.append(plan_model.resource(rtype, unique, properties))
        if ref:
            self.physical[ref] = unique
        if arn:
            self.physical[arn] = f"{unique}.Arn"
        return unique

    def by_name(self, value):
        """``{"Ref": <logical id>}`` for the name of a resource read before, else the value."""
        return plan_model.ref(self.names[value]) if isinstance(value, str) and value in self.names else value

    def policy(self, name: str, kind: str, document) -> None:
        if document:
            self.policies.append({"name": name, "kind": kind, "document": document})


def _clean(value):
    """Drop ``None``, empty lists and dicts: CloudFormation leaves such properties unset (an empty
    string is dropped only as a whole property: a tag or variable may be empty)."""
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def link(resources: list[dict], physical: dict[str, str]) -> list[dict]:
    """:func:`plan_render.link_physical_ids`, except inside policy documents (concrete ARNs)."""
    linked = link_physical_ids(resources, physical)
    for original, out in zip(resources, linked, strict=True):
        for key in POLICY_PROPERTIES:
            if key in original["properties"]:
                out["properties"][key] = copy.deepcopy(original["properties"][key])
    return linked


def tags(found, *, lower: bool = False, key: str = "Key", value: str = "Value") -> list[dict]:
    """AWS's tags (a list of key/value pairs, any casing, or a dict) as CloudFormation's sorted
    tag list; tags AWS reserves (``aws:``) are left out (CloudFormation refuses them)."""
    if isinstance(found, dict):
        pairs = found.items()
    elif lower:
        pairs = ((t["key"], t.get("value", "")) for t in found or [])
    else:
        pairs = ((t[key], t.get(value, "")) for t in found or [])
    return [{"Key": k, "Value": v} for k, v in sorted(pairs) if not k.startswith("aws:")]


def tag(found, name: str, default: str | None = None) -> str | None:
    return next((t["Value"] for t in found or [] if t["Key"] == name), default)


def short(name: str, prefix: str) -> str:
    """``airflow-dev-dag-sync`` -> ``dag-sync`` for the prefix ``airflow-dev``."""
    return name[len(prefix) + 1 :] if name.startswith(prefix + "-") else name


def pascal(value, keep: tuple = ()):
    """ECS's camelCase structures as CloudFormation's PascalCase (keys of maps named in
    ``keep`` are user data and stay as they are)."""
    if isinstance(value, list):
        return [pascal(v, keep) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        name = RENAMES.get(k, k[:1].upper() + k[1:])
        out[name] = v if k in keep else pascal(v, keep)
    return out


# ECS API names whose CloudFormation name is not the PascalCase of the API's.
RENAMES = {"efsVolumeConfiguration": "EFSVolumeConfiguration", "fileSystemId": "FilesystemId", "iam": "IAM"}


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""
