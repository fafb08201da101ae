"""ELBv2: DescribeLoadBalancerAttributes returns every attribute of the load balancer's type.

Real AWS answers DescribeLoadBalancerAttributes with the whole documented set for the load
balancer's type, each at its default until ModifyLoadBalancerAttributes changes it (botocore
``LoadBalancerAttribute.Key`` documents the keys and defaults): an Application Load Balancer
has ``idle_timeout.timeout_seconds`` 60, ``routing.http2.enabled`` true,
``routing.http.desync_mitigation_mode`` defensive, ``load_balancing.cross_zone.enabled`` true
(and cannot be changed), ``ipv6.deny_all_igw_traffic`` true when internal, and so on.
moto 5.2.5 returns only four keys (``access_logs.s3.bucket``/``prefix``,
``deletion_protection.enabled``, cross-zone *false*), so amazon.aws.elb_application_lb fails
with a KeyError on ``idle_timeout``/``http2``/``http_drop_invalid_header_fields`` and can never
converge. This starts every load balancer with its type's full set, accepts in
ModifyLoadBalancerAttributes only the keys of that type (``ValidationError`` otherwise, as AWS),
checks the documented ranges of the numeric and enumerated ones, and refuses to turn cross-zone
load balancing off on an Application Load Balancer.
"""

from __future__ import annotations

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

_SHARED_LOGS = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
}
APPLICATION = {
    "deletion_protection.enabled": "false",
    "load_balancing.cross_zone.enabled": "true",
    **_SHARED_LOGS,
    "ipv6.deny_all_igw_traffic": "false",
    "zonal_shift.config.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "client_keep_alive.seconds": "3600",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "health_check_logs.s3.enabled": "false",
    "health_check_logs.s3.bucket": "",
    "health_check_logs.s3.prefix": "",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.x_amzn_tls_kx.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
}
NETWORK = {
    "deletion_protection.enabled": "false",
    "load_balancing.cross_zone.enabled": "false",
    **_SHARED_LOGS,
    "ipv6.deny_all_igw_traffic": "false",
    "zonal_shift.config.enabled": "false",
    "dns_record.client_routing_policy": "any_availability_zone",
    "secondary_ips.auto_assigned.per_subnet": "0",
}
GATEWAY = {
    "deletion_protection.enabled": "false",
    "load_balancing.cross_zone.enabled": "false",
}
DEFAULTS = {"application": APPLICATION, "network": NETWORK, "gateway": GATEWAY}

BOOLEAN = ("true", "false")
CHOICES = {
    "routing.http.desync_mitigation_mode": ("monitor", "defensive", "strictest"),
    "routing.http.xff_header_processing.mode": ("append", "preserve", "remove"),
    "dns_record.client_routing_policy": (
        "availability_zone_affinity",
        "partial_availability_zone_affinity",
        "any_availability_zone",
    ),
}
RANGES = {
    "idle_timeout.timeout_seconds": (1, 4000),
    "client_keep_alive.seconds": (60, 604800),
    "secondary_ips.auto_assigned.per_subnet": (0, 7),
}


def defaults_for(balancer_type: str, scheme: str) -> dict:
    attrs = dict(DEFAULTS.get(balancer_type, APPLICATION))
    if "ipv6.deny_all_igw_traffic" in attrs:
        attrs["ipv6.deny_all_igw_traffic"] = "true" if scheme == "internal" else "false"
    return attrs


def _check(balancer_type: str, key: str, value: str) -> None:
    valid = DEFAULTS.get(balancer_type, APPLICATION)
    if key not in valid:
        raise ELBClientError("ValidationError", f"Key {key} not valid")
    value = str(value)
    if key.endswith(".enabled") and value not in BOOLEAN:
        raise ELBClientError("ValidationError", f"{key} must be true or false, not {value!r}")
    if key in CHOICES and value not in CHOICES[key]:
        raise ELBClientError("ValidationError", f"{key} must be one of {', '.join(CHOICES[key])}")
    if key in RANGES:
        low, high = RANGES[key]
        if not value.isdigit() or not low <= int(value) <= high:
            raise ELBClientError("ValidationError", f"{key} must be an integer from {low} to {high}")
    if balancer_type == "application" and key == "load_balancing.cross_zone.enabled" and value != "true":
        raise ELBClientError(
            "InvalidConfigurationRequest",
            "Cross-zone load balancing cannot be disabled for Application Load Balancers",
        )


def apply() -> None:
    original_init = FakeLoadBalancer.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.attrs = defaults_for(self.type, self.scheme)

    def modify_load_balancer_attributes(self, arn: str, attrs: dict) -> dict:
        balancer = self.load_balancers.get(arn)
        if balancer is None:
            from moto.elbv2.exceptions import LoadBalancerNotFoundError

            raise LoadBalancerNotFoundError()
        for key, value in attrs.items():
            _check(balancer.type, key, value)
        balancer.attrs.update({key: str(value) for key, value in attrs.items()})
        return balancer.attrs

    FakeLoadBalancer.VALID_ATTRS = set(FakeLoadBalancer.VALID_ATTRS) | set(APPLICATION) | set(NETWORK)
    FakeLoadBalancer.__init__ = __init__
    ELBv2Backend.modify_load_balancer_attributes = modify_load_balancer_attributes
