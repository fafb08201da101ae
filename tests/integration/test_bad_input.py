"""A wrong inventory fails before anything is touched: a clear message, zero AWS calls."""

from __future__ import annotations

import pytest
from ansible_run import run_playbook

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


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_before_any_aws_call(case, module_aws_endpoint):
    overrides, expected = CASES[case]
    module_aws_endpoint.reset_calls()
    run = run_playbook("site.yml", extra_vars=overrides)
    assert run.rc != 0, run.output[-2000:]
    assert expected in run.output, run.output[-3000:]
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
