"""ECS clusters: DeleteCluster refuses a cluster with services, counts, UpdateClusterSettings.

- botocore's ``DeleteCluster`` lists ``ClusterContainsServicesException``: real AWS refuses to
  delete a cluster while it has ACTIVE or DRAINING services ("The Cluster cannot be deleted while
  Services are active."). moto 5.2.5 marks it INACTIVE anyway.
- ``Cluster.activeServicesCount`` counts the ACTIVE services of the cluster; moto always says 0.
- ``UpdateClusterSettings`` (``cluster``, ``settings``: ClusterSetting list, returns ``cluster``)
  is not implemented by moto; here it sets the named settings (only ``containerInsights``
  exists) as UpdateCluster's ``settings`` does.
- ``PutClusterCapacityProviders`` requires both ``capacityProviders`` and
  ``defaultCapacityProviderStrategy`` (possibly empty) and replaces both; each strategy item is
  returned with ``weight`` and ``base`` (0 when not given) and must name an associated provider.
CreateCluster / UpdateCluster ``configuration`` and ``settings`` and tags round-trip in moto
already.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse


class ClusterContainsServicesException(ECSException):
    def __init__(self) -> None:
        super().__init__(
            "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active."
        )


def _strategy(items: list | None) -> list:
    return [
        {
            "capacityProvider": i["capacityProvider"],
            "weight": int(i.get("weight", 0)),
            "base": int(i.get("base", 0)),
        }
        for i in items or []
    ]


def _count_services(backend, cluster) -> None:
    cluster.active_services_count = sum(
        1 for s in backend.services.values() if s.cluster_name == cluster.name and s.status == "ACTIVE"
    )


def apply() -> None:
    original_delete = EC2ContainerServiceBackend.delete_cluster
    original_describe = EC2ContainerServiceBackend.describe_clusters
    original_create = EC2ContainerServiceBackend.create_cluster

    def delete_cluster(self, cluster_str: str):
        cluster = self._get_cluster(cluster_str)
        if any(
            s.cluster_name == cluster.name and s.status in ("ACTIVE", "DRAINING")
            for s in self.services.values()
        ):
            raise ClusterContainsServicesException()
        return original_delete(self, cluster_str)

    def describe_clusters(self, cluster_names):
        clusters, failures = original_describe(self, cluster_names)
        for cluster in clusters:
            _count_services(self, cluster)
        return clusters, failures

    def create_cluster(self, cluster_name, *args, **kwargs):
        cluster = original_create(self, cluster_name, *args, **kwargs)
        if cluster.default_capacity_provider_strategy:
            cluster.default_capacity_provider_strategy = _strategy(cluster.default_capacity_provider_strategy)
        return cluster

    def put_cluster_capacity_providers(self, cluster_name, capacity_providers, default_strategy):
        cluster = self._get_cluster(cluster_name)
        if capacity_providers is None or default_strategy is None:
            raise InvalidParameterException(
                "capacityProviders and defaultCapacityProviderStrategy are both required."
            )
        strategy = _strategy(default_strategy)
        for item in strategy:
            if item["capacityProvider"] not in capacity_providers:
                raise InvalidParameterException(
                    "The specified capacity provider strategy cannot contain a capacity provider that is "
                    "not associated with the cluster. Associate the capacity provider with the cluster or "
                    "specify a valid capacity provider and try again."
                )
        cluster.capacity_providers = list(capacity_providers)
        cluster.default_capacity_provider_strategy = strategy
        return cluster

    def update_cluster_settings(self):
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster"))
        given = {s["name"]: s["value"] for s in self._get_param("settings") or []}
        settings = [s for s in cluster.settings or [] if s["name"] not in given]
        cluster.settings = settings + [{"name": k, "value": v} for k, v in given.items()]
        return ActionResult({"cluster": cluster})

    EC2ContainerServiceBackend.delete_cluster = delete_cluster
    EC2ContainerServiceBackend.describe_clusters = describe_clusters
    EC2ContainerServiceBackend.create_cluster = create_cluster
    EC2ContainerServiceBackend.put_cluster_capacity_providers = put_cluster_capacity_providers
    EC2ContainerServiceResponse.update_cluster_settings = update_cluster_settings
