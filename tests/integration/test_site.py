"""site.yml against the emulator: converge, re-run with no change, --check as a true plan,
secrets generated once and never printed, the audit passing, and the audit failing (naming
the resource) for each injected violation."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest
from ansible_run import run_playbook

pytestmark = pytest.mark.slow


def secret_values(url: str) -> dict[str, str]:
    client = boto3.client("secretsmanager", endpoint_url=url)
    names = [s["Name"] for s in client.list_secrets()["SecretList"] if s["Name"].startswith("airflow/local/")]
    return {name: client.get_secret_value(SecretId=name)["SecretString"] for name in names}


@pytest.fixture(scope="module")
def stack(deployed_stack):
    """The session's stack (tests/conftest.py): site.yml's first run, read by the e2e proof before."""
    first = deployed_stack["first"]
    assert first.changed > 0
    url = deployed_stack["emulator"].url
    ec2 = boto3.client("ec2", endpoint_url=url)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["airflow-local-vpc"]}])["Vpcs"]
    return {
        "emulator": deployed_stack["emulator"],
        "ec2": ec2,
        "vpc": vpcs[0]["VpcId"],
        "first": first,
        "secrets": secret_values(url),
        "kms": boto3.client("kms", endpoint_url=url),
        "s3": boto3.client("s3", endpoint_url=url),
        "iam": boto3.client("iam", endpoint_url=url),
        "ecs": boto3.client("ecs", endpoint_url=url),
        "elbv2": boto3.client("elbv2", endpoint_url=url),
    }


@pytest.fixture(scope="module")
def rerun(stack):
    stack["emulator"].reset_calls()
    again = run_playbook("site.yml", "-vvv")
    return again, stack["emulator"].calls()


def test_rerun_changes_nothing(rerun):
    again, calls = rerun
    assert again.rc == 0, again.output[-6000:]
    assert again.changed == 0, again.output[-6000:]
    assert [c for c in calls if c["write"]] == []
    print(f"\nsite.yml re-run: {len(calls)} AWS API calls, 0 writes")


def test_no_deprecation_warning(stack, rerun):
    """How the roles call the stock modules draws no deprecation warning, on the first run or a re-run."""
    for run in (stack["first"], rerun[0]):
        warned = [line for line in run.output.splitlines() if "DEPRECATION WARNING" in line]
        assert warned == [], "\n".join(warned)


def test_every_secret_is_kept_across_reruns(stack, rerun):
    expected = {
        "db",
        "db_master_password",
        "sql_alchemy_conn",
        "celery_result_backend",
        "redis_auth_token",
        "redis",
        "celery_broker_url",
        "fernet_key",
        "api_secret_key",
        "jwt_secret",
        "oidc_client_secret",
    }
    assert {name.rsplit("/", 1)[1] for name in stack["secrets"]} == expected
    assert secret_values(stack["emulator"].url) == stack["secrets"]
    values = stack["secrets"]
    assert values["airflow/local/celery_broker_url"].startswith("rediss://:")
    assert values["airflow/local/celery_broker_url"].endswith(":6379/0?ssl_cert_reqs=required")
    assert values["airflow/local/sql_alchemy_conn"].startswith("postgresql+psycopg2://airflow:")
    verified = "?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem"  # the image's RDS CA
    assert values["airflow/local/sql_alchemy_conn"].endswith(verified)
    assert values["airflow/local/celery_result_backend"].endswith(verified)
    assert values["airflow/local/celery_result_backend"].startswith("db+postgresql://airflow:")
    assert json.loads(values["airflow/local/db"])["password"] == values["airflow/local/db_master_password"]


def test_no_secret_value_in_verbose_output(stack, rerun):
    outputs = stack["first"].output + rerun[0].output
    assert "airflow/local/db_master_password" in outputs  # the -vvv output is there to search
    leaks = []
    for name, value in stack["secrets"].items():
        parts = [value]
        if value.startswith("{"):
            parts = [str(v) for k, v in json.loads(value).items() if k in ("password", "auth_token")]
        leaks += [name for part in parts if part in outputs]
    assert leaks == [], f"secret values printed by ansible-playbook -vvv: {leaks}"


def test_check_mode_on_converged_stack_plans_no_change(stack):
    stack["emulator"].reset_calls()
    plan = run_playbook("site.yml", check=True)
    assert plan.rc == 0, plan.output[-4000:]
    assert plan.changed == 0, plan.output[-4000:]
    assert [c for c in stack["emulator"].calls() if c["write"]] == []


def test_validate_passes(stack):
    """The gate judges the plan and the live account's rendering; the policies pass on both."""
    audit = run_playbook("playbooks/validate.yml")
    assert audit.rc == 0, audit.output[-4000:]
    assert "Audit passed: the plan and the live account satisfy every policy" in audit.output
    assert "Gate passed: the plan of local" in audit.output
    assert "Gate passed: the live account of local" in audit.output


def _subnet(stack, name):
    return stack["ec2"].describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])["Subnets"][0][
        "SubnetId"
    ]


def _route_table(stack, name):
    tables = stack["ec2"].describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [name]}])[
        "RouteTables"
    ]
    return tables[0]["RouteTableId"]


def _group(stack, name):
    groups = stack["ec2"].describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    return groups["SecurityGroups"][0]["GroupId"]


def inject_nat_gateway(stack):
    ec2 = stack["ec2"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=_subnet(stack, "airflow-local-private-a"), AllocationId=allocation)
    nat_id = nat["NatGateway"]["NatGatewayId"]
    return nat_id, lambda: ec2.delete_nat_gateway(NatGatewayId=nat_id)


def inject_internet_route(stack):
    ec2 = stack["ec2"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=stack["vpc"])
    table = _route_table(stack, "airflow-local-rt-private")
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)

    def undo():
        ec2.delete_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0")
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=stack["vpc"])
        ec2.delete_internet_gateway(InternetGatewayId=igw)

    return f"{table}).0.0.0.0/0", undo


def inject_open_ingress(stack):
    ec2 = stack["ec2"]
    group = _group(stack, "airflow-local-worker")
    permission = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permission)
    return (
        f"airflow-local-worker({group}).ingress.tcp.22-22.0.0.0.0/0",
        lambda: ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=permission),
    )


def inject_rotation_off(stack):
    kms = stack["kms"]
    key = kms.describe_key(KeyId="alias/airflow-local-rds")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key)
    return (
        f"KMS key rotation off: aws_kms_key.alias/airflow-local-rds({key})",
        lambda: kms.enable_key_rotation(KeyId=key),
    )


def inject_plain_http_bucket(stack):
    s3 = stack["s3"]
    policy = s3.get_bucket_policy(Bucket="pathwai-airflow3-dags-local")["Policy"]
    s3.delete_bucket_policy(Bucket="pathwai-airflow3-dags-local")
    return (
        "Policy does not deny requests without TLS: aws_s3_bucket.pathwai-airflow3-dags-local",
        lambda: s3.put_bucket_policy(Bucket="pathwai-airflow3-dags-local", Policy=policy),
    )


def _put_statement(stack, role: str, statement: dict):
    iam = stack["iam"]
    document = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    changed = dict(document, Statement=[*document["Statement"], statement])
    iam.put_role_policy(RoleName=role, PolicyName=role, PolicyDocument=json.dumps(changed))
    return lambda: iam.put_role_policy(RoleName=role, PolicyName=role, PolicyDocument=json.dumps(document))


def inject_iam_wildcard(stack):
    undo = _put_statement(
        stack,
        "airflow-local-worker-task",
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::pathwai-airflow3-logs-local/*"},
    )
    return "IAM wildcard action s3:*: aws_iam_role.airflow-local-worker-task", undo


def inject_extra_secret_for_worker(stack):
    """The worker's execution role may read the JWT secret, which its task definition never names."""
    sm = boto3.client("secretsmanager", endpoint_url=stack["emulator"].url)
    jwt = sm.describe_secret(SecretId="airflow/local/jwt_secret")["ARN"]
    undo = _put_statement(
        stack,
        "airflow-local-worker-execution",
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": jwt},
    )
    return "Execution role airflow-local-worker-execution may read", undo


def inject_scheduler_run_task(stack):
    undo = _put_statement(
        stack,
        "airflow-local-scheduler-task",
        {
            "Effect": "Allow",
            "Action": ["ecs:RunTask"],
            "Resource": "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1",
        },
    )
    return (
        "The scheduler may not ecs:RunTask (Celery needs neither): aws_iam_role.airflow-local-scheduler-task",
        undo,
    )


def _new_revision(stack, family: str, change) -> tuple[str, object]:
    """Register a changed copy of ``family``'s latest revision; undo deregisters it."""
    ecs = stack["ecs"]
    current = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    keep = (
        "family",
        "taskRoleArn",
        "executionRoleArn",
        "networkMode",
        "containerDefinitions",
        "volumes",
        "requiresCompatibilities",
        "cpu",
        "memory",
        "runtimePlatform",
    )
    request = {k: current[k] for k in keep if k in current}
    change(request["containerDefinitions"][0])
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    return arn.rsplit("/", 1)[1], lambda: ecs.deregister_task_definition(taskDefinition=arn)


def inject_jwt_root_and_writable_root_in_worker(stack):
    def change(container):
        jwt = next(s for s in container["secrets"] if s["name"] == "AIRFLOW__CORE__FERNET_KEY")["valueFrom"]
        container["secrets"].append({"name": "AIRFLOW__API_AUTH__JWT_SECRET", "valueFrom": jwt})
        container["readonlyRootFilesystem"] = False
        container["user"] = "0"

    revision, undo = _new_revision(stack, "airflow-local-worker", change)
    address = f"aws_ecs_task_definition.{revision}"
    return (
        (
            f"JWT secret given to worker (only api-server and scheduler): {address}",
            f"Container worker has a writable root file system (readonlyRootFilesystem): {address}",
            f"Container worker runs as root (user 0): {address}",
        ),
        undo,
    )


def inject_plain_secret_and_writable_mount(stack):
    def change(container):
        container["environment"].append({"name": "AIRFLOW__CORE__FERNET_KEY", "value": "not-a-real-key"})
        container["mountPoints"][0]["readOnly"] = False

    revision, undo = _new_revision(stack, "airflow-local-triggerer", change)
    return (
        "Secret-like variable AIRFLOW__CORE__FERNET_KEY set as plain environment (use secrets/valueFrom): "
        f"aws_ecs_task_definition.{revision}",
        undo,
    )


def _execution_listener(stack):
    elbv2 = stack["elbv2"]
    lb = elbv2.describe_load_balancers(Names=["airflow-local-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
    return next(listener for listener in listeners if listener["Port"] == 8443)


def inject_rule_without_oidc(stack):
    elbv2 = stack["elbv2"]
    listener = _execution_listener(stack)
    rule = next(
        r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
    )
    conditions = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}]
    elbv2.modify_rule(RuleArn=rule["RuleArn"], Conditions=conditions)
    back = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/execution/*"]}}]
    return (
        "Rule forwards /api/* without OIDC: aws_lb_listener.airflow-local-alb:8443",
        lambda: elbv2.modify_rule(RuleArn=rule["RuleArn"], Conditions=back),
    )


def inject_tls12_listener(stack):
    elbv2 = stack["elbv2"]
    listener = _execution_listener(stack)
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], SslPolicy="ELBSecurityPolicy-2016-08")
    return (
        "Listener TLS policy is not TLS 1.3 (ELBSecurityPolicy-2016-08): "
        "aws_lb_listener.airflow-local-alb:8443",
        lambda: elbv2.modify_listener(ListenerArn=listener["ListenerArn"], SslPolicy=listener["SslPolicy"]),
    )


MUTATIONS = {
    "iam_wildcard_action": inject_iam_wildcard,
    "scheduler_run_task": inject_scheduler_run_task,
    "jwt_secret_root_user_writable_root_in_worker": inject_jwt_root_and_writable_root_in_worker,
    "worker_execution_role_reads_jwt": inject_extra_secret_for_worker,
    "plain_secret_and_writable_mount": inject_plain_secret_and_writable_mount,
    "execution_rule_opened": inject_rule_without_oidc,
    "tls12_listener": inject_tls12_listener,
    "bucket_without_tls_policy": inject_plain_http_bucket,
    "nat_gateway": inject_nat_gateway,
    "internet_gateway_route": inject_internet_route,
    "open_ingress": inject_open_ingress,
    "key_rotation_off": inject_rotation_off,
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_validate_fails_naming_the_injected_violation(stack, mutation):
    named, undo = MUTATIONS[mutation](stack)
    try:
        # The collection's policies on the live account; the gate's own rules have their mutation
        # tests on rendered plans (tests/unit/test_gate_mutations.py).
        audit = run_playbook("playbooks/validate.yml", "-e", "validate_gate=false")
    finally:
        undo()
    assert audit.rc != 0, audit.output[-4000:]
    for text in named if isinstance(named, tuple) else (named,):
        assert text in audit.output, audit.output[-4000:]
    assert "Audit failed" in audit.output


# Runs last (it changes the deployed image): a new image tag is a variable change plus a re-run,
# and rollback.yml takes a service back to the revision before.
def test_image_rollout_then_rollback(stack):
    emulator, ecs = stack["emulator"], stack["ecs"]
    # The deployed services (the compute table's rows, worker pools included, and dag-sync) and db-migrate.
    arns = ecs.list_services(cluster="airflow-local", maxResults=100)["serviceArns"]
    families = [*sorted(arn.rsplit("/", 1)[-1].removeprefix("airflow-local-") for arn in arns), "db-migrate"]
    assert {"worker", "worker-heavy", "dag-sync"} <= set(families), families
    before = {
        f: ecs.describe_task_definition(taskDefinition=f"airflow-local-{f}")["taskDefinition"]
        for f in families
    }
    emulator.reset_calls()
    rollout = run_playbook(
        "playbooks/phase3_compute.yml", extra_vars={"compute_airflow_image": "airflow-ecs:3.1.8-next"}
    )
    assert rollout.rc == 0, rollout.output[-4000:]
    actions = [c["action"] for c in emulator.calls()]
    # Every Airflow service and the migrate task get one new revision each; dag-sync none.
    assert actions.count("RegisterTaskDefinition") == len(families) - 1, actions
    assert actions.count("RunTask") == 1, "db migrate must run once for the new revision"
    after = {
        f: ecs.describe_task_definition(taskDefinition=f"airflow-local-{f}")["taskDefinition"]
        for f in families
    }
    # (Revision numbers may skip: the mutation tests registered and deregistered some.)
    for family in families:
        moved = after[family]["taskDefinitionArn"] != before[family]["taskDefinitionArn"]
        assert moved == (family != "dag-sync"), (
            family,
            before[family]["revision"],
            after[family]["revision"],
        )
    service = ecs.describe_services(cluster="airflow-local", services=["airflow-local-worker"])["services"][0]
    assert service["taskDefinition"] == after["worker"]["taskDefinitionArn"]

    unknown = run_playbook("playbooks/rollback.yml", extra_vars={"rollback_service": "workers"})
    assert unknown.rc != 0 and "Set -e rollback_service=<one of" in unknown.output, unknown.output[-3000:]
    back = run_playbook("playbooks/rollback.yml", extra_vars={"rollback_service": "worker"})
    assert back.rc == 0, back.output[-4000:]
    service = ecs.describe_services(cluster="airflow-local", services=["airflow-local-worker"])["services"][0]
    assert service["taskDefinition"] == before["worker"]["taskDefinitionArn"]
    moved = f"airflow-local-worker:{after['worker']['revision']} -> "
    moved += f"airflow-local-worker:{before['worker']['revision']}"
    assert moved in back.output


# Runs very last (it removes the stack every test above uses): destroy.yml asks for confirmation
# before any AWS call, then leaves nothing tagged airflow:env=local in the emulated account.
def test_destroy_needs_confirmation_then_removes_everything(stack):
    emulator, url = stack["emulator"], stack["emulator"].url
    emulator.reset_calls()
    refused = run_playbook("playbooks/destroy.yml")
    assert refused.rc != 0, refused.output[-3000:]
    assert "Re-run with -e confirm=local" in refused.output, refused.output[-3000:]
    assert emulator.calls() == [], "destroy.yml must not reach AWS without confirmation"

    plan = run_playbook("playbooks/destroy.yml", extra_vars={"confirm": "local"}, check=True)
    assert plan.rc == 0, plan.output[-6000:]
    assert "Would destroy environment local" in plan.output
    assert stack["ecs"].describe_clusters(clusters=["airflow-local"])["clusters"][0]["status"] == "ACTIVE"

    # Deletion protection on (as in dev/prod): AWS refuses the delete until destroy.yml turns it off.
    elbv2 = stack["elbv2"]
    alb_arn = elbv2.describe_load_balancers(Names=["airflow-local-alb"])["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=alb_arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    with pytest.raises(botocore.exceptions.ClientError, match="OperationNotPermitted"):
        elbv2.delete_load_balancer(LoadBalancerArn=alb_arn)

    emulator.reset_calls()
    done = run_playbook("playbooks/destroy.yml", extra_vars={"confirm": "local"})
    assert done.rc == 0, done.output[-8000:]
    for run in (plan, done):  # amazon.aws.iam_role warned three times per role; iam_roles deletes them
        assert "DEPRECATION WARNING" not in run.output, run.output[-8000:]
    print(f"\ndestroy.yml: {len(emulator.calls())} AWS API calls")

    def client(service):
        return boto3.client(service, endpoint_url=url)

    # Everything the tagging API can see (moto: EC2, ELBv2, RDS, S3, KMS, Logs, Secrets Manager,
    # ECS, EFS, ElastiCache, ...). Three end states stay visible there, as on AWS, and are accepted:
    # KMS keys PendingDeletion (7-30 days), secrets scheduled for deletion (recovery window) and
    # INACTIVE task-definition revisions (deregistered; AWS keeps them).
    tagged = client("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "airflow:env", "Values": ["local"]}]
    )["ResourceTagMappingList"]
    kms, ecs, secretsmanager = stack["kms"], stack["ecs"], client("secretsmanager")

    def accepted(arn: str) -> bool:
        if arn.startswith("arn:aws:kms:"):
            return kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        if ":task-definition/" in arn:
            return ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == "INACTIVE"
        if arn.startswith("arn:aws:secretsmanager:"):
            return "DeletedDate" in secretsmanager.describe_secret(SecretId=arn)
        return False

    left = [r["ResourceARN"] for r in tagged if not accepted(r["ResourceARN"])]
    assert left == [], left

    # And service by service, by name and tag as the roles make them.
    ec2 = stack["ec2"]
    env = [{"Name": "tag:airflow:env", "Values": ["local"]}]
    assert ec2.describe_vpcs(Filters=env)["Vpcs"] == []
    assert ec2.describe_subnets(Filters=env)["Subnets"] == []
    assert ec2.describe_route_tables(Filters=env)["RouteTables"] == []
    assert ec2.describe_security_groups(Filters=env)["SecurityGroups"] == []
    assert [
        e for e in ec2.describe_vpc_endpoints(Filters=env)["VpcEndpoints"] if e["State"] not in ("deleted",)
    ] == []
    assert [g for g in ec2.describe_vpn_gateways(Filters=env)["VpnGateways"] if g["State"] != "deleted"] == []
    ecs = stack["ecs"]
    assert [
        c for c in ecs.describe_clusters(clusters=["airflow-local"])["clusters"] if c["status"] == "ACTIVE"
    ] == []
    assert [
        a for a in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] if "airflow-local-" in a
    ] == []
    scaling = client("application-autoscaling")
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
    elbv2 = stack["elbv2"]
    assert [
        lb
        for lb in elbv2.describe_load_balancers()["LoadBalancers"]
        if lb["LoadBalancerName"].startswith("airflow-local")
    ] == []
    assert [
        tg
        for tg in elbv2.describe_target_groups()["TargetGroups"]
        if tg["TargetGroupName"].startswith("airflow-local")
    ] == []
    assert client("acm").list_certificates()["CertificateSummaryList"] == []
    assert [r for r in stack["iam"].list_roles()["Roles"] if r["RoleName"].startswith("airflow-local-")] == []
    rds = client("rds")
    assert [
        d
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith("airflow-local")
    ] == []
    assert [
        g
        for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
        if g["DBSubnetGroupName"].startswith("airflow-local")
    ] == []
    assert [
        g
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        if g["DBParameterGroupName"].startswith("airflow-local")
    ] == []
    cache = client("elasticache")
    assert cache.describe_replication_groups()["ReplicationGroups"] == []
    assert [
        g
        for g in cache.describe_cache_subnet_groups()["CacheSubnetGroups"]
        if g["CacheSubnetGroupName"].startswith("airflow-local")
    ] == []
    assert [
        g
        for g in cache.describe_cache_parameter_groups()["CacheParameterGroups"]
        if g["CacheParameterGroupName"].startswith("airflow-local")
    ] == []
    efs = client("efs")
    assert efs.describe_file_systems()["FileSystems"] == []
    s3 = stack["s3"]
    assert [b for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("pathwai-airflow3-")] == []
    # Secrets keep the default recovery window (no force delete in the local overlay): scheduled.
    secrets = client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    ours = [s for s in secrets if s["Name"].startswith("airflow/local/")]
    assert ours and all("DeletedDate" in s for s in ours), ours
    assert [
        s
        for s in client("secretsmanager").list_secrets()["SecretList"]
        if s["Name"].startswith("airflow/local/")
    ] == []
    # KMS keys cannot be deleted at once: PendingDeletion (7-30 days) is the accepted end state.
    for key in kms.list_keys()["Keys"]:
        tags = {
            t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
        }
        if tags.get("airflow:env") == "local":
            assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert [
        a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/airflow-local-")
    ] == []
    logs = client("logs")
    assert logs.describe_log_groups(logGroupNamePrefix="/ecs/airflow-local-")["logGroups"] == []
    cloudwatch = client("cloudwatch")
    assert cloudwatch.describe_alarms(AlarmNamePrefix="airflow-local-")["MetricAlarms"] == []
    assert cloudwatch.list_dashboards(DashboardNamePrefix="airflow-local")["DashboardEntries"] == []
    assert [
        t for t in client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":airflow-local-alerts")
    ] == []

    # A second run finds nothing left to do.
    again = run_playbook("playbooks/destroy.yml", extra_vars={"confirm": "local"})
    assert again.rc == 0, again.output[-6000:]
