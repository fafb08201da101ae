#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: secret_rotation
short_description: One step of a secret rotation whose state lives in the secret's version stages
version_added: 0.1.0
description:
  - Rotates a generated secret (or several rotated together, such as the JWT and API secret keys) in steps a
    playbook runs between others (applying the value to RDS or ElastiCache, recomposing connection secrets,
    rolling the ECS services). Each step is safe to repeat; the state between steps is kept in Secrets Manager's
    staging labels, so a stopped run is finished by the next one with the value already stored.
  - O(step=status) reads where each secret stands - C(idle), C(pending) (a new value stored as C(AWSPENDING),
    C(AWSCURRENT) still the old one) or C(promoted) (C(AWSCURRENT) moved, C(AWSPENDING) still on it) - how old
    the current value is (its version's C(CreatedDate)), whether it is older than O(secrets[].max_age_days), and
    what a run does next (RV(action)). With O(cluster) it lists the services whose task definitions name one of
    O(consumer_secrets); with O(rds_instance_identifier) / O(replication_group_id) the endpoints the connection
    secrets are composed from.
  - O(step=begin) stores the new value as C(AWSPENDING) (C(PutSecretValue)) for every secret that has none.
    A secret that already has a pending value keeps it - a rotation is never restarted with a third value.
    The value is generated inside the module and never returned.
  - O(step=apply) hands the first secret's C(AWSPENDING) value to RDS (C(ModifyDBInstance) C(MasterUserPassword),
    C(ApplyImmediately)) or ElastiCache (C(ModifyReplicationGroup) C(AuthToken) with
    O(auth_token_update_strategy)) and waits until the instance or group is C(available) with the change no
    longer pending (C(PendingModifiedValues) without C(MasterUserPassword) or C(AuthTokenStatus)); right after
    the call AWS may still report C(available).
  - O(step=promote) moves C(AWSCURRENT) to the pending version (C(UpdateSecretVersionStage); Secrets Manager
    moves C(AWSPREVIOUS) to the old one). O(step=finish) removes C(AWSPENDING); with O(mark_reencrypted) it first
    labels the current Fernet key version C(AIRFLOW_ECS_REENCRYPTED).
  - A Fernet key (O(secrets[].generate=fernet)) is rotated as Airflow supports it - the new key first in a
    comma-separated list (C(new,old)); once the playbook has run C(airflow rotate-fernet-key) and marked the
    version, a later run stores the first key alone (RV(action=drop_old_key)).
  - The secrets of one call move in step - every step acts on the others first and on the first (lead)
    secret last, so the lead's state is the rotation's.
  - Check mode reports what each step would do (a secret without a pending value counts as begun).
author:
  - pathwai platform engineering
options:
  secrets:
    description: The secrets rotated together, the lead first.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The secret name., type: str, required: true}
      generate:
        description: How a new value is made (as M(pathwai.airflow_ecs.managed_secret) generates it).
        type: str
        choices: [password, token, hex, fernet]
        required: true
      length: {description: Length of a generated C(password), C(token) or C(hex) value., type: int, default: 48}
      max_age_days: {description: The age in days past which the secret is due., type: float, required: true}
  step:
    description: The step to run.
    type: str
    choices: [status, begin, apply, promote, finish]
    default: status
  force:
    description: With O(step=status), count every secret as due (RV(action=rotate) when nothing is under way).
    type: bool
    default: false
  cluster:
    description: With O(step=status), the ECS cluster whose services are listed as consumers.
    type: str
  consumer_secrets:
    description: With O(cluster), the secrets (names) whose consumers must be rolled.
    type: list
    elements: str
    default: []
  rds_instance_identifier:
    description: The RDS instance whose master password the first secret is (O(step=apply), O(step=status)).
    type: str
  replication_group_id:
    description: The ElastiCache replication group whose AUTH token the first secret is (O(step=apply), O(step=status)).
    type: str
  auth_token_update_strategy:
    description: With O(replication_group_id) and O(step=apply) - C(ROTATE) (old and new token both accepted), then C(SET) (only the new one).
    type: str
    choices: [ROTATE, SET]
    default: ROTATE
  mark_reencrypted:
    description: With O(step=finish), label the current version C(AIRFLOW_ECS_REENCRYPTED) (its values are re-encrypted with its first key).
    type: bool
    default: false
  wait_timeout:
    description: Seconds O(step=apply) waits for the instance or group to be C(available).
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Where the JWT and API secret keys stand
  pathwai.airflow_ecs.secret_rotation:
    secrets:
      - {name: airflow/prod/jwt_secret, generate: token, length: 64, max_age_days: 90}
      - {name: airflow/prod/api_secret_key, generate: token, length: 64, max_age_days: 90}
    cluster: airflow-prod
    consumer_secrets: [airflow/prod/jwt_secret, airflow/prod/api_secret_key]
  register: jwt

- name: Store the new values (kept if already pending)
  pathwai.airflow_ecs.secret_rotation:
    secrets: "{{ jwt_secrets }}"
    step: begin
  when: jwt.action != 'none'

- name: Give RDS the pending master password
  pathwai.airflow_ecs.secret_rotation:
    secrets: [{name: airflow/prod/db_master_password, generate: password, length: 40, max_age_days: 90}]
    step: apply
    rds_instance_identifier: airflow-prod-db
"""

RETURN = r"""
secrets:
  description: Per secret, where its rotation stands (never a value).
  returned: always
  type: dict
  sample:
    airflow/prod/fernet_key: {state: idle, age_days: 12.5, max_age_days: 180, due: false, keys: 1, reencrypted: true,
                              version_created: "2026-11-24T10:00:00+00:00"}
action:
  description: What a run does for these secrets - C(none), C(rotate) (due), C(resume) (a rotation under way),
    C(reencrypt) (a Fernet key list not yet re-encrypted), C(drop_old_key) (re-encrypted, the old key to drop).
  returned: always
  type: str
due:
  description: Whether any secret is older than its maximum age.
  returned: always
  type: bool
reencrypt:
  description: Whether the run ends with C(airflow rotate-fernet-key) (a Fernet rotation, not the drop of the old key).
  returned: always
  type: bool
services:
  description: The services of O(cluster) whose task definitions name one of O(consumer_secrets).
  returned: with O(cluster), when RV(action) is not C(none)
  type: list
  elements: str
values:
  description: The endpoints the connection secrets are composed from (C(db_host), C(db_port), C(redis_host), C(redis_port)).
  returned: with O(rds_instance_identifier) or O(replication_group_id), when RV(action) is not C(none)
  type: dict
"""

from datetime import UTC, datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import live_reads
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    paginate,
    poll,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.secret_rotation import (
    CURRENT,
    PENDING,
    REENCRYPTED,
    age_days,
    fernet_keys,
    kind_action,
    next_value,
    reencrypts,
    stages,
    state,
)


class RotationError(Exception):
    pass


def _password_applied(instance: dict) -> bool:
    pending = instance.get("PendingModifiedValues") or {}
    return instance.get("DBInstanceStatus") == "available" and "MasterUserPassword" not in pending


def _token_applied(group: dict) -> bool:
    """ElastiCache reports the token change as PendingModifiedValues.AuthTokenStatus (SETTING,
    ROTATING) until it is in force."""
    pending = group.get("PendingModifiedValues") or {}
    return group.get("Status") == "available" and "AuthTokenStatus" not in pending


class Rotation:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.sm = retrying_client(module, "secretsmanager")
        self.specs = self.params["secrets"]
        # every step acts on the others first and on the lead last
        self.order = self.specs[1:] + self.specs[:1]

    def versions(self, name: str) -> list[dict]:
        return live_reads.secret_versions(self.sm, name)

    def value(self, name: str, stage: str = CURRENT) -> str:
        return self.sm.get_secret_value(SecretId=name, VersionStage=stage, aws_retry=True)["SecretString"]

    def row(self, spec: dict, now: datetime) -> dict:
        versions = self.versions(spec["name"])
        labelled = stages(versions)
        current = labelled.get(CURRENT, {})
        age = age_days(current.get("CreatedDate"), now)
        row = {
            "state": state(versions),
            "generate": spec["generate"],
            "version_created": current["CreatedDate"].isoformat() if current.get("CreatedDate") else None,
            "age_days": None if age is None else round(age, 3),
            "max_age_days": spec["max_age_days"],
            "due": self.params["force"] or (age is not None and age > spec["max_age_days"]),
        }
        if spec["generate"] == "fernet":
            row["keys"] = len(fernet_keys(self.value(spec["name"])))
            row["reencrypted"] = REENCRYPTED in current.get("VersionStages", [])
            if row["state"] != "idle":
                row["pending_keys"] = len(fernet_keys(self.value(spec["name"], PENDING)))
        return row

    def status(self) -> dict:
        now = datetime.now(UTC)
        rows = [self.row(spec, now) for spec in self.specs]
        action = kind_action(rows)
        result = dict(
            changed=False,
            secrets={spec["name"]: row for spec, row in zip(self.specs, rows, strict=True)},
            action=action,
            due=any(r["due"] for r in rows),
            reencrypt=reencrypts(rows, action),
        )
        if action != "none":  # what the run will roll and compose (the weekly no-op reads none of it)
            if self.params["cluster"]:
                result["services"] = self.consumers()
            values = self.endpoints()
            if values:
                result["values"] = values
        return result

    def consumers(self) -> list[str]:
        """The services whose task definitions name one of the consumer secrets: by name, or by ARN
        (``arn:...:secret:<name>-<6 characters>``, with a ``:json-key:...`` suffix or not)."""
        names = self.params["consumer_secrets"]
        ecs = retrying_client(self.module, "ecs")
        cluster = self.params["cluster"]
        arns = paginate(ecs, "list_services", cluster=cluster).get("serviceArns", [])
        found, definitions = [], {}
        for start in range(0, len(arns), 10):
            described = ecs.describe_services(
                cluster=cluster, services=arns[start : start + 10], aws_retry=True
            )
            for service in described["services"]:
                family = service["taskDefinition"]
                if family not in definitions:
                    definitions[family] = live_reads.task_definition(ecs, family) or {}
                named = [
                    s["valueFrom"]
                    for c in definitions[family].get("containerDefinitions", [])
                    for s in c.get("secrets", [])
                ]
                if any(v == name or f":secret:{name}-" in v for v in named for name in names):
                    found.append(service["serviceName"])
        return sorted(found)

    def endpoints(self) -> dict:
        values = {}
        if self.params["rds_instance_identifier"]:
            endpoint = self.db_instance().get("Endpoint", {})
            values.update(db_host=endpoint.get("Address"), db_port=endpoint.get("Port"))
        if self.params["replication_group_id"]:
            group = self.replication_group()
            primary = (group.get("NodeGroups") or [{}])[0].get("PrimaryEndpoint", {})
            values.update(redis_host=primary.get("Address"), redis_port=primary.get("Port"))
        return values

    def db_instance(self) -> dict:
        rds = retrying_client(self.module, "rds")
        return live_reads.db_instance(rds, self.params["rds_instance_identifier"]) or {}

    def replication_group(self) -> dict:
        cache = retrying_client(self.module, "elasticache")
        return live_reads.replication_group(cache, self.params["replication_group_id"]) or {}

    def begin(self) -> dict:
        lead_state = state(self.versions(self.specs[0]["name"]))
        begun = []
        for spec in self.order:
            if lead_state == "promoted" or state(self.versions(spec["name"])) != "idle":
                continue  # already pending (or past it): keep the stored value
            begun.append(spec["name"])
            if not self.module.check_mode:
                self.sm.put_secret_value(
                    SecretId=spec["name"],
                    SecretString=next_value(spec, self.value(spec["name"])),
                    VersionStages=[PENDING],
                    aws_retry=True,
                )
        return dict(changed=bool(begun), begun=begun)

    def apply(self) -> dict:
        name = self.specs[0]["name"]
        if self.module.check_mode:
            return dict(changed=True)
        if PENDING not in stages(self.versions(name)):
            raise RotationError(f"{name} has no pending value to apply: run step=begin first")
        value = self.value(name, PENDING)
        timeout = self.params["wait_timeout"]
        if self.params["rds_instance_identifier"]:
            rds = retrying_client(self.module, "rds")
            identifier = self.params["rds_instance_identifier"]
            rds.modify_db_instance(
                DBInstanceIdentifier=identifier,
                MasterUserPassword=value,
                ApplyImmediately=True,
                aws_retry=True,
            )
            # Right after the call RDS may still say `available`: the password is applied when it is
            # no longer pending (PendingModifiedValues.MasterUserPassword) and the instance is available.
            poll(self.db_instance, _password_applied, timeout, f"RDS {identifier}")
        elif self.params["replication_group_id"]:
            cache = retrying_client(self.module, "elasticache")
            group_id = self.params["replication_group_id"]
            cache.modify_replication_group(
                ReplicationGroupId=group_id,
                AuthToken=value,
                AuthTokenUpdateStrategy=self.params["auth_token_update_strategy"],
                ApplyImmediately=True,
                aws_retry=True,
            )
            poll(self.replication_group, _token_applied, timeout, f"Redis {group_id}")
        else:
            raise RotationError("step=apply needs rds_instance_identifier or replication_group_id")
        return dict(changed=True)

    def promote(self) -> dict:
        promoted = []
        for spec in self.order:
            labelled = stages(self.versions(spec["name"]))
            pending, current = labelled.get(PENDING), labelled.get(CURRENT)
            if pending is None:
                if self.module.check_mode:
                    promoted.append(spec["name"])  # begun in the same (planned) run
                continue
            if pending["VersionId"] == current["VersionId"]:
                continue
            promoted.append(spec["name"])
            if not self.module.check_mode:
                self.sm.update_secret_version_stage(
                    SecretId=spec["name"],
                    VersionStage=CURRENT,
                    MoveToVersionId=pending["VersionId"],
                    RemoveFromVersionId=current["VersionId"],
                    aws_retry=True,
                )
        return dict(changed=bool(promoted), promoted=promoted)

    def finish(self) -> dict:
        finished = []
        for spec in self.order:
            name = spec["name"]
            versions = self.versions(name)
            labelled = stages(versions)
            pending, current = labelled.get(PENDING), labelled.get(CURRENT)
            if pending is not None and pending["VersionId"] != current["VersionId"]:
                raise RotationError(f"{name}: the pending value is not current yet: run step=promote first")
            if self.params["mark_reencrypted"] and spec["generate"] == "fernet":
                marked = labelled.get(REENCRYPTED)
                if marked is None or marked["VersionId"] != current["VersionId"]:
                    finished.append(name)
                    if not self.module.check_mode:
                        move = dict(MoveToVersionId=current["VersionId"])
                        if marked is not None:
                            move["RemoveFromVersionId"] = marked["VersionId"]
                        self.sm.update_secret_version_stage(
                            SecretId=name, VersionStage=REENCRYPTED, **move, aws_retry=True
                        )
            if pending is None:
                if self.module.check_mode and name not in finished:
                    finished.append(name)
                continue
            if name not in finished:
                finished.append(name)
            if not self.module.check_mode:
                self.sm.update_secret_version_stage(
                    SecretId=name,
                    VersionStage=PENDING,
                    RemoveFromVersionId=pending["VersionId"],
                    aws_retry=True,
                )
        return dict(changed=bool(finished), finished=finished)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            secrets=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    generate=dict(type="str", required=True, choices=["password", "token", "hex", "fernet"]),
                    length=dict(type="int", default=48, no_log=False),
                    max_age_days=dict(type="float", required=True),
                ),
            ),
            force=dict(type="bool", default=False),
            step=dict(
                type="str", default="status", choices=["status", "begin", "apply", "promote", "finish"]
            ),
            cluster=dict(type="str"),
            consumer_secrets=dict(type="list", elements="str", default=[], no_log=False),
            rds_instance_identifier=dict(type="str"),
            replication_group_id=dict(type="str"),
            auth_token_update_strategy=dict(
                type="str", default="ROTATE", choices=["ROTATE", "SET"], no_log=False
            ),
            mark_reencrypted=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=900),
        ),
        mutually_exclusive=[["rds_instance_identifier", "replication_group_id"]],
        supports_check_mode=True,
    )
    rotation = Rotation(module)
    step = module.params["step"]
    run_module(module, getattr(rotation, step), f"run the {step} step of the rotation", (RotationError,))


if __name__ == "__main__":
    main()
