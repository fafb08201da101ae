# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ECS task definitions: one canonical, comparable form for what we want and what AWS has.

Pure functions only (no AWS calls): ``ecs_task_definition_api`` reads and writes, the modules decide
with these.

``normalise_definition`` turns either side - the RegisterTaskDefinition request built from the
module's options, or a DescribeTaskDefinition response - into the same shape, so that a
definition AWS has merely decorated compares equal to what was asked for:

- read-only fields are dropped (ARN, revision, status, requiresAttributes, compatibilities,
  registeredAt/By, deregisteredAt, deleteRequestedAt);
- the defaults AWS fills in are filled in on both sides: container ``cpu`` 0 and ``essential``
  true; port mappings' ``protocol`` tcp and, under awsvpc/host networking, ``hostPort`` =
  ``containerPort``; health checks' ``interval`` 30, ``timeout`` 5, ``retries`` 3; EFS volumes'
  ``rootDirectory`` "/", ``transitEncryption`` DISABLED and ``authorizationConfig.iam`` DISABLED;
- values equal to AWS's documented default for "absent" are dropped: false booleans
  (``readOnly``, ``privileged``, ``readonlyRootFilesystem``, ``initProcessEnabled``, ...),
  ``startPeriod`` 0, ``versionConsistency`` "enabled", a disabled ``restartPolicy``,
  ``enableFaultInjection`` false, a ``runtimePlatform`` that says only LINUX;
- empty values (None, [], {}) are removed at every depth (AWS returns ``mountPoints: []``,
  ``volumesFrom: []``, ``systemControls: []``, ``placementConstraints: []``, ... for what was not
  given); empty strings are kept (an environment variable may be set to "");
- ``environment`` and ``secrets`` are sorted by name, ``requiresCompatibilities`` sorted;
- task ``cpu`` / ``memory`` are strings of CPU units / MiB ("1 vCPU" -> "1024", "2 GB" -> "2048",
  1024 -> "1024"), as AWS stores them.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import resulting_tags

READ_ONLY = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
)
# Tags with this prefix are markers other modules write on a revision (ecs_task_run's
# ``pathwai:run-succeeded``): never purged, never copied to a new revision.
MARKER_PREFIX = "pathwai:"

HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
CONTAINER_FALSE_DEFAULTS = (
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "interactive",
    "pseudoTerminal",
)
_VCPU = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*gb\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d+)\s*$")


class DefinitionError(ValueError):
    """The desired definition cannot be registered as given."""


def cpu_units(value) -> str | None:
    """Task CPU as AWS stores it: "1 vCPU" -> "1024", 512 -> "512", None -> None."""
    return _units(value, _VCPU, "cpu", "CPU units (1024) or vCPUs ('1 vCPU')")


def memory_mib(value) -> str | None:
    """Task memory as AWS stores it: "2 GB" -> "2048", 2048 -> "2048", None -> None."""
    return _units(value, _GB, "memory", "MiB (2048) or GB ('2 GB')")


def _units(value, pattern: re.Pattern, what: str, expected: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DefinitionError(f"{what} must be {expected}, not {value!r}")
    text = str(value)
    match = pattern.match(text)
    if match:
        return str(int(float(match.group(1)) * 1024))
    match = _NUMBER.match(text)
    if match:
        return str(int(match.group(1)))
    raise DefinitionError(f"{what} must be {expected}, not {value!r}")


def _prune(value):
    """Remove None, [] and {} at every depth (empty strings stay)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _prune(item)
            if item is None or item == [] or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_prune(v) for v in value if v is not None]
    return value


def _by_name(items: list | None) -> list:
    return sorted(items or [], key=lambda i: (str(i.get("name")), str(i.get("value", i.get("valueFrom")))))


def normalise_container(container: dict, network_mode: str | None) -> dict:
    c = copy.deepcopy(container)
    if c.get("cpu") is None:
        c["cpu"] = 0
    if c.get("essential") is None:
        c["essential"] = True
    for key in CONTAINER_FALSE_DEFAULTS:
        if c.get(key) is False:
            del c[key]
    mappings = []
    for mapping in c.get("portMappings") or []:
        mapping = dict(mapping)
        mapping.setdefault("protocol", "tcp")
        if (
            network_mode in ("awsvpc", "host")
            and "containerPort" in mapping
            and "containerPortRange" not in mapping
        ):
            mapping.setdefault("hostPort", mapping["containerPort"])
        mappings.append(mapping)
    c["portMappings"] = mappings
    c["environment"] = _by_name(c.get("environment"))
    c["secrets"] = _by_name(c.get("secrets"))
    c["mountPoints"] = [_drop_false(m, "readOnly") for m in c.get("mountPoints") or []]
    c["volumesFrom"] = [_drop_false(m, "readOnly") for m in c.get("volumesFrom") or []]
    health = c.get("healthCheck")
    if health:
        health = dict(health)
        if health.get("command"):
            for key, default in HEALTH_CHECK_DEFAULTS.items():
                if health.get(key) is None:
                    health[key] = default
        if not health.get("startPeriod"):
            health.pop("startPeriod", None)
        c["healthCheck"] = health
    linux = c.get("linuxParameters")
    if linux:
        c["linuxParameters"] = _drop_false(linux, "initProcessEnabled")
    if c.get("versionConsistency") == "enabled":
        del c["versionConsistency"]
    restart = c.get("restartPolicy")
    if isinstance(restart, dict) and not restart.get("enabled"):
        del c["restartPolicy"]
    return _prune(c)


def _drop_false(item: dict, key: str) -> dict:
    item = dict(item)
    if item.get(key) is False:
        del item[key]
    return item


def normalise_volume(volume: dict) -> dict:
    v = copy.deepcopy(volume)
    efs = v.get("efsVolumeConfiguration")
    if efs is not None:
        if not efs.get("rootDirectory"):
            efs["rootDirectory"] = "/"
        efs.setdefault("transitEncryption", "DISABLED")
        auth = dict(efs.get("authorizationConfig") or {})
        auth.setdefault("iam", "DISABLED")
        efs["authorizationConfig"] = auth
    return _prune(v)


def normalise_definition(definition: dict | None) -> dict | None:
    """The canonical, comparable form of a task definition (API shape, camelCase)."""
    if not definition:
        return None
    d = copy.deepcopy(definition)
    for key in (*READ_ONLY, "tags"):
        d.pop(key, None)
    network_mode = d.get("networkMode")
    d["cpu"] = cpu_units(d.get("cpu"))
    d["memory"] = memory_mib(d.get("memory"))
    d["containerDefinitions"] = [
        normalise_container(c, network_mode) for c in d.get("containerDefinitions") or []
    ]
    d["volumes"] = [normalise_volume(v) for v in d.get("volumes") or []]
    if d.get("requiresCompatibilities"):
        d["requiresCompatibilities"] = sorted(d["requiresCompatibilities"])
    if d.get("enableFaultInjection") is False:
        del d["enableFaultInjection"]
    platform = d.get("runtimePlatform")
    if (
        platform
        and not platform.get("cpuArchitecture")
        and platform.get("operatingSystemFamily") in (None, "LINUX")
    ):
        del d["runtimePlatform"]
    return _prune(d)


def _env_value(name: str, value) -> str:
    if isinstance(value, bool):
        raise DefinitionError(
            f"environment variable {name}: value {value!r} is a boolean; quote it ('true', 'True', ...) "
            "so that the container sees the exact string you mean"
        )
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def desired_definition(params: dict) -> dict:
    """The RegisterTaskDefinition request (without tags) the module's options describe."""
    containers = []
    for container in params.get("container_definitions") or []:
        container = copy.deepcopy(container)
        if not container.get("name"):
            raise DefinitionError("every container definition needs a name")
        if "environment" in container:
            container["environment"] = [
                {"name": e["name"], "value": _env_value(e["name"], e.get("value"))}
                for e in container.get("environment") or []
            ]
        containers.append(container)
    if not containers:
        raise DefinitionError("container_definitions must list at least one container")
    request = {
        "family": params["family"],
        "containerDefinitions": containers,
        "networkMode": params.get("network_mode") or "awsvpc",
        "requiresCompatibilities": list(params.get("requires_compatibilities") or []),
    }
    cpu, memory = cpu_units(params.get("cpu")), memory_mib(params.get("memory"))
    if cpu:
        request["cpu"] = cpu
    if memory:
        request["memory"] = memory
    if params.get("execution_role_arn"):
        request["executionRoleArn"] = params["execution_role_arn"]
    if params.get("task_role_arn"):
        request["taskRoleArn"] = params["task_role_arn"]
    platform = params.get("runtime_platform")
    if platform:
        request["runtimePlatform"] = {
            k: v
            for k, v in (
                ("cpuArchitecture", platform.get("cpu_architecture")),
                ("operatingSystemFamily", platform.get("operating_system_family") or "LINUX"),
            )
            if v
        }
    if params.get("ephemeral_storage_gib"):
        request["ephemeralStorage"] = {"sizeInGiB": int(params["ephemeral_storage_gib"])}
    if params.get("volumes"):
        request["volumes"] = copy.deepcopy(params["volumes"])
    return request


def definition_differences(current: dict | None, desired: dict) -> list[str]:
    """The top-level keys (and ``containerDefinitions[<name>]``) whose normalised forms differ."""
    have, want = normalise_definition(current) or {}, normalise_definition(desired) or {}
    differ = []
    for key in sorted(set(have) | set(want)):
        if key == "containerDefinitions":
            continue
        if have.get(key) != want.get(key):
            differ.append(key)
    have_c = {c.get("name"): c for c in have.get("containerDefinitions", [])}
    want_c = {c.get("name"): c for c in want.get("containerDefinitions", [])}
    for name in list(want_c) + [n for n in have_c if n not in want_c]:
        if have_c.get(name) != want_c.get(name):
            differ.append(f"containerDefinitions[{name}]")
    if not differ and [c.get("name") for c in have.get("containerDefinitions", [])] != list(want_c):
        differ.append("containerDefinitions(order)")
    return differ


def desired_tags(current: dict, wanted: dict | None, purge: bool) -> dict:
    """The tags a revision should end with. ``pathwai:`` markers on it are always kept."""
    markers = {k: v for k, v in current.items() if k.startswith(MARKER_PREFIX)}
    return {**markers, **resulting_tags({"tags": wanted, "purge_tags": purge}, current)}


def new_revision_tags(current: dict, wanted: dict | None) -> dict:
    """Tags for a new revision: the wanted ones (or the current revision's own, when none are
    given), without the ``pathwai:`` markers of the old revision (a new revision has not run)."""
    base = dict(current) if wanted is None else {k: "" if v is None else str(v) for k, v in wanted.items()}
    return {k: v for k, v in base.items() if not k.startswith(MARKER_PREFIX) or (wanted and k in wanted)}
