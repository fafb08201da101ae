"""A wrong monitoring inventory fails site.yml's preflight, with a message naming every problem,
before any AWS call (one run: the role's check reports all problems at once)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from ansible_run import run_playbook

BAD = {
    "monitoring_alarms": {"rds-cpu": {"comparison": "Above"}, "scale-out": {"period": 45}},
    "monitoring_alert_subscriptions": [{"protocol": "http", "endpoint": "http://hooks.example.com/x"}],
}
EXPECTED = [
    "Invalid monitoring inventory",
    "alarm rds-cpu: comparison 'Above'",
    "alarm scale-out: period 45",
    "would receive alerts unencrypted",
]


def test_bad_monitoring_input_fails_before_any_aws_call(module_aws_endpoint):
    module_aws_endpoint.reset_calls()
    run = run_playbook("site.yml", extra_vars=BAD)
    assert run.rc != 0, run.output[-2000:]
    for message in EXPECTED:
        assert message in run.output, run.output[-3000:]
    assert module_aws_endpoint.calls() == [], "a wrong inventory must not reach AWS"
