"""ECS task definitions: the defaults AWS fills in on RegisterTaskDefinition, latest ACTIVE revision.

What real AWS returns from RegisterTaskDefinition / DescribeTaskDefinition, and moto 5.2.5 does not:

- ``cpu`` / ``memory`` given as ``"1 vCPU"`` / ``"2 GB"`` are "converted to an integer indicating
  the CPU units [MiB] when the task definition is registered" (botocore's
  RegisterTaskDefinitionRequest documentation); moto keeps the string as given.
- ``portMappings`` under the ``awsvpc`` or ``host`` network mode come back with ``hostPort`` equal
  to ``containerPort`` (unless a ``containerPortRange`` is used) and ``protocol`` ``tcp`` when none
  was given (PortMapping documentation); moto returns the mapping as given.
- ``healthCheck`` comes back with ``interval`` 30, ``timeout`` 5 and ``retries`` 3 when they were
  not given (HealthCheck documentation; ``startPeriod`` stays absent: "by default it is off").
- RegisterTaskDefinition answers with the revision's ``tags`` next to ``taskDefinition``
  (RegisterTaskDefinitionResponse); moto leaves them out.
- Every container comes back with ``systemControls: []`` (next to the ``cpu: 0``,
  ``essential: true`` and empty ``portMappings``/``environment``/``mountPoints``/``volumesFrom``
  moto already fills; moto shares those default lists between containers: copied here).
- ``registeredAt``, ``registeredBy`` and ``requiresAttributes`` (the capabilities the definition
  needs, for example ``ecs.capability.task-eni`` for awsvpc) are set; ``deregisteredAt`` is set on
  DeregisterTaskDefinition.
- A Fargate-compatible definition needs task-level ``cpu`` and ``memory``: real AWS answers
  ``ClientException`` "Fargate requires that 'cpu' be defined at the task level." (and the same
  for memory); moto accepts it and fails later, inside RunTask.
- DescribeTaskDefinition (and every call that takes a task definition) given a bare family uses
  "the latest ACTIVE revision in that family"; moto takes the highest revision even when it is
  INACTIVE. A family with no ACTIVE revision: ``ClientException`` "Unable to describe task
  definition." (a family:revision or ARN still finds INACTIVE revisions).

EFS volumes: moto already fills ``rootDirectory: "/"`` as AWS does.
"""

from __future__ import annotations

import copy
import re

from moto.core.utils import utcnow
from moto.ecs.exceptions import EcsClientException, TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
_VCPU = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*gb\s*$", re.IGNORECASE)


def _units(value, pattern: re.Pattern) -> str | None:
    if value is None:
        return None
    match = pattern.match(str(value))
    if match:
        return str(int(float(match.group(1)) * 1024))
    return str(value).strip()


def _fill_container(container: dict, network_mode: str | None) -> dict:
    container = copy.deepcopy(container)
    container.setdefault("systemControls", [])
    for mapping in container.get("portMappings") or []:
        mapping.setdefault("protocol", "tcp")
        if (
            network_mode in ("awsvpc", "host")
            and "containerPort" in mapping
            and "containerPortRange" not in mapping
        ):
            mapping.setdefault("hostPort", mapping["containerPort"])
    health = container.get("healthCheck")
    if health and health.get("command"):
        for key, value in HEALTH_CHECK_DEFAULTS.items():
            health.setdefault(key, value)
    return container


def _required_attributes(definition) -> list[dict]:
    """The capability attributes ECS derives from a definition (the common ones)."""
    names = ["com.amazonaws.ecs.capability.docker-remote-api.1.18"]
    if definition.network_mode == "awsvpc":
        names.append("ecs.capability.task-eni")
    if getattr(definition, "task_role_arn", None):
        names.append("com.amazonaws.ecs.capability.task-iam-role")
    for container in definition.container_definitions:
        log = (container.get("logConfiguration") or {}).get("logDriver")
        if log:
            names.append(f"com.amazonaws.ecs.capability.logging-driver.{log}")
            if log == "awslogs" and getattr(definition, "execution_role_arn", None):
                names.append("ecs.capability.execution-role-awslogs")
        if container.get("healthCheck"):
            names.append("ecs.capability.container-health-check")
        for secret in container.get("secrets") or []:
            source = ":secretsmanager:" in secret.get("valueFrom", "")
            names.append(
                "ecs.capability.secrets.asm.environment-variables"
                if source
                else "ecs.capability.secrets.ssm.environment-variables"
            )
        if (container.get("linuxParameters") or {}).get("initProcessEnabled"):
            names.append("com.amazonaws.ecs.capability.docker-remote-api.1.25")
    for volume in definition.volumes or []:
        efs = volume.get("efsVolumeConfiguration")
        if efs:
            names.append("ecs.capability.efsAuth")
            names.append("ecs.capability.efs")
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return [{"name": n} for n in seen]


def apply() -> None:
    original_register = EC2ContainerServiceBackend.register_task_definition
    original_deregister = EC2ContainerServiceBackend.deregister_task_definition
    original_describe = EC2ContainerServiceBackend.describe_task_definition

    def register_task_definition(self, family, container_definitions, *args, **kwargs):
        kwargs["cpu"] = _units(kwargs.get("cpu"), _VCPU)
        kwargs["memory"] = _units(kwargs.get("memory"), _GB)
        compatibilities = kwargs.get("requires_compatibilities") or []
        if "FARGATE" in compatibilities:
            for what in ("cpu", "memory"):
                if not kwargs.get(what):
                    raise EcsClientException(f"Fargate requires that '{what}' be defined at the task level.")
        definition = original_register(self, family, container_definitions, *args, **kwargs)
        definition.container_definitions = [
            _fill_container(c, definition.network_mode) for c in definition.container_definitions
        ]
        definition.registered_at = utcnow()
        definition.registered_by = f"arn:aws:iam::{self.account_id}:root"
        definition.requires_attributes = _required_attributes(definition)
        return definition

    def deregister_task_definition(self, task_definition_str):
        definition = original_deregister(self, task_definition_str)
        if getattr(definition, "deregistered_at", None) is None:
            definition.deregistered_at = utcnow()
        return definition

    def describe_task_definition(self, task_definition_str):
        name = task_definition_str.split("/")[-1]
        if ":" in name:
            return original_describe(self, task_definition_str)
        revisions = self.task_definitions.get(name) or {}
        active = [r for r, d in revisions.items() if d.status == "ACTIVE"]
        if not active:
            raise TaskDefinitionNotFoundException()
        return revisions[max(active)]

    original_register_response = EC2ContainerServiceResponse.register_task_definition

    def register_task_definition_response(self):
        answer = original_register_response(self)
        definition = answer.result["taskDefinition"]
        if definition.tags:
            answer.result["tags"] = definition.tags
        return answer

    EC2ContainerServiceBackend.register_task_definition = register_task_definition
    EC2ContainerServiceResponse.register_task_definition = register_task_definition_response
    EC2ContainerServiceBackend.deregister_task_definition = deregister_task_definition
    EC2ContainerServiceBackend.describe_task_definition = describe_task_definition
