"""ECS: services keep every setting CreateService / UpdateService give them, and deploy.

botocore's ``Service`` shape returns ``capacityProviderStrategy``, ``launchType``,
``platformVersion``, ``networkConfiguration``, ``propagateTags``, ``enableExecuteCommand``,
``healthCheckGracePeriodSeconds`` and ``deploymentConfiguration`` (with its
``deploymentCircuitBreaker``) as CreateService / UpdateService set them. moto 5.2.5:

- CreateService drops ``capacityProviderStrategy``, ``enableExecuteCommand``,
  ``healthCheckGracePeriodSeconds`` and ``deploymentConfiguration``, and reports launch type
  ``EC2`` when none was given. Real AWS: with a strategy the service has no ``launchType``;
  with neither, the cluster's default capacity provider strategy is used (``EC2`` only when the
  cluster has none); both together are an ``InvalidParameterException``; every provider of a
  strategy must be associated with the cluster. A default ``deploymentConfiguration`` is
  ``{maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: {enable: false,
  rollback: false}}``; ``enableExecuteCommand`` is always returned (false by default).
- Creating a service whose name is taken by an ACTIVE or DRAINING service silently replaced it;
  AWS answers ``InvalidParameterException`` "Creation of service was not idempotent."
- UpdateService stored ``taskDefinition`` as given (``family:3`` instead of the ARN), never
  started a deployment, and accepted a changed capacity provider strategy without
  ``forceNewDeployment`` (AWS: InvalidParameterException, quoted below).

Deployments, as the ``services-stable`` waiter reads them: a change of task definition, network
configuration, platform version, load balancers or capacity provider strategy, or
``forceNewDeployment``, starts a new PRIMARY deployment (rolloutState IN_PROGRESS, 0 running) and
turns the previous ones ACTIVE; a new desired count makes the service converge again. The
emulator runs no containers: ``LOCAL_AWS_ECS_DEPLOYMENT_SECONDS`` (default 1) after the change,
the next DescribeServices finds it settled: one PRIMARY deployment, rolloutState COMPLETED,
runningCount = desiredCount, pendingCount 0. Settings that AWS documents as not triggering a
deployment (desired count, deployment configuration, grace period, ECS Exec, tags) do not.
"""

from __future__ import annotations

import os
import time

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, mock_random
from moto.ecs.responses import EC2ContainerServiceResponse

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
STRATEGY_NEEDS_FORCE = (
    "When switching from launch type to capacity provider strategy on an existing service, or making a "
    "change to a capacity provider strategy on a service that is already using one, you must force a new "
    "deployment."
)


def _deployment_seconds() -> float:
    try:
        return max(float(os.environ.get("LOCAL_AWS_ECS_DEPLOYMENT_SECONDS", "1")), 0.0)
    except ValueError:
        return 1.0


def _strategy(items: list | None) -> list:
    return [
        {
            "capacityProvider": i["capacityProvider"],
            "weight": int(i.get("weight", 0)),
            "base": int(i.get("base", 0)),
        }
        for i in items or []
    ]


def _check_strategy(cluster, strategy: list) -> None:
    associated = set(cluster.capacity_providers or [])
    for item in strategy:
        if item["capacityProvider"] not in associated:
            raise InvalidParameterException(
                "The specified capacity provider strategy cannot contain a capacity provider that is not "
                "associated with the cluster. Associate the capacity provider with the cluster or specify a "
                "valid capacity provider and try again."
            )
    if strategy and not any(i["weight"] > 0 for i in strategy):
        raise InvalidParameterException(
            "At least one capacity provider must have a weight greater than zero."
        )


def _start_deployment(service: Service) -> None:
    """A new PRIMARY deployment; earlier ones become ACTIVE until the service settles."""
    now = utcnow()
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    primary = {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "platformVersion": service.platform_version,
        "platformFamily": "Linux",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }
    if service.capacity_provider_strategy:
        primary["capacityProviderStrategy"] = service.capacity_provider_strategy
    else:
        primary["launchType"] = service.launch_type
    for old in service.deployments:
        old["status"] = "ACTIVE"
        old["updatedAt"] = now
    service.deployments = [primary] + [d for d in service.deployments if d.get("runningCount")]
    _converge_later(service)


def _converge_later(service: Service) -> None:
    service._settle_at = time.monotonic() + _deployment_seconds()
    if service.deployments:
        service.deployments[0]["desiredCount"] = service.desired_count


def settle(service: Service) -> None:
    """Finish the rollout once its time has come (what ECS would do by running the tasks)."""
    if service.status != "ACTIVE" or not service.deployments:
        return
    if time.monotonic() < getattr(service, "_settle_at", 0.0):
        return
    primary = service.deployments[0]
    if primary.get("rolloutState") == "COMPLETED" and service.running_count == service.desired_count:
        return
    primary.update(
        status="PRIMARY",
        desiredCount=service.desired_count,
        runningCount=service.desired_count,
        pendingCount=0,
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        updatedAt=utcnow(),
    )
    service.deployments = [primary]
    service.running_count = service.desired_count
    service.pending_count = 0


def apply() -> None:
    original_create = EC2ContainerServiceBackend.create_service
    original_describe = EC2ContainerServiceBackend.describe_services
    original_delete = EC2ContainerServiceBackend.delete_service

    def create_service(self, cluster_str, service_name, desired_count, *args, **kwargs):
        extra = kwargs.pop("_extra", {}) or {}
        cluster = self._get_cluster(cluster_str)
        existing = self.services.get(f"{cluster.name}:{service_name}")
        if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
            raise InvalidParameterException("Creation of service was not idempotent.")
        strategy = _strategy(extra.get("capacityProviderStrategy"))
        launch_type = kwargs.get("launch_type")
        if strategy and launch_type:
            raise InvalidParameterException(
                "Specifying both a launch type and capacity provider strategy is not supported. Remove one "
                "and try again."
            )
        if not strategy and not launch_type and cluster.default_capacity_provider_strategy:
            strategy = _strategy(cluster.default_capacity_provider_strategy)
        _check_strategy(cluster, strategy)
        service = original_create(self, cluster_str, service_name, desired_count, *args, **kwargs)
        service.capacity_provider_strategy = strategy or None
        if strategy:
            service.launch_type = None
        service.enable_execute_command = bool(extra.get("enableExecuteCommand", False))
        service.health_check_grace_period_seconds = extra.get("healthCheckGracePeriodSeconds")
        service.deployment_configuration = _merge_deployment_configuration(
            DEFAULT_DEPLOYMENT_CONFIGURATION, extra.get("deploymentConfiguration")
        )
        service.deployments = []
        service.running_count, service.pending_count = 0, service.desired_count
        _start_deployment(service)
        return service

    def describe_services(self, cluster_str, service_names_or_arns):
        found, failures = original_describe(self, cluster_str, service_names_or_arns)
        for service in found:
            settle(service)
        return found, failures

    def delete_service(self, cluster_name, service_name, force):
        service = original_delete(self, cluster_name, service_name, force)
        service.desired_count = 0
        service.running_count = 0
        for deployment in service.deployments:
            deployment.update(desiredCount=0, runningCount=0, pendingCount=0)
        return service

    def update_service(self, props: dict) -> Service:
        props = dict(props)
        cluster_str = props.pop("cluster", None) or "default"
        cluster = self._get_cluster(cluster_str)
        service = self._get_service(cluster_str, props.pop("service").split("/")[-1])
        if service.status != "ACTIVE":
            from moto.ecs.exceptions import ServiceNotFoundException

            raise ServiceNotFoundException
        settle(service)
        force = bool(props.pop("force_new_deployment", False))
        deploy = force

        definition = props.pop("task_definition", None)
        if definition:
            arn = self.describe_task_definition(definition).arn
            deploy |= arn != service.task_definition
            service.task_definition = arn
        strategy = props.pop("capacity_provider_strategy", None)
        if strategy is not None:
            strategy = _strategy(strategy)
            current = service.capacity_provider_strategy or []
            if strategy != current:
                if strategy:
                    _check_strategy(cluster, strategy)
                if not force:
                    raise InvalidParameterException(STRATEGY_NEEDS_FORCE)
                if strategy:
                    service.capacity_provider_strategy = strategy
                    service.launch_type = None
                else:  # an empty list goes back to the launch type
                    service.capacity_provider_strategy = None
                    service.launch_type = service.launch_type or "FARGATE"
                deploy = True
        network = props.pop("network_configuration", None)
        if network is not None:
            network = service._validate_network(network)
            deploy |= network != service.network_configuration
            service.network_configuration = network
        platform = props.pop("platform_version", None)
        if platform is not None:
            deploy |= platform != service.platform_version
            service.platform_version = platform
        balancers = props.pop("load_balancers", None)
        if balancers is not None:
            deploy |= balancers != service.load_balancers
            service.load_balancers = balancers
        configuration = props.pop("deployment_configuration", None)
        if configuration is not None:
            service.deployment_configuration = _merge_deployment_configuration(
                service.deployment_configuration, configuration
            )
        if props.get("enable_execute_command") is not None:
            service.enable_execute_command = bool(props.pop("enable_execute_command"))
        desired = props.pop("desired_count", None)
        for name, value in props.items():  # the rest as moto did (grace period, propagateTags, ...)
            if value is not None:
                setattr(service, name, value)
        if desired is not None and int(desired) != service.desired_count:
            service.desired_count = int(desired)
            if not deploy:
                _converge_later(service)
        if deploy:
            _start_deployment(service)
        return service

    def create_service_response(self):
        extra = {
            key: self._get_param(key)
            for key in (
                "capacityProviderStrategy",
                "enableExecuteCommand",
                "healthCheckGracePeriodSeconds",
                "deploymentConfiguration",
            )
            if self._get_param(key) is not None
        }
        service = self.ecs_backend.create_service(
            self._get_param("cluster", "default"),
            self._get_param("serviceName"),
            self._get_int_param("desiredCount"),
            task_definition_str=self._get_param("taskDefinition"),
            load_balancers=self._get_param("loadBalancers"),
            scheduling_strategy=self._get_param("schedulingStrategy"),
            tags=self._get_param("tags"),
            deployment_controller=self._get_param("deploymentController"),
            launch_type=self._get_param("launchType"),
            network_configuration=self._get_param("networkConfiguration"),
            service_registries=self._get_param("serviceRegistries"),
            platform_version=self._get_param("platformVersion"),
            propagate_tags=self._get_param("propagateTags") or "NONE",
            role_arn=self._get_param("role"),
            _extra=extra,
        )
        return ActionResult({"service": service})

    Service.capacity_provider_strategy = None
    Service.enable_execute_command = False
    Service.health_check_grace_period_seconds = None
    Service.deployment_configuration = None
    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.describe_services = describe_services
    EC2ContainerServiceBackend.update_service = update_service
    EC2ContainerServiceBackend.delete_service = delete_service
    EC2ContainerServiceResponse.create_service = create_service_response


def _merge_deployment_configuration(current: dict | None, given: dict | None) -> dict:
    merged = {**(current or {})}
    for key, value in (given or {}).items():
        if key == "deploymentCircuitBreaker":
            merged[key] = {"enable": bool(value.get("enable")), "rollback": bool(value.get("rollback"))}
        elif value is not None:
            merged[key] = value
    return merged
