"""ELBv2: DescribeTargetGroupAttributes returns the documented defaults of the target group's kind.

Real AWS (botocore ``TargetGroupAttribute.Key``) returns, for a target group of an Application
Load Balancer with ``instance`` or ``ip`` targets, ``stickiness.lb_cookie.duration_seconds`` 86400,
``stickiness.app_cookie.cookie_name`` "" and ``stickiness.app_cookie.duration_seconds`` 86400,
``load_balancing.algorithm.anomaly_mitigation`` off; and for ALB and NLB target groups the
``target_group_health.*`` thresholds (dns_failover and unhealthy_state_routing: count 1,
percentage off). moto 5.2.5 leaves them out, so community.aws.elb_target_group with
``stickiness_enabled``/``stickiness_type: lb_cookie`` fails with KeyError
``'stickiness_lb_cookie_duration_seconds'``. This adds them at creation; ModifyTargetGroupAttributes
already stores any key.
"""

from __future__ import annotations

from moto.elbv2.models import FakeTargetGroup

APPLICATION_TARGETS = {
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.anomaly_mitigation": "off",
}
HEALTH = {
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}


def apply() -> None:
    original_init = FakeTargetGroup.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.protocol != "GENEVE" and self.target_type != "lambda":
            for key, value in HEALTH.items():
                self.attributes.setdefault(key, value)
        if self.protocol in ("HTTP", "HTTPS") and self.target_type in ("instance", "ip"):
            for key, value in APPLICATION_TARGETS.items():
                self.attributes.setdefault(key, value)

    FakeTargetGroup.__init__ = __init__
