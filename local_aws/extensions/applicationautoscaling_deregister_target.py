"""Application Auto Scaling: DeregisterScalableTarget also deletes the target's policies and actions.

AWS's API reference for ``DeregisterScalableTarget``: "Deregistering a scalable target deletes the
scaling policies and the scheduled actions that are associated with it." moto 5.2.5 deletes only
the target, leaving its policies (and their names) behind, so a teardown that relies on AWS's rule
would look complete on AWS and leak in the emulator. Validation (an unknown target is refused with
``ValidationException``) is moto's.
"""

from __future__ import annotations

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend


def apply() -> None:
    original = ApplicationAutoscalingBackend.deregister_scalable_target

    def deregister_scalable_target(self, namespace: str, r_id: str, dimension: str) -> None:
        original(self, namespace, r_id, dimension)

        def of_target(item) -> bool:
            return (item.service_namespace, item.resource_id, item.scalable_dimension) == (
                namespace,
                r_id,
                dimension,
            )

        for key in [k for k, policy in self.policies.items() if of_target(policy)]:
            del self.policies[key]
        self.scheduled_actions = [a for a in self.scheduled_actions if not of_target(a)]

    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target
