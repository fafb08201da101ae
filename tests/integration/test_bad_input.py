"""A wrong inventory fails before anything is touched: a clear message naming the variable the
user set, zero AWS calls.

Every case goes through playbooks/preflight.yml, the play site.yml runs first. To keep the file
fast, one ansible-playbook run imports that play once per case (with the case's variables as play
variables, which override the inventory's, and only the roles those variables reach), and the
emulator must see no call at all; one more test runs site.yml itself with problems in several
roles and shows that a single run refuses the inventory listing all of them before any AWS
call."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible_run import ROOT, run_playbook

INTERFACE = [
    "ecr.api",
    "ecr.dkr",
    "logs",
    "events",
    "sts",
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "elasticfilesystem",
    "monitoring",
    "ecs",
]

CASES = {
    "invalid_vpc_cidr": ({"network_vpc_cidr": "10.0.0.0/33"}, "network_vpc_cidr='10.0.0.0/33'"),
    "subnet_outside_vpc": (
        {"network_private_subnet_cidrs": ["10.1.1.0/24", "10.0.2.0/24"]},
        "network_private_subnet_cidrs has '10.1.1.0/24', which is outside network_vpc_cidr",
    ),
    "overlapping_subnets": (
        {"network_data_subnet_cidrs": ["10.0.1.128/25", "10.0.12.0/24"]},
        "network_data_subnet_cidrs has '10.0.1.128/25', which overlaps 10.0.1.0/24",
    ),
    "one_az": (
        {
            "network_availability_zones": ["us-east-1a"],
            "network_private_subnet_cidrs": ["10.0.1.0/24"],
            "network_data_subnet_cidrs": ["10.0.11.0/24"],
            "network_alb_subnet_cidrs": ["10.0.21.0/24"],
        },
        "network_availability_zones=['us-east-1a'] needs at least two distinct AZs",
    ),
    "nat_gateway_asked": ({"network_nat_gateway": True}, "network_nat_gateway=true"),
    "internet_gateway_asked": ({"network_internet_gateway": True}, "network_internet_gateway=true"),
    "public_alb_asked": ({"network_alb_scheme": "internet-facing"}, "network_alb_scheme='internet-facing'"),
    "open_corporate_cidr": (
        {"network_corporate_cidrs": ["0.0.0.0/0"]},
        "network_corporate_cidrs has '0.0.0.0/0'",
    ),
    "idp_without_route": (
        {"network_idp_cidrs": ["172.20.0.0/16"], "network_idp_route_target": ""},
        "network_idp_route_target is empty",
    ),
    "idp_via_internet_gateway": (
        {"network_idp_cidrs": ["172.20.0.0/16"], "network_idp_route_target": "igw-0123"},
        "network_idp_route_target='igw-0123' must be a transit gateway",
    ),
    "rotation_off": ({"kms_enable_key_rotation": False}, "kms_enable_key_rotation=False must be true"),
    "missing_endpoint": (
        {"endpoints_interface_services": INTERFACE},
        "endpoints_interface_services lacks kms",
    ),
    "wrong_type": ({"network_execution_api_port": "https"}, "network_execution_api_port"),
    "short_deletion_window": ({"kms_deletion_window_days": 3}, "kms_deletion_window_days=3 must be 7-30"),
    "unknown_engine_version": (
        {"data_rds_engine_version": "15.4"},
        "data_rds_engine_version='15.4' is not a known",
    ),
    "instance_class_not_allowed": (
        {"data_rds_instance_class": "db.x2g.large"},
        "data_rds_instance_class='db.x2g.large'",
    ),
    "prod_without_multi_az": (
        {"data_production": True, "data_rds_multi_az": False},
        "data_rds_multi_az=false in production",
    ),
    "prod_short_backups": (
        {"data_production": True, "data_rds_multi_az": True, "data_rds_backup_retention_period": 3},
        "data_rds_backup_retention_period=3 in production",
    ),
    "prod_replicas_without_failover": (
        {"data_production": True, "data_rds_multi_az": True, "data_redis_num_cache_nodes": 3},
        "data_redis_automatic_failover_enabled=false with 2 replica(s) in production",
    ),
    "evicting_broker": (
        {"data_redis_parameters": {"maxmemory-policy": "allkeys-lru"}},
        "maxmemory-policy='allkeys-lru'",
    ),
    "invalid_bucket_name": (
        {"data_dags_bucket_name": "Pathwai_DAGs"},
        "data_dags_bucket_name='Pathwai_DAGs' is not a valid",
    ),
    "fargate_pair_invalid": (
        {"compute_services": {"api-server": {"cpu": 1024, "memory": 1024}}},
        "compute_services.api-server: memory=1024 is not valid with cpu=1024 on Fargate",
    ),
    "fargate_cpu_invalid": (
        {"compute_services": {"scheduler": {"cpu": 3000, "memory": 4096}}},
        "compute_services.scheduler: cpu=3000 is not a Fargate size",
    ),
    "worker_min_above_max": (
        {"compute_services": {"worker": {"min_capacity": 5, "max_capacity": 2, "desired_count": 3}}},
        "compute_services.worker: min_capacity=5 is greater than max_capacity=2",
    ),
    "worker_desired_outside_range": (
        {"compute_services": {"worker": {"min_capacity": 1, "max_capacity": 3, "desired_count": 9}}},
        "compute_services.worker.desired_count=9 is outside min_capacity..max_capacity (1..3)",
    ),
    "image_without_tag": (
        {"compute_airflow_image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow"},
        "image='123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow' must name a tag or a digest",
    ),
    "unknown_capacity_provider": (
        {"compute_services": {"worker": {"capacity_provider": "EC2_SPOT"}}},
        "compute_services.worker.capacity_provider='EC2_SPOT' is not one of the cluster's capacity providers",
    ),
    "oidc_without_private_idp_path": (
        {"network_idp_cidrs": [], "network_idp_route_target": ""},
        "an internal ALB cannot reach a public IdP",
    ),
    "alb_tls12_policy": (
        {"alb_ssl_policy": "ELBSecurityPolicy-2016-08"},
        "alb_ssl_policy='ELBSecurityPolicy-2016-08' is not a TLS 1.3 policy",
    ),
    "alb_airflow2_health_path": (
        {"alb_health_check_path": "/health"},
        "alb_health_check_path='/health': Airflow 3 answers 404 there",
    ),
    "failover_without_replica": (
        {"data_redis_automatic_failover_enabled": True},
        "data_redis_automatic_failover_enabled=true needs a replica",
    ),
}


def _security_groups(**changes) -> dict:
    """The network role's rule table with ``changes`` applied: {"dag-sync.description": "x"},
    {"alb.ingress.0.peer": "y"} (a dotted path, list indices as numbers)."""
    table = yaml.safe_load((ROOT / "roles/network/defaults/main.yml").read_text())["network_security_groups"]
    table = copy.deepcopy(table)
    for dotted, value in changes.items():
        *path, last = [int(part) if part.isdigit() else part for part in dotted.split(".")]
        node = table
        for key in path:
            node = node[key]
        node[last] = value
    return table


# AWS's own rules (cfn-lint's schemas and data, botocore's models, the windows' and SNS's forms):
# each value below is accepted by the emulator but refused by AWS at create time.
AWS_RULE_CASES = {
    "sg_description_charset": (
        {
            "network_security_groups": _security_groups(
                **{"dag-sync.description": "DAG sync service (S3 -> EFS)"}
            )
        },
        "network_security_groups.dag-sync.description='DAG sync service (S3 -> EFS)' is refused by AWS as "
        "AWS::EC2::SecurityGroup GroupDescription",
    ),
    "sg_rule_description_charset": (
        {"network_security_groups": _security_groups(**{"alb.ingress.0.peer": "corp&vpn"})},
        "network_security_groups.alb.ingress[0] (rule description)='alb-ingress-corp&vpn-tcp-443' is refused",
    ),
    "az_outside_region": (
        {"network_availability_zones": ["us-east-1a", "eu-west-1b"]},
        "network_availability_zones has 'eu-west-1b', which is not an availability zone of "
        "airflow_region='us-east-1'",
    ),
    "unknown_region": ({"airflow_region": "us-east-9"}, "airflow_region='us-east-9' is not an AWS region"),
    "project_too_long_for_alb": (
        {"airflow_project": "analytics-platform-team"},
        "airflow_project='analytics-platform-team' (with airflow_env='local') -> "
        "alb_name='analytics-platform-team-local-alb' is refused by AWS as "
        "AWS::ElasticLoadBalancingV2::LoadBalancer Name: 33 characters, at most 32 allowed",
    ),
    "project_charset_for_rds": (
        {"airflow_project": "air_flow"},
        "airflow_project='air_flow' (with airflow_env='local') -> "
        "the RDS instance identifier='air_flow-local-db' is refused by AWS as "
        "AWS::RDS::DBInstance DBInstanceIdentifier",
    ),
    "prefix_too_long_for_redis": (
        {"data_name_prefix": "pathwai-analytics-airflow-platform-x"},
        "data_name_prefix='pathwai-analytics-airflow-platform-x' -> the ElastiCache replication group id=",
    ),
    "alb_name_too_long": (
        {"alb_name": "pathwai-airflow-internal-balancer"},
        "alb_name='pathwai-airflow-internal-balancer' is refused by AWS as "
        "AWS::ElasticLoadBalancingV2::LoadBalancer Name: 33 characters, at most 32 allowed",
    ),
    "flow_log_retention_not_offered": (
        {"network_flow_logs_retention_days": 31},
        "network_flow_logs_retention_days=31 is refused by AWS as AWS::Logs::LogGroup RetentionInDays",
    ),
    "flow_log_rejected_traffic_only": (
        {"network_flow_logs_traffic_type": "REJECT"},
        "network_flow_logs_traffic_type='REJECT' must be ALL",
    ),
    "endpoint_policy_every_action": (
        {"endpoints_policy_actions": {"kms": ["kms:*"]}},
        "endpoints_policy_actions[kms] allows every action with kms:*",
    ),
    "s3_endpoint_policy_wildcard_bucket": (
        {"endpoints_s3_policy_buckets": ["pathwai-*"]},
        "endpoints_s3_policy_buckets holds 'pathwai-*'",
    ),
    "alb_access_logs_prefix_with_awslogs": (
        {"alb_access_logs_prefix": "logs/AWSLogs"},
        "alb_access_logs_prefix='logs/AWSLogs'",
    ),
    "alb_access_logs_never_expire": (
        {"alb_access_logs_expiration_days": 0},
        "alb_access_logs_expiration_days='0' must be a whole number of days",
    ),
    "alb_name_internal_prefix": (
        {"alb_name": "internal-airflow"},
        "alb_name='internal-airflow' is refused by AWS as AWS::ElasticLoadBalancingV2::LoadBalancer Name",
    ),
    "env_uppercase_bucket": (
        {"airflow_env": "Local"},
        "airflow_env='Local' -> data_dags_bucket_name='pathwai-airflow3-dags-Local' "
        "is not a valid S3 bucket name",
    ),
    "rds_deprecated_version": (
        {"data_rds_engine_version": "16.8"},
        "data_rds_engine_version='16.8' is deprecated: AWS refuses it for new postgres resources",
    ),
    "redis_unknown_version": (
        {"data_redis_engine_version": "7.3"},
        "data_redis_engine_version='7.3' is not a known redis version",
    ),
    "rds_backup_retention_over_35": (
        {"data_rds_backup_retention_period": 36},
        "data_rds_backup_retention_period=36 is refused by AWS as "
        "AWS::RDS::DBInstance BackupRetentionPeriod: above the maximum of 35",
    ),
    "rds_performance_insights_retention": (
        {"data_rds_performance_insights_retention_period": 30},
        "data_rds_performance_insights_retention_period=30 is refused by AWS as "
        "AWS::RDS::DBInstance PerformanceInsightsRetentionPeriod",
    ),
    "rds_instance_class_unknown": (
        {"data_rds_instance_class": "db.t4g.huge"},
        "data_rds_instance_class='db.t4g.huge' is refused by AWS as AWS::RDS::DBInstance DBInstanceClass",
    ),
    "redis_node_type_unknown": (
        {"data_redis_node_type": "cache.t4g.mega"},
        "data_redis_node_type='cache.t4g.mega' is refused by AWS as "
        "AWS::ElastiCache::CacheCluster CacheNodeType",
    ),
    "log_retention_not_offered": (
        {"compute_log_retention_days": 31},
        "compute_log_retention_days=31 is refused by AWS as AWS::Logs::LogGroup RetentionInDays",
    ),
    "exec_log_retention_not_offered": (
        {"compute_exec_log_retention_days": 45},
        "compute_exec_log_retention_days=45 is refused by AWS as AWS::Logs::LogGroup RetentionInDays",
    ),
    "s3_lifecycle_zero_days": (
        {"data_logs_expiration_days": 0},
        "data_logs_expiration_days=0 is refused by S3: expiration days must be 1 or more",
    ),
    "efs_lifecycle_not_offered": (
        {"data_efs_lifecycle_transition_to_ia": "AFTER_2_DAYS"},
        "data_efs_lifecycle_transition_to_ia='AFTER_2_DAYS' is refused by AWS as "
        "AWS::EFS::FileSystem LifecyclePolicy.TransitionToIA",
    ),
    "rds_backup_overlaps_maintenance": (
        {"data_rds_backup_window": "04:30-05:30"},
        "data_rds_backup_window='04:30-05:30' overlaps data_rds_maintenance_window='sun:04:00-sun:05:00'",
    ),
    "rds_backup_window_too_short": (
        {"data_rds_backup_window": "03:00-03:15"},
        "data_rds_backup_window='03:00-03:15' is 15 minutes: RDS needs at least 30",
    ),
    "rds_maintenance_window_format": (
        {"data_rds_maintenance_window": "sunday:04:00-sunday:05:00"},
        "data_rds_maintenance_window='sunday:04:00-sunday:05:00' must be ddd:hh24:mi-ddd:hh24:mi",
    ),
    "redis_snapshot_overlaps_maintenance": (
        {"data_redis_snapshot_window": "04:00-06:00"},
        "data_redis_snapshot_window='04:00-06:00' overlaps "
        "data_redis_maintenance_window='sun:05:00-sun:07:00'",
    ),
    "redis_maintenance_window_too_short": (
        {"data_redis_maintenance_window": "sun:05:00-sun:05:30"},
        "data_redis_maintenance_window='sun:05:00-sun:05:30' is 30 minutes: ElastiCache needs at least 60",
    ),
    "redis_snapshot_retention_over_35": (
        {"data_redis_snapshot_retention_limit": 40},
        "data_redis_snapshot_retention_limit=40 is refused by ElastiCache",
    ),
    "alert_email_malformed": (
        {"monitoring_alert_subscriptions": [{"protocol": "email", "endpoint": "oncall"}]},
        "monitoring_alert_subscriptions[0]: endpoint 'oncall' is not an e-mail address",
    ),
    "alert_sms_not_e164": (
        {"monitoring_alert_subscriptions": [{"protocol": "sms", "endpoint": "555-0100"}]},
        "monitoring_alert_subscriptions[0]: endpoint '555-0100' is not a phone number in E.164 format",
    ),
    "alert_sqs_not_arn": (
        {
            "monitoring_alert_subscriptions": [
                {"protocol": "sqs", "endpoint": "https://sqs.us-east-1.amazonaws.com/123456789012/alerts"}
            ]
        },
        "monitoring_alert_subscriptions[0]: endpoint "
        "'https://sqs.us-east-1.amazonaws.com/123456789012/alerts' is not an SQS queue ARN",
    ),
    "alert_lambda_not_function_arn": (
        {
            "monitoring_alert_subscriptions": [
                {"protocol": "lambda", "endpoint": "arn:aws:sqs:us-east-1:123456789012:alerts"}
            ]
        },
        "monitoring_alert_subscriptions[0]='arn:aws:sqs:us-east-1:123456789012:alerts' is refused by AWS as "
        "AWS::SNS::Subscription Endpoint: does not match the AWS::Lambda::Function.Arn format",
    ),
    "alb_health_check_interval_limit": (
        {"alb_health_check_interval": 400},
        "alb_health_check_interval=400 is refused by AWS "
        "(elbv2 CreateTargetGroup HealthCheckIntervalSeconds): above the maximum of 300",
    ),
    "alb_unhealthy_threshold_limit": (
        {"alb_unhealthy_threshold": 11},
        "alb_unhealthy_threshold=11 is refused by AWS (elbv2 CreateTargetGroup UnhealthyThresholdCount)",
    ),
    "kms_alias_charset": (
        {"kms_name_prefix": "airflow local"},
        "kms_name_prefix='airflow local' -> the alias of kms_keys",
    ),
    "alert_topic_name_charset": (
        {"monitoring_alert_topic_name": "airflow-alerts!"},
        "monitoring_alert_topic_name='airflow-alerts!' is refused by AWS as AWS::SNS::Topic TopicName",
    ),
    "iam_role_name_too_long": (
        {"compute_name_prefix": "pathwai-analytics-airflow-platform-europe-central"},
        "compute_name_prefix='pathwai-analytics-airflow-platform-europe-central' -> the IAM role name=",
    ),
    "worker_min_capacity_negative": (
        {"compute_services": {"worker": {"min_capacity": -1, "max_capacity": 3, "desired_count": 1}}},
        "compute_services.worker.min_capacity=-1 is refused by Application Auto Scaling",
    ),
    # Issue 16: prod refuses to deploy without an alert subscription; retention and enhanced monitoring.
    "prod_without_alert_subscription": (
        {"airflow_env": "prod"},
        "monitoring_alert_subscriptions is empty with monitoring_require_subscription=true "
        "(airflow_env='prod')",
    ),
    "log_retention_below_minimum": (
        {"data_min_log_retention_days": 365, "compute_log_retention_days": 30},
        "compute_log_retention_days=30 is below data_min_log_retention_days=365",
    ),
    "rds_monitoring_interval_not_offered": (
        {"data_rds_monitoring_interval": 20},
        "data_rds_monitoring_interval=20 is refused by AWS as AWS::RDS::DBInstance MonitoringInterval: "
        "must be one of 0, 1, 5, 10, 15, 30, 60",
    ),
    "alarm_description_too_long": (
        {"monitoring_alarms": {"rds-cpu": {"description": "x" * 1100}}},
        "monitoring_alarms.rds-cpu.description='" + "x" * 1100 + "' is refused by AWS as "
        "AWS::CloudWatch::Alarm AlarmDescription: 1100 characters, at most 1024 allowed",
    ),
}
ALL_CASES = {**CASES, **AWS_RULE_CASES}
REFUSED = "The inventory was refused before any AWS call"
PLAY = "PLAY [Preflight - validate the inventory of every role]"
ROLES = ["network", "kms", "endpoints", "data", "alb", "compute", "monitoring"]
# Roles whose defaults read another role's variables (alb_idp_* and alb_execution_api_port
# default to the network role's; endpoints_s3_policy_buckets to the data and alb bucket names).
READERS = {"network": ["alb"], "data": ["endpoints"], "alb": ["endpoints"]}


def _roles(overrides: dict) -> list[str]:
    """The roles a case's variables reach: their own role's, the roles reading them, and every
    role for the airflow_* variables all names are made from. (site.yml runs them all: the
    multi-role test below.)"""
    if any(name.startswith("airflow_") for name in overrides):
        return ROLES
    touched = {role for role in ROLES for name in overrides if name.startswith(f"{role}_")}
    touched |= {reader for role in list(touched) for reader in READERS.get(role, [])}
    return [role for role in ROLES if role in touched]


@pytest.fixture(scope="module")
def preflight_reports(module_aws_endpoint, tmp_path_factory) -> dict:
    """Every case through the preflight play, in one ansible-playbook run against the emulator:
    each case's part of the output, and the AWS calls the whole run made (none allowed)."""
    cases = sorted(ALL_CASES)
    plays = [
        {
            "name": f"Bad inventory {case}",
            "ansible.builtin.import_playbook": str(ROOT / "playbooks" / "preflight.yml"),
            "vars": {
                **ALL_CASES[case][0],
                "preflight_roles": _roles(ALL_CASES[case][0]),
                "preflight_continue_on_refusal": True,
            },
        }
        for case in cases
    ]
    playbook = Path(tmp_path_factory.mktemp("preflight")) / "bad_inventories.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    module_aws_endpoint.reset_calls()
    run = run_playbook(str(playbook))
    parts = run.output.split(PLAY)[1:]
    assert len(parts) == len(cases), run.output[-3000:]
    return {
        "parts": dict(zip(cases, parts, strict=True)),
        "calls": module_aws_endpoint.calls(),
        "output": run.output,
    }


@pytest.mark.parametrize("case", sorted(ALL_CASES))
def test_bad_input_fails_before_any_aws_call(case, preflight_reports):
    part = preflight_reports["parts"][case]
    assert REFUSED in part, part[-3000:]
    assert ALL_CASES[case][1] in part, part[-3000:]
    assert preflight_reports["calls"] == [], "a wrong inventory must not reach AWS"


def test_one_site_run_reports_every_role_at_once(module_aws_endpoint):
    """site.yml itself, problems in four roles: one failing run lists them all, before any AWS call."""
    overrides = {
        "network_availability_zones": ["us-east-1a", "eu-west-1b"],
        "data_rds_engine_version": "16.8",
        "data_rds_backup_window": "04:30-05:30",
        "alb_health_check_interval": 400,
        "monitoring_alert_subscriptions": [{"protocol": "sms", "endpoint": "555-0100"}],
    }
    module_aws_endpoint.reset_calls()
    run = run_playbook("site.yml", extra_vars=overrides)
    assert run.rc != 0, run.output[-2000:]
    assert f"{REFUSED} (4 role(s) with problems)" in run.output, run.output[-3000:]
    for expected in (
        "network: Invalid network inventory: network_availability_zones has 'eu-west-1b'",
        "data_rds_engine_version='16.8' is deprecated",
        "data_rds_backup_window='04:30-05:30' overlaps data_rds_maintenance_window",
        "alb: Invalid alb inventory: alb_health_check_interval=400",
        "monitoring: Invalid monitoring inventory: monitoring_alert_subscriptions[0]: endpoint '555-0100'",
    ):
        assert expected in run.output, (expected, run.output[-3000:])
    assert "PLAY [Phase 1" not in run.output
    assert module_aws_endpoint.calls() == [], "a wrong inventory must not reach AWS"


DESTROY_PRODUCTION = {
    "prod_env": {"airflow_env": "prod", "confirm": "prod"},
    "data_production": {"confirm": "local", "data_production": True},
}


@pytest.mark.parametrize("case", sorted(DESTROY_PRODUCTION))
def test_destroy_refuses_production_before_any_aws_call(case, module_aws_endpoint):
    module_aws_endpoint.reset_calls()
    run = run_playbook("playbooks/destroy.yml", extra_vars=DESTROY_PRODUCTION[case])
    assert run.rc != 0, run.output[-2000:]
    assert "Refusing to destroy production environment" in run.output, run.output[-3000:]
    assert "-e destroy_allow_production=true" in run.output
    assert module_aws_endpoint.calls() == [], "a refused destroy must not reach AWS"
