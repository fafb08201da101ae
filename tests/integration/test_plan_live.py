"""plan_live_info on the session's deployed stack (tests/conftest.py deployed_stack, read only):
the live account rendered as the plan's resources, under the logical ids the plan gives them (those
the inventory implies, and those of the whole plan, module_utils/plan_layers.py), a
CloudFormation template cfn-lint finds no error in, real ids and ARNs linked into references, a
Terraform plan with the layers' converters, every policy document, nothing secret, not one write."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
import pytest
from ansible_run import run_playbook

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as cf
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_layers, plan_live, plan_render
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_model as m
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_live_base import POLICY_PROPERTIES
from plan_support import cfn_lint, unresolved

pytestmark = pytest.mark.slow


PLAYBOOK = """
- name: Read the deployed environment as plan resources
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pathwai.airflow_ecs.aws: "{{ airflow_aws_connection }}"
  tasks:
    - name: Load every role's variables
      ansible.builtin.include_role:
        name: "pathwai.airflow_ecs.{{ item }}"
        tasks_from: validate
        public: true
      loop: [network, kms, endpoints, data, alb, compute, monitoring]
    - name: Read the live account
      pathwai.airflow_ecs.plan_live_info: &read
        env: "{{ airflow_env }}"
        name_prefix: "{{ network_name_prefix }}"
        secret_prefix: "{{ data_secret_prefix }}"
        buckets:
          - "{{ data_dags_bucket_name }}"
          - "{{ data_logs_bucket_name }}"
          - "{{ data_access_logs_bucket_name }}"
          - "{{ alb_access_logs_bucket_name }}"
        cluster_name: "{{ compute_cluster_name }}"
        alb_name: "{{ alb_name }}"
        target_group_name: "{{ alb_target_group_name }}"
        execution_api_port: "{{ alb_execution_api_port }}"
        alert_topic_name: "{{ monitoring_alert_topic_name }}"
        dashboard_name: "{{ monitoring_dashboard_name }}"
      register: live
    - name: Read it again in check mode
      pathwai.airflow_ecs.plan_live_info: *read
      check_mode: true
      register: live_check
    - name: Write the reads and the variables the roles see
      vars:
        names: "{{ q('ansible.builtin.varnames',
          '^(airflow|network|kms|endpoints|data|alb|compute|monitoring)_') }}"
      ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'live': live, 'check': live_check,
          'vars': dict(names | zip(q('ansible.builtin.vars', *names)))} | to_json }}"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def read(deployed_stack, tmp_path_factory):
    emulator = deployed_stack["emulator"]
    work = tmp_path_factory.mktemp("plan_live")
    book = work / "plan_live.yml"
    book.write_text(PLAYBOOK)
    out = work / "live.json"
    emulator.reset_calls()
    run = run_playbook(str(book), extra_vars={"out": str(out)})
    assert run.rc == 0, run.output[-4000:]
    found = json.loads(out.read_text())
    return {**found, "calls": emulator.calls(), "url": emulator.url, "raw": out.read_text()}


def _ids(read, rtype: str) -> set[str]:
    return {r["id"] for r in read["live"]["resources"] if r["type"] == rtype}


def test_read_only_and_same_in_check_mode(read):
    assert read["calls"], "the module made no AWS call"
    assert [c for c in read["calls"] if c["write"]] == []
    assert read["live"]["changed"] is False
    assert read["check"]["resources"] == read["live"]["resources"]


def test_logical_ids_are_those_the_inventory_implies(read):
    v = read["vars"]
    expected = {
        "AWS::EC2::VPC": {m.VPC_ID},
        "AWS::EC2::Subnet": {
            m.subnet_id(tier, zone)
            for tier in ("private", "data", "alb")
            for zone in v["network_availability_zones"]
        },
        "AWS::EC2::SecurityGroup": {m.sg_id(name) for name in v["network_security_groups"]},
        "AWS::KMS::Key": {m.key_id(purpose) for purpose in v["kms_keys"]},
        "AWS::S3::Bucket": {m.bucket_id(p) for p in ("dags", "logs", "s3-access-logs", "alb-logs")},
        "AWS::Logs::LogGroup": {
            m.log_group_id(short)
            for short in cf.log_groups(
                v["compute_name_prefix"],
                cf.service_table(v["compute_services_defaults"], v["compute_services"]),
            )
        }
        | {m.log_group_id("ecs-exec")}  # compute_exec_log_group, tagged airflow:component=ecs-exec
        | {m.log_group_id("flow-logs")},  # network_flow_logs_log_group_name
        "AWS::ECS::Cluster": {m.CLUSTER_ID},
        "AWS::ElasticLoadBalancingV2::LoadBalancer": {m.ALB_ID},
        "AWS::ElasticLoadBalancingV2::TargetGroup": {m.TARGET_GROUP_ID},
        "AWS::SNS::Topic": {m.ALERT_TOPIC_ID},
    }
    table = cf.service_table(v["compute_services_defaults"], v["compute_services"])
    services = cf.service_names(table)
    expected["AWS::ECS::Service"] = {m.service_id(s) for s in services}
    expected["AWS::ECS::TaskDefinition"] = {m.task_definition_id(s) for s in [*services, "db-migrate"]}
    # Every role the plan holds (compute's per service, and the other layers' own: flow logs, RDS
    # monitoring), each compute role named by the table.
    planned_roles = {r["id"] for r in plan_layers.plan_resources(v) if r["type"] == "AWS::IAM::Role"}
    assert {
        m.role_id(n.removeprefix(f"{v['compute_name_prefix']}-"))
        for n in cf.role_names(table, v["compute_name_prefix"])
    } <= planned_roles
    expected["AWS::IAM::Role"] = planned_roles
    for rtype, ids in expected.items():
        assert _ids(read, rtype) == ids, rtype
    secrets = _ids(read, "AWS::SecretsManager::Secret")
    assert {
        m.secret_id("db_master_password"),
        m.secret_id("fernet_key"),
        m.secret_id("jwt_secret"),
    } <= secrets


def test_logical_ids_match_the_plan_builders(read):
    """The whole plan (every layer of plan_layers) and the live account: the same resources, each
    referring to the same resources."""
    planned = plan_layers.plan_resources(read["vars"])
    live = read["live"]["resources"]
    types = {r["type"] for r in planned} | {r["type"] for r in live}
    differences = []
    for rtype in sorted(types):
        plan_ids = {r["id"] for r in planned if r["type"] == rtype}
        live_ids = {r["id"] for r in live if r["type"] == rtype}
        if plan_ids != live_ids:
            only_plan, only_live = sorted(plan_ids - live_ids), sorted(live_ids - plan_ids)
            differences.append(f"{rtype}: only planned {only_plan}, only live {only_live}")
    assert differences == [], "\n".join(differences)
    by_id = {r["id"]: r for r in live}
    for res in planned:
        planned_edges, live_edges = _edges(res), _edges(by_id[res["id"]])
        assert planned_edges == live_edges, f"{res['id']}: plan {planned_edges}, live {live_edges}"


def test_cfn_lint_finds_no_error_in_the_live_template(read):
    findings = cfn_lint(read["live"]["resources"], read["vars"]["airflow_region"])
    others = sorted({f[:140] for f in findings if not f.startswith("E")})
    print("\ncfn-lint warnings and notes on the live template:\n  " + "\n  ".join(others))
    assert [f for f in findings if f.startswith("E")] == []


def _walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield value


def test_real_ids_and_arns_are_references(read):
    live = read["live"]
    physical = live["physical_ids"]
    by_id = {r["id"]: r for r in live["resources"]}
    assert any(k.startswith("sg-") for k in physical) and any(k.startswith("arn:aws:iam::") for k in physical)
    for res in live["resources"]:
        values = [v for k, v in res["properties"].items() if k not in POLICY_PROPERTIES]
        left = [v for v in _walk(values) if isinstance(v, str) and v in physical]
        assert left == [], f"{res['id']} keeps real ids {left}"
    assert by_id["SubnetPrivateA"]["properties"]["VpcId"] == {"Ref": m.VPC_ID}
    network = by_id[m.service_id("worker")]["properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["SecurityGroups"] == [{"Ref": m.sg_id("worker")}]
    assert {"Ref": m.subnet_id("private", read["vars"]["network_availability_zones"][0])} in network[
        "Subnets"
    ]
    assert by_id["DbInstance"]["properties"]["KmsKeyId"] == {"Fn::GetAtt": [m.key_id("rds"), "Arn"]}
    task = by_id[m.task_definition_id("worker")]["properties"]
    assert task["TaskRoleArn"] == {"Fn::GetAtt": [m.role_id("worker-task"), "Arn"]}
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": [m.role_id("worker-execution"), "Arn"]}
    secrets = [s["ValueFrom"] for c in task["ContainerDefinitions"] for s in c.get("Secrets", [])]
    assert secrets and all(isinstance(s, dict) and s["Ref"].startswith("Secret") for s in secrets)
    assert by_id[m.bucket_id("dags")]["properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][
        0
    ]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [m.key_id("s3"), "Arn"]}
    # Inside policy documents ARNs stay concrete (as in the plan).
    key_policy = json.dumps(by_id[m.key_id("rds")]["properties"]["KeyPolicy"])
    assert "Fn::GetAtt" not in key_policy and "Ref" not in key_policy


def test_every_policy_document(read):
    v = read["vars"]
    policies = read["live"]["policies"]
    kinds: dict[str, list] = {}
    for policy in policies:
        assert policy["document"].get("Statement"), policy["name"]
        kinds.setdefault(policy["kind"], []).append(policy["name"])
    assert set(kinds) == {"identity", "resource", "trust"}
    names = {p["name"] for p in policies}
    # Named as the plan's layers name them.
    prefix = v["kms_name_prefix"]
    assert {f"kms key policy alias/{prefix}-{purpose}" for purpose in v["kms_keys"]} <= names
    assert {f"{prefix}-{s}-task trust" for s in [*v["compute_services_defaults"], "dag-sync"]} <= names
    # One trust policy per role; which roles there are is test_logical_ids_are_those_the_inventory_implies'.
    assert len(kinds["trust"]) == len(_ids(read, "AWS::IAM::Role"))
    for expected in (
        f"{v['data_name_prefix']}-dags file-system policy",
        f"{v['data_dags_bucket_name']} bucket policy",
        f"{v['data_logs_bucket_name']} bucket policy",
        f"{v['monitoring_alert_topic_name']} topic policy",
    ):
        assert expected in names
    endpoints = [n for n in names if n.endswith(" endpoint policy")]
    assert len(endpoints) == len(v["endpoints_interface_services"]) + 1


def test_nothing_secret_in_the_output(read):
    client = boto3.client("secretsmanager", endpoint_url=read["url"])
    prefix = read["vars"]["data_secret_prefix"] + "/"
    names = [s["Name"] for s in client.list_secrets()["SecretList"] if s["Name"].startswith(prefix)]
    assert len(names) >= 10
    live_output = json.dumps({"live": read["live"], "check": read["check"]})
    for name in names:
        value = client.get_secret_value(SecretId=name)["SecretString"]
        parts = [str(x) for x in json.loads(value).values()] if value.startswith("{") else [value]
        leaked = [p for p in parts if len(p) >= 16 and p in live_output]
        assert leaked == [], f"the value of {name} is in the output"
    for key in ("SecretString", "ClientSecret", "MasterUserPassword"):
        assert f'"{key}"' not in live_output
    redis = next(r for r in read["live"]["resources"] if r["type"] == "AWS::ElastiCache::ReplicationGroup")
    assert redis["properties"]["AuthToken"] == "{{resolve:secretsmanager:" + prefix + "redis_auth_token}}"


def test_terraform_rendering_of_the_types_with_converters(read):
    converters = {**plan_layers.converters(), **plan_live.TERRAFORM}
    resources = _renderable(read["live"]["resources"], converters)
    left = sorted({r["type"] for r in read["live"]["resources"]} - {r["type"] for r in resources})
    print(
        f"\nTerraform rendering of {len(resources)} live resources; not rendered (no converter yet): {left}"
    )
    plan = plan_render.terraform_plan(resources, converters, read["vars"]["airflow_region"])
    assert plan["resource_changes"]
    assert unresolved(plan) == []


def _edges(res: dict) -> set[str]:
    """The resources ``res`` refers to outside its policy documents (ARNs there are literal)."""
    values = [v for k, v in res["properties"].items() if k not in POLICY_PROPERTIES]
    return set(_targets(values))


def _targets(value):
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        yield value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _targets(item)


def _renderable(resources: list[dict], converters: dict) -> list[dict]:
    """The resources with a converter whose references all lead to such resources."""
    kept = [r for r in resources if r["type"] in converters]
    while True:
        ids = {r["id"] for r in kept}
        narrowed = [r for r in kept if set(_targets(r["properties"])) <= ids]
        if len(narrowed) == len(kept):
            return kept
        kept = narrowed
