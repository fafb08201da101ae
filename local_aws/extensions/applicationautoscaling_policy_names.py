"""Application Auto Scaling: DescribeScalingPolicies honours PolicyNames and matches exactly.

botocore's ``DescribeScalingPoliciesRequest`` takes ``PolicyNames`` (list), ``ServiceNamespace``
(required), ``ResourceId`` and ``ScalableDimension``; real AWS returns only the policies with those
names, for that exact resource and dimension. moto 5.2.5 ignores ``PolicyNames`` and compares
``ResourceId`` / ``ScalableDimension`` as substrings (``service/c/web`` also matched by a request
for ``service/c/web-2``). With two policies on one scalable target,
community.aws.application_autoscaling_policy reads the first policy of the target instead of its
own and fails with ``KeyError: 'StepScalingPolicyConfiguration'`` (or compares the wrong policy).
Pagination (``MaxResults``, ``NextToken``) is kept as moto does it, after filtering.
"""

from __future__ import annotations

import json

from moto.applicationautoscaling import responses as aas_responses
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse


def apply() -> None:
    def describe_scaling_policies(
        self,
        service_namespace: str,
        resource_id: str | None,
        scalable_dimension: str | None,
        max_results: int | None,
        next_token: str | None,
        policy_names: list | None = None,
    ):
        max_results = max_results or 100
        policies = [
            p
            for p in self.policies.values()
            if p.service_namespace == service_namespace
            and (not resource_id or p.resource_id == resource_id)
            and (not scalable_dimension or p.scalable_dimension == scalable_dimension)
            and (not policy_names or p.policy_name in policy_names)
        ]
        start = int(next_token) if next_token else 0
        end = start + max_results
        return (str(end) if end < len(policies) else None), policies[start:end]

    def describe_scaling_policies_response(self) -> str:
        next_token, page = self.applicationautoscaling_backend.describe_scaling_policies(
            service_namespace=self._get_param("ServiceNamespace"),
            resource_id=self._get_param("ResourceId"),
            scalable_dimension=self._get_param("ScalableDimension"),
            max_results=self._get_int_param("MaxResults"),
            next_token=self._get_param("NextToken"),
            policy_names=self._get_param("PolicyNames"),
        )
        body = {"ScalingPolicies": [aas_responses._build_policy(p) for p in page]}
        if next_token:
            body["NextToken"] = next_token
        return json.dumps(body)

    ApplicationAutoscalingBackend.describe_scaling_policies = describe_scaling_policies
    ApplicationAutoScalingResponse.describe_scaling_policies = describe_scaling_policies_response
