# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The compute layer of the plan: what roles/compute creates, from the inventory alone.

The role builds its IAM policies, task definitions, services and step policies with the
``pathwai.airflow_ecs`` compute filters from a context holding ids and ARNs it looked up; this
module builds the same context from the variables (``v``: every ``airflow_*`` and role-prefixed
variable, already templated) with planned stand-ins for those ids and ARNs, calls the same filters
and the same request builders the modules call (``ecs_task_definition.desired_definition``,
``ecs_cluster.create_cluster_request``, ``ecs_service.create_service_request``,
``iam_roles.desired``), and turns each request into its CloudFormation resource. Stand-ins of
planned resources (subnets, groups, keys, secrets, file system, roles, ...) then become
``Ref``/``Fn::GetAtt`` to the resource of the layer that plans it; inside policy documents they
stay concrete ARNs (``PLAN_ACCOUNT`` when ``airflow_account_id`` is empty).
"""

from __future__ import annotations

import hashlib
import json
import uuid

from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as cf
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import layer_names
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_model as pm
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_cluster import (
    create_cluster_request,
    desired_cluster,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_service import (
    create_service_request,
    desired_service,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_definition import (
    desired_definition,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.iam_roles import desired as desired_role

# The DAGs file system and its access point are the data layer's.
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_data import ACCESS_POINT_ID, EFS_ID
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    link_physical_ids,
    tf_ref,
    tf_tags,
)

KEY_PURPOSES = ("logs", "s3", "secrets")
EXEC_LOG_GROUP_ID = pm.log_group_id("ecs-exec")


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _account(v: dict) -> str:
    return str(v.get("airflow_account_id") or pm.PLAN_ACCOUNT)


def _prefix(v: dict) -> str:
    return v["compute_name_prefix"]


def _table(v: dict) -> dict:
    """``compute_table`` as roles/compute/tasks/main.yml builds it."""
    return cf.service_table(v["compute_services_defaults"], v.get("compute_services") or {})


class _Stand:
    """Concrete stand-ins for the ids and ARNs the role looks up, and the reference each one is."""

    def __init__(self, v: dict):
        self.region, self.account = v["compute_region"], _account(v)
        self.refs: dict[str, str] = {}  # stand-in -> "<logical id>" or "<logical id>.<attribute>"

    def _keep(self, value: str, target: str) -> str:
        self.refs[value] = target
        return value

    def arn(self, service: str, rest: str, target: str) -> str:
        return self._keep(pm.arn(service, self.region, self.account, rest), target)

    def key_arn(self, purpose: str) -> str:
        lid = pm.key_id(purpose)
        return self.arn("kms", f"key/{uuid.uuid5(uuid.NAMESPACE_URL, lid)}", f"{lid}.Arn")

    def physical(self, prefix: str, lid: str) -> str:
        """An id such as ``subnet-<17 hex>`` standing for ``Ref`` of ``lid``."""
        return self._keep(f"{prefix}-{_hex(lid, 17)}", lid)

    def role_arn(self, short: str, name: str) -> str:
        return self._keep(f"arn:aws:iam::{self.account}:role/{name}", f"{pm.role_id(short)}.Arn")


def policy_context(v: dict, stand: _Stand | None = None) -> dict:
    """``compute_policy_context`` as roles/compute/tasks/main.yml assembles it, from the plan."""
    stand = stand or _Stand(v)
    prefix, table = _prefix(v), _table(v)
    efs = {
        "file_system_id": stand.physical("fs", EFS_ID),
        "access_point_id": stand.physical("fsap", ACCESS_POINT_ID),
    }
    efs["arn"] = stand.arn("elasticfilesystem", f"file-system/{efs['file_system_id']}", f"{EFS_ID}.Arn")
    efs["access_point_arn"] = stand.arn(
        "elasticfilesystem", f"access-point/{efs['access_point_id']}", f"{ACCESS_POINT_ID}.Arn"
    )
    return {
        "prefix": prefix,
        "env": v["airflow_env"],
        "region": v["compute_region"],
        "account_id": _account(v),
        "cluster": v["compute_cluster_name"],
        "key_arns": {purpose: stand.key_arn(purpose) for purpose in KEY_PURPOSES},
        "secret_prefix": v["compute_secret_prefix"],
        "dags_bucket": v["compute_dags_bucket"],
        "logs_bucket": v["compute_logs_bucket"],
        "log_groups": cf.log_groups(prefix, table),
        "services": table,
        "exec_log_group": v["compute_exec_log_group"],
        "efs": efs,
        "dag_sync": v["compute_dag_sync"],
        "migrate": v["compute_migrate"],
        "secret_arns": _secret_arns(v, stand),
        "dag_sync_metric_namespace": v["compute_dag_sync_metric_namespace"],
        "dag_events": cf.dag_events_context(
            v["compute_dags_delivery"],
            v["compute_region"],
            _account(v),
            layer_names.names(prefix)["dag_events_queue"],
            v["compute_dag_sync_reconcile_interval"],
        ),
    }


def _secret_arns(v: dict, stand: _Stand) -> dict:
    """compute_secret_arns (the lookup's secret name -> ARN) for every secret a row may name."""
    prefix = v["compute_secret_prefix"]
    return {
        f"{prefix}/{short}": stand.arn(
            "secretsmanager", f"secret:{prefix}/{short}-{_hex(short, 6)}", pm.secret_id(short)
        )
        for short in sorted(cf.SECRET_VARIABLES)
    }


def _row_variable(service: str) -> str:
    """The inventory variable a service's row comes from."""
    special = {"db-migrate": "compute_migrate", "dag-sync": "compute_dag_sync"}
    return special.get(service, f"compute_services.{service}")


def _role_names(v: dict) -> dict:
    """Short name (``worker-execution``, ``worker-task``, ...) -> role name."""
    prefix = _prefix(v)
    services = cf.service_names(_table(v))
    tasks = {f"{s}-task": f"{prefix}-{s}-task" for s in services}
    return {**{f"{s}-execution": f"{prefix}-{s}-execution" for s in [*services, cf.MIGRATE]}, **tasks}


def compute_roles(v: dict, ctx: dict | None = None) -> list[dict]:
    """``compute_roles`` (main.yml) as pathwai.airflow_ecs.iam_roles items (iam.yml)."""
    ctx = ctx or policy_context(v)
    roles = cf.role_items(ctx)
    trust = cf.task_trust_policy(ctx)
    return [cf.iam_role_item(role, trust, v["compute_tags"], v["airflow_env"]) for role in roles]


def compute_policies(v: dict) -> list[dict]:
    """Every policy document the compute role sends: each role's inline policy and trust policy."""
    out = []
    for item in compute_roles(v):
        for name, document in item["inline_policies"].items():
            out.append({"name": name, "kind": "identity", "document": document})
        out.append({"name": f"{item['name']} trust", "kind": "trust", "document": item["assume_role_policy"]})
    return out


def task_context(v: dict, stand: _Stand, ctx: dict) -> dict:
    """``compute_task_context`` as roles/compute/tasks/task_definitions.yml assembles it."""
    # iam_roles' result (role name -> ARN), as compute_iam_roles.roles.
    role_arns = {name: stand.role_arn(short, name) for short, name in _role_names(v).items()}
    return {
        **ctx,
        "execution_role_arns": cf.execution_role_arns(role_arns, _prefix(v), ctx["services"]),
        "task_role_arns": cf.task_role_arns(role_arns, _prefix(v), ctx["services"]),
        "cpu_architecture": v["compute_cpu_architecture"],
        "airflow_environment": v["compute_airflow_environment"],
        "auth_environment": {
            "AIRFLOW_ECS_AUTH_DEFAULT_ROLE": v["compute_auth_default_role"],
            "AIRFLOW_ECS_AUTH_ADMINS": ",".join(v["compute_auth_admins"]),
            "AIRFLOW_ECS_AUTH_ADMIN_GROUPS": ",".join(v["compute_auth_admin_groups"]),
            "AIRFLOW_ECS_AUTH_ALB_ARN": stand.arn(
                "elasticloadbalancing",
                f"loadbalancer/app/{v['compute_alb_name']}/{_hex(pm.ALB_ID, 16)}",
                pm.ALB_ID,
            ),
        },
    }


# ---- API requests -> CloudFormation properties ----------------------------------------------

# ECS API names whose CloudFormation name is not the API name with a capital first letter.
_CFN_NAMES = {
    "efsVolumeConfiguration": "EFSVolumeConfiguration",
    "fileSystemId": "FilesystemId",
    "iam": "IAM",
}
# Values that are maps of the user's own keys (kept as they are).
_MAPS = ("options", "dockerLabels", "systemControls", "secretOptions")


def cfn_properties(request: dict, drop: tuple = ()) -> dict:
    """An ECS API request (camelCase) as CloudFormation properties (PascalCase)."""

    def convert(value, key=None):
        if isinstance(value, dict) and key not in _MAPS:
            return {_CFN_NAMES.get(k, k[:1].upper() + k[1:]): convert(item, k) for k, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    return convert({k: item for k, item in request.items() if k not in drop})


def _component_tags(v: dict, component: str) -> dict:
    return {**v["compute_tags"], "airflow:env": v["airflow_env"], "airflow:component": component}


def _log_group_refs(ctx: dict) -> dict:
    """Log group names (Ref of a log group is its name) -> their logical ids."""
    refs = {name: pm.log_group_id(service) for service, name in ctx["log_groups"].items()}
    refs[ctx["exec_log_group"]] = EXEC_LOG_GROUP_ID
    return refs


def _exec_log_group(v: dict, ctx: dict) -> dict:
    props = {
        "LogGroupName": ctx["exec_log_group"],
        "KmsKeyId": pm.get_att(pm.key_id("logs"), "Arn"),
        "RetentionInDays": int(v["compute_exec_log_retention_days"]),
        "Tags": pm.tags(_component_tags(v, "ecs-exec")),
    }
    return pm.resource(
        "AWS::Logs::LogGroup",
        EXEC_LOG_GROUP_ID,
        props,
        {"LogGroupName": "compute_exec_log_group", "RetentionInDays": "compute_exec_log_retention_days"},
    )


def _log_groups(v: dict, ctx: dict) -> list[dict]:
    """The services' container log groups (roles/compute/tasks/cluster.yml)."""
    tags = {**v["compute_tags"], "airflow:env": v["airflow_env"]}
    items = cf.log_group_items(
        ctx["log_groups"], pm.get_att(pm.key_id("logs"), "Arn"), v["compute_log_retention_days"], tags
    )
    return [
        pm.resource(
            "AWS::Logs::LogGroup",
            pm.log_group_id(short),
            {
                "LogGroupName": item["name"],
                "KmsKeyId": item["kms_key_id"],
                "RetentionInDays": item["retention"],
                "Tags": pm.tags(item["tags"]),
            },
            {"LogGroupName": "compute_services", "RetentionInDays": "compute_log_retention_days"},
        )
        for short, item in zip(ctx["log_groups"], items, strict=True)
    ]


def _cluster(v: dict, ctx: dict) -> dict:
    params = {
        "name": v["compute_cluster_name"],
        "capacity_providers": v["compute_capacity_providers"],
        "default_capacity_provider_strategy": v["compute_default_capacity_provider_strategy"],
        "container_insights": v["compute_container_insights"],
        "execute_command_configuration": {
            "kms_key_id": ctx["key_arns"]["logs"],
            "logging": "OVERRIDE",
            "log_configuration": {
                "cloud_watch_log_group_name": ctx["exec_log_group"],
                "cloud_watch_encryption_enabled": True,
            },
        },
        "tags": _component_tags(v, "ecs"),
        "purge_tags": True,
    }
    request = create_cluster_request(desired_cluster(params, None))
    props = cfn_properties(request, drop=("settings", "tags"))
    props["ClusterSettings"] = [{"Name": s["name"], "Value": s["value"]} for s in request["settings"]]
    props["Tags"] = pm.tags(params["tags"])
    return pm.resource(
        "AWS::ECS::Cluster",
        pm.CLUSTER_ID,
        props,
        {
            "ClusterName": "compute_cluster_name",
            "CapacityProviders": "compute_capacity_providers",
            "DefaultCapacityProviderStrategy": "compute_default_capacity_provider_strategy",
            "ClusterSettings": "compute_container_insights",
        },
    )


def _roles(v: dict, ctx: dict) -> list[dict]:
    out = []
    for item in compute_roles(v, ctx):
        want = desired_role(item)
        short = item["name"][len(_prefix(v)) + 1 :]
        props = {
            "RoleName": want["name"],
            "Path": want["path"],
            "Description": want["description"],
            "AssumeRolePolicyDocument": want["assume_role_policy"],
            "Policies": [
                {"PolicyName": name, "PolicyDocument": doc} for name, doc in want["inline_policies"].items()
            ],
            "Tags": pm.tags(want["tags"]),
        }
        if want["managed_policy_arns"]:
            props["ManagedPolicyArns"] = want["managed_policy_arns"]
        out.append(
            pm.resource("AWS::IAM::Role", pm.role_id(short), props, {"RoleName": "compute_name_prefix"})
        )
    return out


def _task_definitions(v: dict, tctx: dict) -> tuple[list[dict], list[dict]]:
    """(resources, the role's service definitions: [{service, definition}])."""
    services = cf.task_definitions(tctx)
    items = [("db-migrate", cf.migrate_task_definition(tctx))] + [
        (item["service"], item["definition"]) for item in services
    ]
    out = []
    for service, definition in items:
        request = desired_definition(definition)
        props = cfn_properties(request)
        props["Tags"] = pm.tags(_component_tags(v, service))
        variable = _row_variable(service)
        sources = {"Cpu": variable, "Memory": variable, "ContainerDefinitions": variable}
        out.append(pm.resource("AWS::ECS::TaskDefinition", pm.task_definition_id(service), props, sources))
    return out, services


def _services(v: dict, tctx: dict, stand: _Stand, definitions: list[dict]) -> list[dict]:
    subnets = [
        stand.physical("subnet", pm.subnet_id("private", az)) for az in v["network_availability_zones"]
    ]
    names = [row["security_group"] for row in tctx["services"].values()] + [cf.DAG_SYNC]
    groups = {group: stand.physical("sg", pm.sg_id(group)) for group in names}
    target_group = stand.arn(
        "elasticloadbalancing",
        f"targetgroup/{v['compute_target_group_name']}/{_hex(pm.TARGET_GROUP_ID, 16)}",
        pm.TARGET_GROUP_ID,
    )
    by_family = {}
    for item in definitions:
        family = item["definition"]["family"]
        arn = stand.arn("ecs", f"task-definition/{family}:1", pm.task_definition_id(item["service"]))
        by_family[family] = {"task_definition_arn": arn}
    cfg = {
        "prefix": _prefix(v),
        "env": v["airflow_env"],
        "tags": v["compute_tags"],
        "services": tctx["services"],
        "dag_sync": v["compute_dag_sync"],
        "by_family": by_family,
        "subnet_ids": subnets,
        "group_ids": groups,
        "target_group_arn": target_group,
        "minimum_healthy_percent": v["compute_deployment_minimum_healthy_percent"],
        "maximum_percent": v["compute_deployment_maximum_percent"],
        "health_check_grace_period": v["compute_health_check_grace_period"],
        "enable_execute_command": v["compute_enable_execute_command"],
    }
    out = []
    for item, params in zip(definitions, cf.service_items(definitions, cfg), strict=True):
        service = item["service"]
        desired = desired_service(params, None, params["task_definition"])
        request = create_service_request({**params, "cluster": v["compute_cluster_name"]}, desired)
        props = cfn_properties(request, drop=("cluster", "tags"))
        props["Cluster"] = pm.ref(pm.CLUSTER_ID)
        props["Tags"] = pm.tags(desired["tags"])
        sources = {"DesiredCount": f"{_row_variable(service)}.desired_count"}
        out.append(pm.resource("AWS::ECS::Service", pm.service_id(service), props, sources))
    return out


def _autoscaling(v: dict, table: dict) -> list[dict]:
    cfg = {
        "prefix": _prefix(v),
        "cluster": v["compute_cluster_name"],
        "services": table,
        "scale_out_step": v["compute_worker_scale_out_step"],
        "scale_in_step": v["compute_worker_scale_in_step"],
        "scale_out_cooldown": v["compute_worker_scale_out_cooldown"],
        "scale_in_cooldown": v["compute_worker_scale_in_cooldown"],
    }
    out, targets = [], set()
    for policy in cf.scaling_policies(cfg):
        service = policy["service"]
        if service not in targets:
            targets.add(service)
            target = {
                "MinCapacity": policy["minimum_tasks"],
                "MaxCapacity": policy["maximum_tasks"],
                "ResourceId": policy["resource_id"],
                "ScalableDimension": policy["scalable_dimension"],
                "ServiceNamespace": policy["service_namespace"],
            }
            row = f"compute_services.{service}"
            sources = {"MinCapacity": f"{row}.min_capacity", "MaxCapacity": f"{row}.max_capacity"}
            target_id = pm.scalable_target_id(service)
            out.append(pm.resource("AWS::ApplicationAutoScaling::ScalableTarget", target_id, target, sources))
        name = policy["policy_name"][len(f"{_prefix(v)}-{service}-") :]
        props = {
            "PolicyName": policy["policy_name"],
            "PolicyType": policy["policy_type"],
            "ResourceId": policy["resource_id"],
            "ScalableDimension": policy["scalable_dimension"],
            "ServiceNamespace": policy["service_namespace"],
            "StepScalingPolicyConfiguration": policy["step_scaling_policy_configuration"],
        }
        sources = {"StepScalingPolicyConfiguration": f"compute_worker_{name.replace('-', '_')}_step"}
        policy_id = pm.scaling_policy_id(service, name)
        out.append(pm.resource("AWS::ApplicationAutoScaling::ScalingPolicy", policy_id, props, sources))
    return out


def compute_resources(v: dict) -> list[dict]:
    """Every resource roles/compute creates: the ECS Exec log group, the cluster, the execution
    role and one task role per service, the db-migrate and service task definitions, the
    services, the worker's scalable target and its two step policies."""
    stand = _Stand(v)
    ctx = policy_context(v, stand)
    tctx = task_context(v, stand, ctx)
    taskdefs, definitions = _task_definitions(v, tctx)
    # The stand-ins become references outside the policy documents (those keep concrete ARNs).
    linked = link_physical_ids(
        [_cluster(v, ctx), *taskdefs, *_services(v, tctx, stand, definitions)],
        {**stand.refs, **_log_group_refs(ctx)},
    )
    return [
        _exec_log_group(v, ctx),
        *_log_groups(v, ctx),
        *_roles(v, ctx),
        *linked,
        *_autoscaling(v, tctx["services"]),
    ]


# ---- Terraform (hashicorp/aws v5) ------------------------------------------------------------


def _flat(value):
    """A reference inside a JSON document Terraform renders as a string: its logical id."""
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict):
        return {k: _flat(item) for k, item in value.items()}
    if isinstance(value, list):
        return [_flat(item) for item in value]
    return value


def _api_keys(value, key=None):
    """CloudFormation container definitions back in the ECS API's camelCase (Terraform's JSON)."""
    if isinstance(value, dict) and key not in {k[:1].upper() + k[1:] for k in _MAPS}:
        back = {cfn: api for api, cfn in _CFN_NAMES.items()}
        return {back.get(k, k[:1].lower() + k[1:]): _api_keys(item, k) for k, item in value.items()}
    if isinstance(value, list):
        return [_api_keys(item) for item in value]
    return value


def tf_log_group(res: dict) -> list:
    p = res["properties"]
    values = {
        "name": p.get("LogGroupName"),
        "kms_key_id": tf_ref(p.get("KmsKeyId"), "arn"),
        "retention_in_days": p.get("RetentionInDays", 0),
        "skip_destroy": False,
        "log_group_class": p.get("LogGroupClass", "STANDARD"),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_cloudwatch_log_group", "", values)]


def tf_cluster(res: dict) -> list:
    p = res["properties"]
    exec_config = (p.get("Configuration") or {}).get("ExecuteCommandConfiguration")
    configuration = []
    if exec_config:
        log = exec_config.get("LogConfiguration")
        configuration = [
            {
                "execute_command_configuration": [
                    {
                        "kms_key_id": tf_ref(exec_config.get("KmsKeyId"), "arn"),
                        "logging": exec_config.get("Logging", "DEFAULT"),
                        "log_configuration": [
                            {
                                "cloud_watch_encryption_enabled": log.get(
                                    "CloudWatchEncryptionEnabled", False
                                ),
                                "cloud_watch_log_group_name": tf_ref(
                                    log.get("CloudWatchLogGroupName"), "name"
                                ),
                                "s3_bucket_name": log.get("S3BucketName"),
                                "s3_bucket_encryption_enabled": log.get("S3EncryptionEnabled", False),
                                "s3_key_prefix": log.get("S3KeyPrefix"),
                            }
                        ]
                        if log
                        else [],
                    }
                ]
            }
        ]
    cluster = {
        "name": p.get("ClusterName"),
        "setting": [{"name": s["Name"], "value": s["Value"]} for s in p.get("ClusterSettings") or []],
        "configuration": configuration,
        "service_connect_defaults": [],
        "tags": tf_tags(p.get("Tags")),
    }
    blocks = [("aws_ecs_cluster", "", cluster)]
    if p.get("CapacityProviders") or p.get("DefaultCapacityProviderStrategy"):
        providers = {
            "cluster_name": tf_ref(pm.ref(res["id"]), "name"),
            "capacity_providers": p.get("CapacityProviders") or [],
            "default_capacity_provider_strategy": [
                {
                    "capacity_provider": s["CapacityProvider"],
                    "weight": s.get("Weight", 0),
                    "base": s.get("Base", 0),
                }
                for s in p.get("DefaultCapacityProviderStrategy") or []
            ],
        }
        blocks.append(("aws_ecs_cluster_capacity_providers", "CapacityProviders", providers))
    return blocks


def tf_role(res: dict) -> list:
    p = res["properties"]
    role = {
        "name": p.get("RoleName"),
        "path": p.get("Path", "/"),
        "description": p.get("Description"),
        "assume_role_policy": json.dumps(p.get("AssumeRolePolicyDocument") or {}, sort_keys=True),
        "max_session_duration": p.get("MaxSessionDuration", 3600),
        "force_detach_policies": False,
        "permissions_boundary": p.get("PermissionsBoundary"),
        "tags": tf_tags(p.get("Tags")),
    }
    blocks = [("aws_iam_role", "", role)]
    for index, policy in enumerate(p.get("Policies") or []):
        values = {
            "name": policy["PolicyName"],
            "role": tf_ref(pm.ref(res["id"]), "id"),
            "policy": json.dumps(_flat(policy["PolicyDocument"]), sort_keys=True),
        }
        blocks.append(("aws_iam_role_policy", f"Policy{index}", values))
    for index, arn in enumerate(p.get("ManagedPolicyArns") or []):
        values = {"role": tf_ref(pm.ref(res["id"]), "id"), "policy_arn": arn}
        blocks.append(("aws_iam_role_policy_attachment", f"Managed{index}", values))
    return blocks


def _tf_volume(volume: dict) -> dict:
    efs = volume.get("EFSVolumeConfiguration")
    out = {"name": volume.get("Name"), "host_path": volume.get("Host", {}).get("SourcePath")}
    out["efs_volume_configuration"] = (
        [
            {
                "file_system_id": tf_ref(efs.get("FilesystemId"), "id"),
                "root_directory": efs.get("RootDirectory"),
                "transit_encryption": efs.get("TransitEncryption"),
                "transit_encryption_port": efs.get("TransitEncryptionPort"),
                "authorization_config": [
                    {
                        "access_point_id": tf_ref(efs["AuthorizationConfig"].get("AccessPointId"), "id"),
                        "iam": efs["AuthorizationConfig"].get("IAM"),
                    }
                ]
                if efs.get("AuthorizationConfig")
                else [],
            }
        ]
        if efs
        else []
    )
    return out


def tf_task_definition(res: dict) -> list:
    p = res["properties"]
    platform = p.get("RuntimePlatform")
    values = {
        "family": p.get("Family"),
        "cpu": p.get("Cpu"),
        "memory": p.get("Memory"),
        "network_mode": p.get("NetworkMode"),
        "requires_compatibilities": p.get("RequiresCompatibilities") or [],
        "execution_role_arn": tf_ref(p.get("ExecutionRoleArn"), "arn"),
        "task_role_arn": tf_ref(p.get("TaskRoleArn"), "arn"),
        "container_definitions": json.dumps(
            _api_keys(_flat(p.get("ContainerDefinitions") or [])), sort_keys=True
        ),
        "volume": [_tf_volume(vol) for vol in p.get("Volumes") or []],
        "runtime_platform": [
            {
                "cpu_architecture": platform.get("CpuArchitecture"),
                "operating_system_family": platform.get("OperatingSystemFamily"),
            }
        ]
        if platform
        else [],
        "ephemeral_storage": [{"size_in_gib": p["EphemeralStorage"]["SizeInGiB"]}]
        if p.get("EphemeralStorage")
        else [],
        "pid_mode": p.get("PidMode"),
        "ipc_mode": p.get("IpcMode"),
        "skip_destroy": False,
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_ecs_task_definition", "", values)]


def tf_service(res: dict) -> list:
    p = res["properties"]
    network = (p.get("NetworkConfiguration") or {}).get("AwsvpcConfiguration")
    deployment = p.get("DeploymentConfiguration") or {}
    breaker = deployment.get("DeploymentCircuitBreaker")
    values = {
        "name": p.get("ServiceName"),
        "cluster": tf_ref(p.get("Cluster"), "id"),
        "task_definition": tf_ref(p.get("TaskDefinition"), "arn"),
        "desired_count": p.get("DesiredCount"),
        "launch_type": p.get("LaunchType"),
        "capacity_provider_strategy": [
            {
                "capacity_provider": s["CapacityProvider"],
                "weight": s.get("Weight", 0),
                "base": s.get("Base", 0),
            }
            for s in p.get("CapacityProviderStrategy") or []
        ],
        "platform_version": p.get("PlatformVersion"),
        "scheduling_strategy": p.get("SchedulingStrategy", "REPLICA"),
        "network_configuration": [
            {
                "subnets": tf_ref(network.get("Subnets") or [], "id"),
                "security_groups": tf_ref(network.get("SecurityGroups") or [], "id"),
                "assign_public_ip": network.get("AssignPublicIp") == "ENABLED",
            }
        ]
        if network
        else [],
        "load_balancer": [
            {
                "target_group_arn": tf_ref(lb.get("TargetGroupArn"), "arn"),
                "elb_name": lb.get("LoadBalancerName"),
                "container_name": lb.get("ContainerName"),
                "container_port": lb.get("ContainerPort"),
            }
            for lb in p.get("LoadBalancers") or []
        ],
        "deployment_minimum_healthy_percent": deployment.get("MinimumHealthyPercent"),
        "deployment_maximum_percent": deployment.get("MaximumPercent"),
        "deployment_circuit_breaker": [{"enable": breaker.get("Enable"), "rollback": breaker.get("Rollback")}]
        if breaker
        else [],
        "deployment_controller": [{"type": (p.get("DeploymentController") or {}).get("Type", "ECS")}],
        "enable_execute_command": p.get("EnableExecuteCommand", False),
        "enable_ecs_managed_tags": p.get("EnableECSManagedTags", False),
        "propagate_tags": p.get("PropagateTags"),
        "health_check_grace_period_seconds": p.get("HealthCheckGracePeriodSeconds"),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_ecs_service", "", values)]


def tf_scalable_target(res: dict) -> list:
    p = res["properties"]
    values = {
        "min_capacity": p.get("MinCapacity"),
        "max_capacity": p.get("MaxCapacity"),
        "resource_id": p.get("ResourceId"),
        "scalable_dimension": p.get("ScalableDimension"),
        "service_namespace": p.get("ServiceNamespace"),
        "role_arn": tf_ref(p.get("RoleARN"), "arn"),
        "tags": tf_tags(p.get("Tags")),
    }
    return [("aws_appautoscaling_target", "", values)]


def tf_scaling_policy(res: dict) -> list:
    p = res["properties"]
    step = p.get("StepScalingPolicyConfiguration")
    values = {
        "name": p.get("PolicyName"),
        "policy_type": p.get("PolicyType"),
        "resource_id": p.get("ResourceId"),
        "scalable_dimension": p.get("ScalableDimension"),
        "service_namespace": p.get("ServiceNamespace"),
        "step_scaling_policy_configuration": [
            {
                "adjustment_type": step.get("AdjustmentType"),
                "cooldown": step.get("Cooldown"),
                "metric_aggregation_type": step.get("MetricAggregationType"),
                "min_adjustment_magnitude": step.get("MinAdjustmentMagnitude"),
                "step_adjustment": [
                    {
                        "metric_interval_lower_bound": _bound(a.get("MetricIntervalLowerBound")),
                        "metric_interval_upper_bound": _bound(a.get("MetricIntervalUpperBound")),
                        "scaling_adjustment": a.get("ScalingAdjustment"),
                    }
                    for a in step.get("StepAdjustments") or []
                ],
            }
        ]
        if step
        else [],
        "target_tracking_scaling_policy_configuration": [],
    }
    return [("aws_appautoscaling_policy", "", values)]


def _bound(value):
    """The provider keeps step bounds as strings ("" when open)."""
    return "" if value is None else str(value)


TERRAFORM = {
    "AWS::Logs::LogGroup": tf_log_group,
    "AWS::ECS::Cluster": tf_cluster,
    "AWS::IAM::Role": tf_role,
    "AWS::ECS::TaskDefinition": tf_task_definition,
    "AWS::ECS::Service": tf_service,
    "AWS::ApplicationAutoScaling::ScalableTarget": tf_scalable_target,
    "AWS::ApplicationAutoScaling::ScalingPolicy": tf_scaling_policy,
}
