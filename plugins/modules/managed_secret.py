#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: managed_secret
short_description: A Secrets Manager secret whose value never passes through Ansible
version_added: 0.1.0
description:
  - Ensures one secret, encrypted with a customer-managed key. Its value is either B(generated once) inside
    the module (O(generate)) and never changed by a re-run, or B(composed) from other secrets and plain values
    (O(template)) and updated only when the composition changes (a new endpoint, a rotated password).
  - The module never returns a secret value, not in its result and not in its diff, so no C(-vvv) run can show one.
  - Written because M(community.aws.secretsmanager_secret) needs the value passed in as a task argument, so a
    connection URL built from a generated password would have to travel through Ansible variables.
  - Supports check mode and diff (the diff shows whether the value would change, never the value).
  - Calls C(DescribeSecret), C(GetSecretValue), C(CreateSecret), C(PutSecretValue), C(UpdateSecret),
    C(TagResource), C(UntagResource), C(DeleteSecret); all are implemented by the local emulator.
author:
  - pathwai platform engineering
options:
  name:
    description: The secret name, for example C(airflow/prod/fernet_key).
    type: str
    required: true
  state:
    description: Whether the secret should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The secret's description.
    type: str
    default: ""
  kms_key_id:
    description: The KMS key (ARN, id or alias) that encrypts the secret. Required when creating.
    type: str
  generate:
    description:
      - Generate the value once, when the secret is created. C(password) and C(token) are letters and digits,
        C(hex) is hexadecimal, C(fernet) is a valid Fernet key (32 random bytes, url-safe base64).
    type: str
    choices: [password, token, hex, fernet]
  length:
    description: Length of a generated C(password), C(token) or C(hex) value.
    type: int
    default: 48
  template:
    description:
      - Compose the value. C(${secret:NAME}) and C(${secret:NAME#field}) read other secrets,
        C(${value:KEY}) reads O(values); append C(|url) to percent-encode or C(|json) to escape for JSON.
    type: str
  values:
    description: Plain (non-secret) values for C(${value:KEY}) placeholders, such as endpoint host names.
    type: dict
    default: {}
  recovery_window_in_days:
    description: Days before a deleted secret is gone (7-30); 0 deletes at once.
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Exactly one of O(generate) and O(template) is required with O(state=present).
"""

EXAMPLES = r"""
- name: A Fernet key, generated once
  pathwai.airflow_ecs.managed_secret:
    name: airflow/prod/fernet_key
    generate: fernet
    kms_key_id: alias/airflow-prod-secrets

- name: The SQLAlchemy URL, composed from the DB secret and the RDS endpoint
  pathwai.airflow_ecs.managed_secret:
    name: airflow/prod/sql_alchemy_conn
    kms_key_id: alias/airflow-prod-secrets
    template: >-
      postgresql+psycopg2://${secret:airflow/prod/db#username|url}:${secret:airflow/prod/db#password|url}@${value:host}:5432/airflow?sslmode=require
    values:
      host: airflow-prod-db.abc.us-east-1.rds.amazonaws.com
"""

RETURN = r"""
secret:
  description: The secret's metadata (never its value).
  returned: always
  type: dict
  contains:
    arn: {description: The secret ARN., type: str}
    name: {description: The secret name., type: str}
    kms_key_id: {description: The encrypting key., type: str}
    version_id: {description: The current version., type: str}
    tags: {description: Tags., type: dict}
value_changed:
  description: Whether the value was (or, in check mode, would be) written.
  returned: always
  type: bool
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    exit_with,
    retrying_client,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.secret_values import (
    generate,
    render,
    secret_names,
)


def describe(client, name: str) -> dict | None:
    try:
        return client.describe_secret(SecretId=name, aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def read_value(client, name: str) -> str:
    return client.get_secret_value(SecretId=name, aws_retry=True)["SecretString"]


def view(meta: dict | None, value_state: str) -> dict:
    if not meta:
        return {}
    return {
        "arn": meta["ARN"],
        "name": meta["Name"],
        "description": meta.get("Description", ""),
        "kms_key_id": meta.get("KmsKeyId"),
        "tags": {t["Key"]: t["Value"] for t in meta.get("Tags", [])},
        "value": value_state,
    }


def desired_value(module, client, current_value: str | None) -> str:
    params = module.params
    if params["generate"]:
        return current_value if current_value is not None else generate(params["generate"], params["length"])
    template = params["template"]
    try:
        sources = {name: read_value(client, name) for name in secret_names(template)}
        return render(template, sources, params["values"])
    except is_boto3_error_code("ResourceNotFoundException") as e:
        module.fail_json(msg=f"{params['name']}: a secret the template reads does not exist: {e}")
    except (KeyError, ValueError) as e:
        module.fail_json(msg=f"{params['name']}: cannot compose the value: {e}")


def same_key(module, wanted: str, current: str | None) -> bool:
    """Whether two key references (id, ARN, alias) name the same KMS key."""
    if current is None or wanted == current:
        return wanted == current
    kms = retrying_client(module, "kms")
    arns = [kms.describe_key(KeyId=ref, aws_retry=True)["KeyMetadata"]["Arn"] for ref in (wanted, current)]
    return arns[0] == arns[1]


def sync_tags(client, arn: str, have: dict, want: dict | None, purge: bool) -> bool:
    if want is None:
        return False
    to_set = {k: v for k, v in want.items() if have.get(k) != v}
    to_remove = [k for k in have if k not in want] if purge else []
    if to_remove:
        client.untag_resource(SecretId=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(
            SecretId=arn, Tags=[{"Key": k, "Value": v} for k, v in to_set.items()], aws_retry=True
        )
    return bool(to_set or to_remove)


def ensure_present(module, client) -> dict:
    params = module.params
    meta = describe(client, params["name"])
    if meta is None:
        if not params["kms_key_id"]:
            module.fail_json(msg=f"{params['name']}: kms_key_id is required to create the secret")
        after = {
            "name": params["name"],
            "kms_key_id": params["kms_key_id"],
            "tags": params["tags"] or {},
            "description": params["description"],
            "value": "set",
        }
        if module.check_mode:
            return dict(changed=True, value_changed=True, secret=after, diff=diff_result({}, after))
        value = desired_value(module, client, None)
        request = dict(
            Name=params["name"],
            Description=params["description"],
            KmsKeyId=params["kms_key_id"],
            SecretString=value,
        )
        if params["tags"]:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in params["tags"].items()]
        client.create_secret(**request, aws_retry=True)
        meta = describe(client, params["name"])
        return dict(
            changed=True,
            value_changed=True,
            secret=view(meta, "set"),
            diff=diff_result({}, view(meta, "set")),
        )

    current = read_value(client, params["name"])
    value = desired_value(module, client, current)
    value_changed = value != current
    before = view(meta, "unchanged")
    after = dict(before, value="changed" if value_changed else "unchanged")
    meta_changes = {}
    if params["description"] != meta.get("Description", ""):
        meta_changes["Description"] = params["description"]
    if params["kms_key_id"] and not same_key(module, params["kms_key_id"], meta.get("KmsKeyId")):
        meta_changes["KmsKeyId"] = params["kms_key_id"]
    after.update({"description": params["description"]})
    want_tags = params["tags"]
    tags_changed = want_tags is not None and (
        (want_tags if params["purge_tags"] else {**before["tags"], **want_tags}) != before["tags"]
    )
    if want_tags is not None:
        after["tags"] = want_tags if params["purge_tags"] else {**before["tags"], **want_tags}
    changed = value_changed or bool(meta_changes) or tags_changed
    if not changed:
        return dict(changed=False, value_changed=False, secret=before)
    if not module.check_mode:
        if meta_changes:
            client.update_secret(SecretId=meta["ARN"], **meta_changes, aws_retry=True)
        if value_changed:
            client.put_secret_value(SecretId=meta["ARN"], SecretString=value, aws_retry=True)
        sync_tags(client, meta["ARN"], before["tags"], want_tags, params["purge_tags"])
        after = view(describe(client, params["name"]), after["value"])
    return dict(changed=True, value_changed=value_changed, secret=after, diff=diff_result(before, after))


def ensure_absent(module, client) -> dict:
    meta = describe(client, module.params["name"])
    if meta is None or meta.get("DeletedDate"):
        return dict(changed=False, value_changed=False, secret={})
    before = view(meta, "unchanged")
    if not module.check_mode:
        window = module.params["recovery_window_in_days"]
        extra = {"ForceDeleteWithoutRecovery": True} if window == 0 else {"RecoveryWindowInDays": window}
        client.delete_secret(SecretId=meta["ARN"], **extra, aws_retry=True)
    return dict(changed=True, value_changed=True, secret=before, diff=diff_result(before, {}))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            description=dict(type="str", default=""),
            kms_key_id=dict(type="str"),
            generate=dict(type="str", choices=["password", "token", "hex", "fernet"]),
            length=dict(type="int", default=48, no_log=False),
            template=dict(type="str"),
            values=dict(type="dict", default={}),
            recovery_window_in_days=dict(type="int", default=30),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        mutually_exclusive=[["generate", "template"]],
        required_if=[["state", "present", ["generate", "template"], True]],
        supports_check_mode=True,
    )
    client = retrying_client(module, "secretsmanager")
    try:
        if module.params["state"] == "present":
            result = ensure_present(module, client)
        else:
            result = ensure_absent(module, client)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage secret {module.params['name']}")
    exit_with(module, result)


if __name__ == "__main__":
    main()
