"""EC2: ModifyVpcEndpoint honours PrivateDnsEnabled.

botocore's ModifyVpcEndpointRequest has ``PrivateDnsEnabled`` (Boolean); real EC2 turns the
endpoint's private DNS on or off. moto 5.2.5 parses every other member and drops this one,
so an endpoint whose private DNS drifted off could never be brought back.
"""

from __future__ import annotations

from moto.ec2.responses.vpcs import VPCs


def apply() -> None:
    original = VPCs.modify_vpc_endpoint

    def modify_vpc_endpoint(self):
        result = original(self)
        wanted = self._get_bool_param("PrivateDnsEnabled")
        if wanted is not None:
            endpoint_id = self._get_param("VpcEndpointId")
            endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[endpoint_id])[0]
            endpoint.private_dns_enabled = wanted
        return result

    VPCs.modify_vpc_endpoint = modify_vpc_endpoint
