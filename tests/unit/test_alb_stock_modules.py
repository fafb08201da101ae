"""The stock modules the alb role uses, run by ansible-playbook against the emulator, converge and re-run
without a change:

* amazon.aws.elb_application_lb with idle_timeout / deletion_protection / http2 /
  http_drop_invalid_header_fields, scheme internal, listeners omitted and purge_listeners false
  (local_aws/extensions/elbv2_load_balancer_attributes.py: moto returned 4 attributes only);
* community.aws.elb_target_group with the api-server's health check, stickiness and deregistration delay
  (local_aws/extensions/elbv2_target_group_attributes.py: moto lacked the stickiness duration);
* community.aws.acm_certificate importing a self-signed certificate
  (local_aws/extensions/acm_imported_chain.py:
  moto appended its root CA to the chain, so every run re-imported).
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import boto3
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from ansible_run import run_playbook

LB, TG, CERT_NAME = "airflow-stock-alb", "airflow-stock-api", "airflow-stock-alb"
AWS = {"endpoint_url": "{{ lookup('env', 'AWS_ENDPOINT_URL') }}", "region": "us-east-1"}


def self_signed(directory: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "airflow.internal.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("airflow.internal.example.com")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


def playbook(directory: Path, subnets: list, group: str, vpc: str) -> list:
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Internal ALB with attributes, listeners left alone",
                    "amazon.aws.elb_application_lb": {
                        "name": LB,
                        "scheme": "internal",
                        "subnets": subnets,
                        "security_groups": [group],
                        "ip_address_type": "ipv4",
                        "idle_timeout": 120,
                        "deletion_protection": True,
                        "http2": True,
                        "http_drop_invalid_header_fields": True,
                        "purge_listeners": False,
                        "tags": {"Name": LB, "airflow:env": "test"},
                        "purge_tags": True,
                        "state": "present",
                        **AWS,
                    },
                },
                {
                    "name": "api-server target group",
                    "community.aws.elb_target_group": {
                        "name": TG,
                        "protocol": "HTTP",
                        "port": 8080,
                        "vpc_id": vpc,
                        "target_type": "ip",
                        "health_check_protocol": "HTTP",
                        "health_check_port": "traffic-port",
                        "health_check_path": "/api/v2/monitor/health",
                        "health_check_interval": 30,
                        "health_check_timeout": 10,
                        "healthy_threshold_count": 2,
                        "unhealthy_threshold_count": 5,
                        "successful_response_codes": "200",
                        "stickiness_enabled": True,
                        "stickiness_type": "lb_cookie",
                        "stickiness_lb_cookie_duration": 86400,
                        "deregistration_delay_timeout": 30,
                        "modify_targets": False,
                        "tags": {"Name": TG, "airflow:env": "test"},
                        "purge_tags": True,
                        "state": "present",
                        **AWS,
                    },
                },
                {
                    "name": "Import the self-signed certificate",
                    "community.aws.acm_certificate": {
                        "name_tag": CERT_NAME,
                        "certificate": f"{{{{ lookup('ansible.builtin.file', '{directory}/tls.crt') }}}}",
                        "private_key": f"{{{{ lookup('ansible.builtin.file', '{directory}/tls.key') }}}}",
                        "tags": {"airflow:env": "test"},
                        "purge_tags": True,
                        "state": "present",
                        **AWS,
                    },
                    "no_log": True,
                },
            ],
        }
    ]


@pytest.fixture
def files(tmp_path, aws_endpoint):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnets = sorted(
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.2.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    )
    group = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    self_signed(tmp_path)
    book = tmp_path / "alb.yml"
    book.write_text(yaml.safe_dump(playbook(tmp_path, subnets, group, vpc), sort_keys=False))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                        }
                    }
                }
            }
        )
    )
    return str(book), str(inventory), vpc


def test_stock_alb_modules_converge_and_rerun_changes_nothing(files, aws_endpoint, tmp_path):
    book, inventory, _vpc = files
    first = run_playbook(book, inventory=inventory)
    assert first.rc == 0, first.output[-4000:]
    assert first.changed == 3, first.output[-4000:]

    url = aws_endpoint.url
    elb = boto3.client("elbv2", endpoint_url=url)
    lb = elb.describe_load_balancers(Names=[LB])["LoadBalancers"][0]
    assert lb["Scheme"] == "internal"
    attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    assert attrs["idle_timeout.timeout_seconds"] == "120"
    assert attrs["deletion_protection.enabled"] == "true"
    assert attrs["routing.http2.enabled"] == "true"
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["routing.http.desync_mitigation_mode"] == "defensive"  # untouched default
    tg = elb.describe_target_groups(Names=[TG])["TargetGroups"][0]
    assert (tg["TargetType"], tg["Protocol"], tg["Port"]) == ("ip", "HTTP", 8080)
    assert tg["HealthCheckPath"] == "/api/v2/monitor/health"
    assert (tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"]) == (30, 10)
    assert (tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"]) == (2, 5)
    assert tg["Matcher"]["HttpCode"] == "200"
    tg_attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
    }
    assert tg_attrs["stickiness.enabled"] == "true" and tg_attrs["stickiness.type"] == "lb_cookie"
    assert tg_attrs["stickiness.lb_cookie.duration_seconds"] == "86400"
    assert tg_attrs["deregistration_delay.timeout_seconds"] == "30"
    acm = boto3.client("acm", endpoint_url=url)
    (cert,) = acm.list_certificates()["CertificateSummaryList"]
    imported = acm.get_certificate(CertificateArn=cert["CertificateArn"])
    pem = (tmp_path / "tls.crt").read_text()
    assert imported["CertificateChain"].strip() == pem.strip()  # no emulator CA appended

    # A listener made by someone else (pathwai.airflow_ecs.elb_listener) survives purge_listeners: false.
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Port=8443,
        Protocol="HTTP",
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )
    aws_endpoint.reset_calls()
    again = run_playbook(book, inventory=inventory)
    assert again.rc == 0, again.output[-4000:]
    assert again.changed == 0, again.output[-4000:]
    assert [c for c in aws_endpoint.calls() if c["write"]] == []
    assert [
        lst["Port"] for lst in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    ] == [8443]
    assert len(acm.list_certificates()["CertificateSummaryList"]) == 1


def test_load_balancer_attributes_are_aws_shaped(aws_endpoint):
    """Every documented ALB attribute with its default; only valid keys and values are stored."""
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    elb = boto3.client("elbv2", endpoint_url=aws_endpoint.url)
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.3.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    arns = {
        scheme: elb.create_load_balancer(Name=f"lb-{scheme}", Subnets=subnets, Scheme=scheme)[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        for scheme in ("internal", "internet-facing")
    }

    def attrs(arn):
        return {
            a["Key"]: a["Value"]
            for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        }

    internal = attrs(arns["internal"])
    assert internal["idle_timeout.timeout_seconds"] == "60"
    assert internal["client_keep_alive.seconds"] == "3600"
    assert internal["routing.http2.enabled"] == "true"
    assert internal["routing.http.xff_header_processing.mode"] == "append"
    assert internal["waf.fail_open.enabled"] == "false"
    assert internal["load_balancing.cross_zone.enabled"] == "true"
    assert internal["access_logs.s3.enabled"] == "false"
    assert internal["ipv6.deny_all_igw_traffic"] == "true"
    assert attrs(arns["internet-facing"])["ipv6.deny_all_igw_traffic"] == "false"

    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arns["internal"],
        Attributes=[
            {"Key": "routing.http.desync_mitigation_mode", "Value": "strictest"},
            {"Key": "client_keep_alive.seconds", "Value": "600"},
        ],
    )
    changed = attrs(arns["internal"])
    assert changed["routing.http.desync_mitigation_mode"] == "strictest"
    assert changed["client_keep_alive.seconds"] == "600"
    for bad in (
        {"Key": "idle_timeout.timeout_seconds", "Value": "5000"},
        {"Key": "routing.http.desync_mitigation_mode", "Value": "lenient"},
        {"Key": "dns_record.client_routing_policy", "Value": "any_availability_zone"},  # NLB only
        {"Key": "load_balancing.cross_zone.enabled", "Value": "false"},
    ):
        with pytest.raises(elb.exceptions.ClientError):
            elb.modify_load_balancer_attributes(LoadBalancerArn=arns["internal"], Attributes=[bad])
    assert attrs(arns["internal"]) == changed


def test_oidc_client_secret_is_kept_and_never_returned(aws_endpoint):
    """The emulator keeps the secret across UseExistingClientSecret and refuses secret + UseExisting."""
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint.url)
    elb = boto3.client("elbv2", endpoint_url=aws_endpoint.url)
    acm = boto3.client("acm", endpoint_url=aws_endpoint.url)
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.4.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name="lb-oidc", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]
    cert = acm.request_certificate(DomainName="x.example.com")["CertificateArn"]
    oidc = {
        "Issuer": "https://i.example.com",
        "AuthorizationEndpoint": "https://i.example.com/a",
        "TokenEndpoint": "https://i.example.com/t",
        "UserInfoEndpoint": "https://i.example.com/u",
        "ClientId": "c",
    }
    fixed = {"Type": "fixed-response", "Order": 2, "FixedResponseConfig": {"StatusCode": "200"}}
    created = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Port=443,
        Protocol="HTTPS",
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=[
            {
                "Type": "authenticate-oidc",
                "Order": 1,
                "AuthenticateOidcConfig": dict(oidc, ClientSecret="s3cret"),
            },
            fixed,
        ],
    )["Listeners"][0]
    arn = created["ListenerArn"]
    assert "s3cret" not in str(created)
    elb.modify_listener(
        ListenerArn=arn,
        DefaultActions=[
            {
                "Type": "authenticate-oidc",
                "Order": 1,
                "AuthenticateOidcConfig": dict(oidc, UseExistingClientSecret=True),
            },
            fixed,
        ],
    )
    described = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    assert described["AuthenticateOidcConfig"] == {
        **oidc,
        "Scope": "openid",
        "SessionCookieName": "AWSELBAuthSessionCookie",
        "SessionTimeout": 604800,
        "OnUnauthenticatedRequest": "authenticate",
    }
    with pytest.raises(elb.exceptions.ClientError, match="UseExistingClientSecret"):
        elb.modify_listener(
            ListenerArn=arn,
            DefaultActions=[
                {
                    "Type": "authenticate-oidc",
                    "Order": 1,
                    "AuthenticateOidcConfig": dict(oidc, ClientSecret="x", UseExistingClientSecret=True),
                },
                fixed,
            ],
        )
