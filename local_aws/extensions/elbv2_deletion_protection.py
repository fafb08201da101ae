"""ELBv2: DeleteLoadBalancer refuses a load balancer with deletion protection on.

Real AWS answers DeleteLoadBalancer with ``OperationNotPermitted`` (HTTP 400, botocore
``OperationNotPermittedException``) while the load balancer's ``deletion_protection.enabled``
attribute is ``true``: the attribute has to be turned off first. moto 5.2.5 deletes it anyway, so
a teardown that forgets to turn protection off would pass against the emulator and fail on AWS.
"""

from __future__ import annotations

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend


def apply() -> None:
    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and str(balancer.attrs.get("deletion_protection.enabled", "false")) == "true":
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        return original(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer
