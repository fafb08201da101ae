"""The data filter's issue-16 checks (no AWS call): RDS enhanced-monitoring intervals from cfn-lint's
schema and on in production, the minimum log retention per environment, S3 lifecycle days; and the
lifecycle rules every bucket gets."""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import (
    bucket_lifecycle_rules,
    hardening_problems,
)

PROD = {
    "production": True,
    "env": "prod",
    "rds_monitoring_interval": 60,
    "min_log_retention_days": 365,
    "log_retention_days": 365,
    "exec_log_retention_days": 365,
    "logs_noncurrent_expiration_days": 30,
    "dags_noncurrent_expiration_days": 90,
    "access_logs_expiration_days": 365,
    "s3_abort_incomplete_multipart_days": 7,
}


def test_the_prod_settings_pass():
    assert hardening_problems(PROD) == []
    assert hardening_problems({**PROD, "production": False, "rds_monitoring_interval": 0}) == []


def test_each_weakened_setting_is_named():
    cases = {
        "rds_monitoring_interval": (20, "data_rds_monitoring_interval=20 is refused by AWS"),
        "log_retention_days": (30, "compute_log_retention_days=30 is below data_min_log_retention_days=365"),
        "exec_log_retention_days": (
            90,
            "compute_exec_log_retention_days=90 is below data_min_log_retention_days=365",
        ),
        "s3_abort_incomplete_multipart_days": (
            0,
            "data_s3_abort_incomplete_multipart_days=0 is refused by S3",
        ),
        "min_log_retention_days": ("a year", "data_min_log_retention_days='a year' must be a number of days"),
    }
    for key, (value, expected) in cases.items():
        problems = hardening_problems({**PROD, key: value})
        assert len(problems) == 1 and problems[0].startswith(expected), (key, problems)
    off = hardening_problems({**PROD, "rds_monitoring_interval": 0})
    assert off == [
        "data_rds_monitoring_interval=0 in production: RDS enhanced monitoring must be on (1-60 seconds)"
    ]


def test_every_bucket_expires_noncurrent_versions_and_aborts_uploads():
    days = {k: PROD[k] for k in PROD if k.endswith("_days") and "retention" not in k} | {
        "logs_expiration_days": 90
    }
    rules = {r["bucket"]: r for r in bucket_lifecycle_rules("d", "l", "a", days)}
    assert set(rules) == {"d", "l", "a"}
    assert all(r["abort_multipart_days"] == 7 and r["noncurrent_days"] >= 1 for r in rules.values())
    assert "expiration_days" not in rules["d"]  # DAGs never expire; their old versions do
    assert (rules["l"]["expiration_days"], rules["a"]["expiration_days"]) == (90, 365)
