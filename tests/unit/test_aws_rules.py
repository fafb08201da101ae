"""aws_rules reads AWS's rules from cfn-lint's bundled data and botocore's models, and the few
hand-written ones (windows, SNS endpoints, where a derived name comes from) hold at their edges."""

from __future__ import annotations

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_rules


def test_engine_versions_come_from_cfn_lint_data():
    offered, deprecated = aws_rules.engine_versions("AWS::RDS::DBInstance", "postgres")
    assert "16.8" in offered and "16.8" in deprecated, "cfn-lint marks 16.8 deprecated for new instances"
    assert "16.9" in offered and "16.9" not in deprecated
    assert aws_rules.engine_version_problem("v", "16.9", "AWS::RDS::DBInstance", "postgres", "16") is None
    assert "deprecated" in aws_rules.engine_version_problem(
        "v", "16.8", "AWS::RDS::DBInstance", "postgres", "16"
    )
    redis, _ = aws_rules.engine_versions("AWS::ElastiCache::CacheCluster", "redis")
    valkey, _ = aws_rules.engine_versions("AWS::ElastiCache::CacheCluster", "valkey")
    assert "7.1" in redis and "8.0" in valkey


def test_schema_rules_accept_what_the_inventories_use_and_refuse_the_rest():
    accept = [
        ("AWS::Logs::LogGroup", "RetentionInDays", 30, None),
        ("AWS::RDS::DBInstance", "BackupRetentionPeriod", "35", {"Engine": "postgres"}),
        ("AWS::EC2::SecurityGroup", "GroupDescription", "DAG sync service (S3 to EFS)", None),
        ("AWS::RDS::DBInstance", "DBInstanceIdentifier", "airflow-prod-db", None),
    ]
    for resource, prop, value, context in accept:
        assert aws_rules.property_problem("v", value, resource, prop, context=context) is None
    refuse = [
        ("AWS::Logs::LogGroup", "RetentionInDays", 31, None, "not one of"),
        ("AWS::RDS::DBInstance", "BackupRetentionPeriod", 36, {"Engine": "postgres"}, "maximum of 35"),
        ("AWS::EC2::SecurityGroup", "GroupDescription", "S3 -> EFS", None, "does not match"),
        ("AWS::EC2::SecurityGroup", "GroupName", "caf\u00e9", None, "AWS::EC2::SecurityGroup.Name format"),
    ]
    for resource, prop, value, context, reason in refuse:
        problem = aws_rules.property_problem("the_variable", value, resource, prop, context=context)
        assert problem.startswith(f"the_variable={value!r} is refused by AWS as {resource} {prop}")
        assert reason in problem


def test_windows_format_length_and_overlap_across_midnight():
    def check(daily, weekly):
        return aws_rules.window_problems(("b", daily), ("m", weekly), 30, 30, "RDS")

    assert check("03:00-04:00", "sun:04:00-sun:05:00") == [], "touching windows do not overlap"
    assert "overlaps" in check("23:30-00:30", "mon:00:00-mon:01:00")[0], "daily window across midnight"
    assert "overlaps" in check("00:00-00:30", "sat:23:45-sun:00:15")[0], "weekly window across its day"
    assert "overlaps" in check("00:10-00:40", "sun:23:50-mon:00:20")[0], "weekly window across the week"
    assert "is 15 minutes" in check("03:00-03:15", "sun:05:00-sun:06:00")[0]
    assert "must be ddd:hh24:mi" in check("03:00-04:00", "sun:4:00-sun:05:00")[0]


@pytest.mark.parametrize(
    ("protocol", "endpoint", "ok"),
    [
        ("email", "oncall@example.com", True),
        ("email", "oncall", False),
        ("https", "https://events.example.com/hook", True),
        ("sms", "+14155550100", True),
        ("sms", "14155550100", False),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:alerts", True),
        ("sqs", "https://sqs.us-east-1.amazonaws.com/123456789012/alerts", False),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:notify", True),
        ("lambda", "arn:aws:sqs:us-east-1:123456789012:alerts", False),
    ],
)
def test_subscription_endpoints_per_protocol(protocol, endpoint, ok):
    assert (aws_rules.subscription_problem("s", protocol, endpoint) is None) is ok


def test_zones_must_be_in_the_region():
    assert aws_rules.zone_problems("z", ["us-east-1a", "us-east-1-bos-1a"], "us-east-1", "r") == []
    assert (
        len(aws_rules.zone_problems("z", ["us-east-1", "eu-west-1a", "us-east-1ab"], "us-east-1", "r")) == 3
    )
    assert aws_rules.region_problem("r", "eu-central-2") is None
    assert aws_rules.region_problem("r", "us-east-9")


def test_a_derived_name_is_blamed_on_the_variable_the_user_set():
    def links(alb_name, prefix, project="p", env="e"):
        return [
            {"variable": "alb_name", "value": alb_name, "default": f"{prefix}-alb"},
            *aws_rules.prefix_links("alb", prefix, project, env),
        ]

    problem = "alb_name='x' is refused"
    assert aws_rules.blame(problem, links("p-e-alb", "p-e")).startswith(
        "airflow_project='p' (with airflow_env='e') -> "
    )
    assert aws_rules.blame(problem, links("long-alb", "long")).startswith("alb_name_prefix='long' -> ")
    assert aws_rules.blame(problem, links("mine", "p-e")) == problem
    assert aws_rules.blame(None, links("p-e-alb", "p-e")) is None


def test_api_member_rules_come_from_botocore():
    assert (
        aws_rules.api_member_problem("v", 300, "elbv2", "CreateTargetGroup", "HealthCheckIntervalSeconds")
        is None
    )
    assert "maximum of 300" in aws_rules.api_member_problem(
        "v", 301, "elbv2", "CreateTargetGroup", "HealthCheckIntervalSeconds"
    )
    assert "at most 64" in aws_rules.api_member_problem("v", "r" * 65, "iam", "CreateRole", "RoleName")


def test_the_data_read_is_cfn_lints_own():
    """aws_rules reads cfn-lint's files without importing cfn-lint (a second per Ansible worker):
    what it reads must be what cfn-lint's schema manager and format rules use."""
    import importlib
    import pkgutil
    from pathlib import Path

    import cfnlint
    import cfnlint.rules.formats as formats
    from cfnlint.rules.formats.FormatKeyword import FormatKeyword
    from cfnlint.schema.manager import ProviderSchemaManager

    data = Path(cfnlint.__file__).parent / "data" / "schemas"
    manager = ProviderSchemaManager(providers_dir=data / "providers", resources_dir=data / "resources")
    for region in ("us-east-1", "eu-west-1"):
        for resource in ("AWS::RDS::DBInstance", "AWS::EC2::SecurityGroup", "AWS::Logs::LogGroup"):
            assert (
                aws_rules.resource_schema(resource, region)
                == manager.get_resource_schema(region, resource).schema
            )
    rules = {}
    for info in pkgutil.iter_modules(formats.__path__):
        for value in vars(importlib.import_module(f"{formats.__name__}.{info.name}")).values():
            if isinstance(value, type) and issubclass(value, FormatKeyword) and value is not FormatKeyword:
                rule = value()
                if rule.format_keyword and rule.pattern:
                    rules[rule.format_keyword] = rule.pattern
    assert rules and aws_rules._cfnlint_formats() == rules


def test_enumerations_only_described_in_the_schema_are_read_from_it():
    """RDS MonitoringInterval lists its values only in the description of cfn-lint's schema."""
    assert aws_rules.documented_values("AWS::RDS::DBInstance", "MonitoringInterval") == (
        "0", "1", "5", "10", "15", "30", "60",
    )  # fmt: skip
    assert aws_rules.documented_value_problem("v", 60, "AWS::RDS::DBInstance", "MonitoringInterval") is None
    problem = aws_rules.documented_value_problem("v", 20, "AWS::RDS::DBInstance", "MonitoringInterval")
    assert (
        problem == "v=20 is refused by AWS as AWS::RDS::DBInstance MonitoringInterval: "
        "must be one of 0, 1, 5, 10, 15, 30, 60"
    )
