#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: airflow_audit
short_description: Audit an Airflow environment (plan or live account) against the collection's Rego policies
version_added: 0.1.0
description:
  - Renders a document of C(resource_changes) in the shape of C(terraform show -json), either from the
    live account (the VPCs tagged C(airflow:env=<env>) and the KMS keys aliased C(alias/<prefix>-*)) or
    taken as given (O(document), the plan the collection renders from the inventory), and evaluates every
    C(*.rego) policy in O(policy_dir) (package C(airflow.audit), rule C(deny)) with regopy.
  - Checks include the seed's policy (no NAT gateway, no security-group rule open to 0.0.0.0/0), no internet
    gateway, no route to 0.0.0.0/0 or ::/0, every VPC with a flow log of ALL traffic to a log group encrypted
    with the logs key, every required endpoint present with private DNS and an endpoint policy limited to
    this account, every CMK rotating with C(kms:*) for the account root only.
  - Read-only (C(Describe*), C(List*), C(Get*) calls only); runs the same in check mode. No stock module
    does this.
author:
  - pathwai platform engineering
requirements:
  - regopy
options:
  env:
    description: The environment (value of the C(airflow:env) tag).
    type: str
    required: true
  name_prefix:
    description: The resource-name prefix (C(<project>-<env>)); KMS aliases start with C(alias/<name_prefix>-).
    type: str
    required: true
  policy_dir:
    description: Directory of C(.rego) files (the collection's C(policies/)).
    type: path
    required: true
  required_interface_endpoints:
    description: Full service names that must have an interface endpoint with private DNS.
    type: list
    elements: str
    default: []
  required_gateway_endpoints:
    description: Full service names that must have a gateway endpoint.
    type: list
    elements: str
    default: []
  required_kms_purposes:
    description: Purposes that must have a customer-managed key (C(alias/<name_prefix>-<purpose>)).
    type: list
    elements: str
    default: []
  data:
    description:
      - The data layer's stores to audit in the live account (omit before phase 2 exists). Each store must
        be encrypted with the key of its purpose and reachable only over TLS.
      - Every bucket must be versioned, with an enabled lifecycle rule expiring noncurrent versions and
        aborting unfinished multipart uploads, and S3 server access logging on, except the buckets of
        O(data.log_delivery_buckets); log groups must keep O(data.min_log_retention_days); the RDS instance
        must have enhanced monitoring when O(data.rds_monitoring_required).
    type: dict
    suboptions:
      rds_instance_id: {description: The RDS instance identifier., type: str}
      redis_replication_group_id: {description: The ElastiCache replication group id., type: str}
      efs_name: {description: The EFS creation token., type: str}
      buckets: {description: S3 bucket names., type: list, elements: str}
      log_delivery_buckets:
        description:
          - Buckets among O(data.buckets) that receive ALB access logs or S3 server access logs. Both deliveries
            write only to SSE-S3 buckets, so these must use SSE-S3 (C(AES256)) and no other bucket may.
        type: list
        elements: str
      secret_prefix: {description: Secrets under this prefix (C(airflow/<env>)) must use the secrets key., type: str}
      secret_max_age_days:
        description:
          - The maximum age in days of secrets under O(data.secret_prefix), by their name after the prefix (for
            example C(db_master_password)). A secret whose current value (its C(AWSCURRENT) version) is older is a
            finding (rotate it with C(playbooks/rotate_secrets.yml)).
        type: dict
        default: {}
      log_group_prefix: {description: Log groups under this prefix must use the logs key., type: str}
      min_log_retention_days:
        description: Every log group under O(data.log_group_prefix) must keep its events at least this many days (0 for no minimum).
        type: int
        default: 0
      rds_monitoring_required:
        description: The RDS instance must have enhanced monitoring on (an interval above 0 and its role).
        type: bool
        default: false
      dag_events:
        description:
          - Event-mode DAG delivery to audit (omit when DAGs are delivered by polling). The queue and its
            dead-letter queue must exist and be encrypted with the s3 key, the queue must redrive to the
            dead-letter queue, every Allow of its policy must be C(sqs:SendMessage) for C(s3.amazonaws.com)
            with C(aws:SourceArn) the bucket and C(aws:SourceAccount) this account, and the bucket must
            notify the queue of C(s3:ObjectCreated:*) and C(s3:ObjectRemoved:*) under O(data.dag_events.prefix).
        type: dict
        suboptions:
          queue_name: {description: The DAG-events queue's name., type: str, required: true}
          dlq_name: {description: Its dead-letter queue's name., type: str, required: true}
          bucket: {description: The DAGs bucket., type: str, required: true}
          prefix: {description: The environment's key prefix (C(<env>/))., type: str, required: true}
          account_id: {description: The account that owns the bucket and the queue., type: str, required: true}
  compute:
    description:
      - The compute layer to audit in the live account (omit before phase 3 exists). IAM statements (no
        wildcard action, C(Resource "*") only for actions without resource-level permissions, KMS grants on
        named key ARNs, no C(ecs:RunTask)/C(iam:PassRole) for the scheduler), task definitions (no secret in
        plain environment, the JWT secret only in api-server and scheduler, read-only DAG mounts for
        Airflow, EFS transit encryption and IAM authorization), the ALB (internal, HTTPS with a TLS 1.3
        policy, OIDC before any forward, only C(/execution/*) forwarded without OIDC), the target group's
        health path, and ECS Exec off on every service of O(compute.services) unless
        O(compute.execute_command_allowed).
    type: dict
    suboptions:
      roles: {description: IAM role name to the service it serves., type: dict, default: {}}
      task_definitions: {description: Task-definition family to its service., type: dict, default: {}}
      alb_name: {description: The ALB's name., type: str}
      target_group_name: {description: The api-server target group's name., type: str}
      cluster_name: {description: The ECS cluster of O(compute.services)., type: str}
      services: {description: ECS service names whose ECS Exec switch is read., type: list, elements: str, default: []}
      execute_command_allowed:
        description: Whether a service may have ECS Exec on (false in production).
        type: bool
        default: true
  document:
    description:
      - A document with C(resource_changes) to evaluate instead of reading the account (the plan).
      - The O(env), O(name_prefix) and C(required_*) options are added to it as C(input.required).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit the live account
  pathwai.airflow_ecs.airflow_audit:
    env: dev
    name_prefix: airflow-dev
    policy_dir: "{{ playbook_dir }}/../policies"
    required_interface_endpoints: ["com.amazonaws.us-east-1.secretsmanager"]
    required_gateway_endpoints: ["com.amazonaws.us-east-1.s3"]
    required_kms_purposes: [rds, s3]
  register: audit

- name: Fail on any finding
  ansible.builtin.assert:
    that: audit.findings | length == 0
    fail_msg: "{{ audit.findings | join('; ') }}"
"""

RETURN = r"""
findings:
  description: Every deny message, sorted; each names the resource it is about.
  returned: always
  type: list
  elements: str
  sample: ["NAT Gateway not allowed: aws_nat_gateway.nat-0123456789abcdef0"]
passed:
  description: True when there is no finding.
  returned: always
  type: bool
summary:
  description: Number of audited resources by type.
  returned: always
  type: dict
  sample: {"aws_vpc": 1, "aws_vpc_endpoint": 12, "aws_kms_key": 7}
policies:
  description: The policy files evaluated.
  returned: always
  type: list
  elements: str
source:
  description: C(live) or C(plan).
  returned: always
  type: str
"""

from collections import Counter

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import audit_compute, audit_data
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.audit_live import (
    kms_resources,
    network_resources,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import retrying_client
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.policy import (
    HAS_REGOPY,
    evaluate,
    load_policies,
)


def data_resources(module, data: dict) -> list[dict]:
    """The data layer's stores, each read only when the inventory names it."""
    out = []
    if data["rds_instance_id"]:
        out += audit_data.rds_resources(retrying_client(module, "rds"), data["rds_instance_id"])
    if data["redis_replication_group_id"]:
        out += audit_data.redis_resources(
            retrying_client(module, "elasticache"), data["redis_replication_group_id"]
        )
    if data["efs_name"]:
        out += audit_data.efs_resources(retrying_client(module, "efs"), data["efs_name"])
    if data["buckets"]:
        out += audit_data.bucket_resources(
            retrying_client(module, "s3"), data["buckets"], data["log_delivery_buckets"]
        )
    if data["secret_prefix"]:
        out += audit_data.secret_resources(
            retrying_client(module, "secretsmanager"), data["secret_prefix"], data["secret_max_age_days"]
        )
    if data["log_group_prefix"]:
        out += audit_data.log_group_resources(retrying_client(module, "logs"), data["log_group_prefix"])
    if data["dag_events"]:
        out += audit_data.dag_events_resources(
            retrying_client(module, "sqs"), retrying_client(module, "s3"), data["dag_events"]
        )
    return out


def compute_resources(module, compute: dict) -> list[dict]:
    """IAM roles, task definitions and the ALB, each read only when the inventory names it."""
    out = audit_compute.iam_resources(retrying_client(module, "iam"), compute["roles"])
    out += audit_compute.task_definition_resources(
        retrying_client(module, "ecs"), compute["task_definitions"]
    )
    if compute["cluster_name"] and compute["services"]:
        out += audit_compute.service_resources(
            retrying_client(module, "ecs"), compute["cluster_name"], compute["services"]
        )
    if compute["alb_name"]:
        out += audit_compute.alb_resources(
            retrying_client(module, "elbv2"), compute["alb_name"], compute["target_group_name"] or ""
        )
    return out


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            env=dict(type="str", required=True),
            name_prefix=dict(type="str", required=True),
            policy_dir=dict(type="path", required=True),
            required_interface_endpoints=dict(type="list", elements="str", default=[]),
            required_gateway_endpoints=dict(type="list", elements="str", default=[]),
            required_kms_purposes=dict(type="list", elements="str", default=[]),
            data=dict(
                type="dict",
                options=dict(
                    rds_instance_id=dict(type="str"),
                    redis_replication_group_id=dict(type="str"),
                    efs_name=dict(type="str"),
                    buckets=dict(type="list", elements="str", default=[]),
                    log_delivery_buckets=dict(type="list", elements="str", default=[]),
                    secret_prefix=dict(type="str"),
                    secret_max_age_days=dict(type="dict", default={}),
                    log_group_prefix=dict(type="str"),
                    min_log_retention_days=dict(type="int", default=0),
                    rds_monitoring_required=dict(type="bool", default=False),
                    dag_events=dict(
                        type="dict",
                        options=dict(
                            queue_name=dict(type="str", required=True),
                            dlq_name=dict(type="str", required=True),
                            bucket=dict(type="str", required=True),
                            prefix=dict(type="str", required=True),
                            account_id=dict(type="str", required=True),
                        ),
                    ),
                ),
            ),
            compute=dict(
                type="dict",
                options=dict(
                    roles=dict(type="dict", default={}),
                    task_definitions=dict(type="dict", default={}),
                    alb_name=dict(type="str"),
                    target_group_name=dict(type="str"),
                    cluster_name=dict(type="str"),
                    services=dict(type="list", elements="str", default=[]),
                    execute_command_allowed=dict(type="bool", default=True),
                ),
            ),
            document=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    if not HAS_REGOPY:
        module.fail_json(msg=missing_required_lib("regopy"))
    params = module.params
    try:
        policies = load_policies(params["policy_dir"])
    except (OSError, ValueError) as e:
        module.fail_json(msg=f"Cannot read policies: {e}")

    if params["document"] is not None:
        source, resources = "plan", list(params["document"].get("resource_changes", []))
    else:
        source = "live"
        try:
            resources = network_resources(
                retrying_client(module, "ec2"), params["env"], retrying_client(module, "logs")
            )
            resources += kms_resources(retrying_client(module, "kms"), params["name_prefix"])
            if params["data"]:
                resources += data_resources(module, params["data"])
            if params["compute"]:
                resources += compute_resources(module, params["compute"])
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            module.fail_json_aws(e, msg="Failed to read the account for the audit")

    document = {
        "source": source,
        "env": params["env"],
        "name_prefix": params["name_prefix"],
        "required": {
            "interface_endpoints": params["required_interface_endpoints"],
            "gateway_endpoints": params["required_gateway_endpoints"],
            "kms_purposes": params["required_kms_purposes"],
            "data": bool(params["data"]),
            "compute": bool(params["compute"]),
            "min_log_retention_days": (params["data"] or {}).get("min_log_retention_days") or 0,
            "rds_monitoring": bool((params["data"] or {}).get("rds_monitoring_required")),
            "dag_events": bool((params["data"] or {}).get("dag_events")),
            "execute_command_allowed": (params["compute"] or {}).get("execute_command_allowed", True),
            "secret_max_age_days": (params["data"] or {}).get("secret_max_age_days") or {},
        },
        "resource_changes": resources,
    }
    try:
        findings = evaluate(policies, document)
    except RuntimeError as e:
        module.fail_json(msg=str(e))
    module.exit_json(
        changed=False,
        source=source,
        findings=findings,
        passed=not findings,
        summary=dict(sorted(Counter(r["type"] for r in resources).items())),
        policies=sorted(policies),
    )


if __name__ == "__main__":
    main()
