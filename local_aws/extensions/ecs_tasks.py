"""ECS tasks from RunTask: Fargate with task-level memory, one container per definition, exit codes.

What real AWS does and moto 5.2.5 does not:

- RunTask on Fargate with a definition that sets ``memory`` only at the task level (the usual
  Fargate shape: container-level memory is optional) works; moto fails with HTTP 500 (it adds up
  container-level memory and meets ``None``). Here a task reserves the task-level cpu/memory when
  the definition has them, else the sum of its containers' (a missing value counts 0).
- RunTask in a VPC without DNS hostnames failed with HTTP 500 (moto's ENI has no
  ``private_dns_name`` then; the task's ENI attachment reads it): the attachment now omits it.
- ``awsvpcConfiguration.securityGroups`` is optional: "If you don't specify a security group, the
  default security group for the VPC is used." moto fails with HTTP 500 (KeyError).
- A task has one ``Container`` per container definition (moto: only the first), each with its
  ``name``, ``image``, ``taskArn`` (moto: the task definition's ARN), a ``containerArn`` of the form
  ``arn:aws:ecs:<region>:<account>:container/<cluster>/<task id>/<uuid>``, and a ``lastStatus``
  that follows the task's. ``exitCode`` is reported only once a container has stopped (moto:
  0 from the start, even while PENDING).
- A task walks PROVISIONING -> PENDING -> RUNNING -> STOPPED. The emulator runs no containers:
  a task's containers "run" for ``LOCAL_AWS_ECS_TASK_SECONDS`` (default 1) and then exit 0, the
  task stopping as ECS stops it when its essential container exits: ``desiredStatus`` STOPPED,
  ``stopCode`` ``EssentialContainerExited``, ``stoppedReason`` "Essential container in task
  exited", ``stoppingAt`` / ``stoppedAt`` / ``executionStoppedAt`` set. (moto steps one state per
  DescribeTasks call, starting at RUNNING, and leaves containers PENDING.)
- StopTask: ``stopCode`` ``UserInitiated`` and the given reason; containers that were running
  report exit code 143 (SIGTERM), ones that never started report none.
"""

from __future__ import annotations

import os
import time

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend, Task, mock_random

STOPPED_NATURALLY = "Essential container in task exited"


def task_seconds() -> float:
    try:
        return max(float(os.environ.get("LOCAL_AWS_ECS_TASK_SECONDS", "1")), 0.0)
    except ValueError:
        return 1.0


class TaskContainer:
    """A botocore ``Container`` of one task (attributes read by moto's serializer)."""

    def __init__(self, task: Task, definition: dict):
        self._task = task
        self.name = definition.get("name")
        self.image = definition.get("image")
        self.container_arn = (
            f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/{task.cluster_name}/"
            f"{task.id}/{mock_random.uuid4()}"
        )
        self.task_arn = task.task_arn
        self.cpu = str(definition.get("cpu", 0))
        self.memory = str(definition["memory"]) if definition.get("memory") is not None else None
        self.memory_reservation = (
            str(definition["memoryReservation"]) if definition.get("memoryReservation") is not None else None
        )
        self.network_interfaces: list = []
        self.health_status = "UNKNOWN"
        self.runtime_id = f"{task.id}-{mock_random.randint(1000000000, 9999999999)}"

    @property
    def last_status(self) -> str:
        status = self._task.last_status
        if status in ("PROVISIONING", "PENDING", "ACTIVATING"):
            return "PENDING"
        if status == "RUNNING":
            return "RUNNING"
        return "STOPPED"

    @property
    def exit_code(self) -> int | None:
        if self.last_status != "STOPPED":
            return None
        if self._task._stop_requested_at is not None:
            ran = self._task._stop_requested_at >= self._task._running_at
            return 143 if ran else None
        return 0


def _phase(task: Task) -> str:
    now = time.monotonic()
    if task._stop_requested_at is not None:
        return "STOPPED"
    if now >= task._stops_at:
        return "STOPPED"
    if now >= task._running_at:
        return "RUNNING"
    if now >= task._created_mono + (task._running_at - task._created_mono) / 2:
        return "PENDING"
    return "PROVISIONING"


def _timestamps(task: Task) -> None:
    """Record when the task reached each state (first time it is observed there)."""
    status = task.last_status
    if status in ("RUNNING", "STOPPED") and task._started_at is None and task._stop_requested_at is None:
        task._started_at = utcnow()
    if status == "STOPPED" and task._stopped_at is None:
        task._stopped_at = utcnow()


def apply() -> None:
    original_init = Task.__init__
    original_stop = EC2ContainerServiceBackend.stop_task

    def task_init(self, cluster, task_definition, *args, **kwargs):
        network = kwargs.get("networking_configuration")
        if network and "awsvpcConfiguration" in network:
            vpc_conf = network["awsvpcConfiguration"]
            if not vpc_conf.get("securityGroups"):
                vpc_conf["securityGroups"] = _default_group(kwargs["backend"], cluster, vpc_conf)
        original_init(self, cluster, task_definition, *args, **kwargs)
        for attachment in self.attachments:
            attachment["details"] = [d for d in attachment["details"] if d.get("value") is not None]
        seconds = task_seconds()
        self._created_mono = time.monotonic()
        self._running_at = self._created_mono + seconds / 4
        self._stops_at = self._created_mono + seconds
        self._stop_requested_at = None
        self._forced_stop_reason = None
        self._started_at = None
        self._stopped_at = None
        self.created_at = utcnow()
        self.containers = [TaskContainer(self, c) for c in task_definition.container_definitions]
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory

    def get_last_status(self) -> str:
        return _phase(self)

    def set_last_status(self, value: str) -> None:
        if value == "STOPPED" and self._stop_requested_at is None and _phase(self) != "STOPPED":
            self._stop_requested_at = time.monotonic()

    def get_desired_status(self) -> str:
        return "STOPPED" if _phase(self) == "STOPPED" else "RUNNING"

    def set_desired_status(self, value: str) -> None:
        if value == "STOPPED":
            set_last_status(self, "STOPPED")

    def get_stopped_reason(self) -> str | None:
        if getattr(self, "_stop_requested_at", None) is not None:
            return self._forced_stop_reason
        return STOPPED_NATURALLY if _phase(self) == "STOPPED" else None

    def set_stopped_reason(self, value: str | None) -> None:
        self._forced_stop_reason = value or None

    def get_stop_code(self) -> str | None:
        if _phase(self) != "STOPPED":
            return None
        return "UserInitiated" if self._stop_requested_at is not None else "EssentialContainerExited"

    def stamp(name: str):
        def read(self):
            _timestamps(self)
            return getattr(self, name)

        return property(read)

    def stopping_at(self):
        _timestamps(self)
        return self._stopped_at

    def stop_task(self, cluster_str, task_str, reason):
        task = original_stop(self, cluster_str, task_str, reason)
        _timestamps(task)
        return task

    # moto's Task sets stopped_reason / desired_status in __init__ before our fields exist.
    def _safe(getter, default):
        def read(self):
            if not hasattr(self, "_stops_at"):
                return default
            return getter(self)

        return read

    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = None
    Task.__init__ = task_init
    Task.last_status = property(_safe(get_last_status, "PROVISIONING"), set_last_status)
    Task.desired_status = property(_safe(get_desired_status, "RUNNING"), set_desired_status)
    Task.stopped_reason = property(_safe(get_stopped_reason, None), set_stopped_reason)
    Task.stop_code = property(_safe(get_stop_code, None))
    Task.started_at = stamp("_started_at")
    Task.stopped_at = stamp("_stopped_at")
    Task.stopping_at = property(stopping_at)
    Task.execution_stopped_at = stamp("_stopped_at")
    EC2ContainerServiceBackend.stop_task = stop_task
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_requirements)


def _default_group(backend, cluster, vpc_conf: dict) -> list:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[backend.account_id][cluster.region_name]
    subnets = vpc_conf.get("subnets") or []
    if not subnets:
        return []
    vpc_id = ec2.get_subnet(subnets[0]).vpc_id
    group = ec2.get_security_group_from_name("default", vpc_id=vpc_id)
    return [group.id] if group else []


def _requirements(task_definition) -> dict:
    """The resources a task reserves: the task-level cpu/memory when set, else the containers' sum."""
    cpu = sum(int(c.get("cpu") or 0) for c in task_definition.container_definitions)
    memory = sum(
        int(c.get("memory") or c.get("memoryReservation") or 0) for c in task_definition.container_definitions
    )
    if task_definition.cpu:
        cpu = int(task_definition.cpu)
    if task_definition.memory:
        memory = int(task_definition.memory)
    ports = [
        m["hostPort"]
        for c in task_definition.container_definitions
        for m in c.get("portMappings") or []
        if "hostPort" in m
    ]
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": []}
