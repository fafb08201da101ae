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
  - O(secrets) converges a list of secrets in one run, in order (a template may read a secret an earlier
    item generates). Written because a loop starts one module process per secret (about 0.7 s each) and
    describes each secret. Measured for the data role's 6 generated and 5 composed secrets on a no-op
    re-run, 11 module runs and 27 calls in 55 s became 2 runs and 9 calls in 6 s (on a first run 40 calls
    in 78 s became 17 in 8 s; a shared 2-core machine, so the seconds are inflated by load).
  - The list form reads every secret's metadata with one paginated C(ListSecrets) filtered by the names'
    common prefix (secrets scheduled for deletion included); the single form calls C(DescribeSecret).
    A value is read with C(GetSecretValue) at most once per run (a composed secret's current value, each
    source secret once however many templates read it); a generated secret's value is never read.
  - Writes are C(CreateSecret) (with the tags and the value in the one call), C(PutSecretValue),
    C(UpdateSecret), C(TagResource), C(UntagResource), C(DeleteSecret). C(DescribeKey) compares keys
    given in different forms (alias, id, ARN).
author:
  - pathwai platform engineering
options:
  name:
    description: The secret name, for example C(airflow/prod/fernet_key). Required unless O(secrets) is given.
    type: str
  secrets:
    description:
      - Several secrets, each with the per-secret options O(name) (required), O(state), O(description),
        O(kms_key_id), O(generate), O(length), O(template), O(values), O(tags) and O(recovery_window_in_days),
        converged in this order in one run. O(purge_tags) applies to all.
      - Mutually exclusive with the single-secret options.
    type: list
    elements: dict
    version_added: 0.1.0
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
  - Exactly one of O(generate) and O(template) is required with O(state=present) (per item with O(secrets)).
"""

EXAMPLES = r"""
- name: Several secrets in one run (one ListSecrets for all)
  pathwai.airflow_ecs.managed_secret:
    secrets:
      - {name: airflow/prod/fernet_key, generate: fernet, kms_key_id: alias/airflow-prod-secrets}
      - {name: airflow/prod/jwt_secret, generate: token, length: 64, kms_key_id: alias/airflow-prod-secrets}
      - name: airflow/prod/redis
        kms_key_id: alias/airflow-prod-secrets
        template: '{"host": "${value:host|json}", "auth_token": "${secret:airflow/prod/redis_auth_token|json}"}'
        values: {host: master.airflow-prod-redis.abc.use1.cache.amazonaws.com}

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
      postgresql+psycopg2://${secret:airflow/prod/db#username|url}:${secret:airflow/prod/db#password|url}@${value:host}:5432/airflow?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem
    values:
      host: airflow-prod-db.abc.us-east-1.rds.amazonaws.com
"""

RETURN = r"""
secret:
  description: The secret's metadata (never its value).
  type: dict
  contains:
    arn: {description: The secret ARN., type: str}
    name: {description: The secret name., type: str}
    kms_key_id: {description: The encrypting key., type: str}
    version_id: {description: The current version., type: str}
    tags: {description: Tags., type: dict}
  returned: single form (O(name))
value_changed:
  description: Whether a value was (or, in check mode, would be) written.
  returned: always
  type: bool
secrets:
  description: Per secret of O(secrets), the metadata as in RV(secret) (never a value).
  returned: list form (O(secrets))
  type: dict
values_changed:
  description: The names of the secrets of O(secrets) whose value was (or would be) written.
  returned: list form (O(secrets))
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.managed_secret import SecretError
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.managed_secret_api import Secrets

SECRET_OPTIONS = dict(
    name=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    description=dict(type="str", default=""),
    kms_key_id=dict(type="str"),
    generate=dict(type="str", choices=["password", "token", "hex", "fernet"]),
    length=dict(type="int", default=48, no_log=False),
    template=dict(type="str"),
    values=dict(type="dict", default={}),
    recovery_window_in_days=dict(type="int", default=30),
    tags=dict(type="dict", aliases=["resource_tags"]),
)
SINGLE_ONLY = ["name", "generate", "template", "kms_key_id", "tags", "description", "values", "length"]


def converge_many(module, client) -> dict:
    specs = module.params["secrets"]
    names = [spec["name"] for spec in specs]
    if len(set(names)) != len(names):
        module.fail_json(msg=f"duplicate secret names: {sorted({n for n in names if names.count(n) > 1})}")
    store = Secrets.listed(module, client, names)
    results = {spec["name"]: store.converge(spec, module.params["purge_tags"]) for spec in specs}
    changed = {name: r for name, r in results.items() if r["changed"]}
    return dict(
        changed=bool(changed),
        value_changed=any(r["value_changed"] for r in results.values()),
        values_changed=[name for name, r in results.items() if r["value_changed"]],
        secrets={name: r["secret"] for name, r in results.items()},
        diff=diff_result(
            {name: r["diff"]["before"] for name, r in changed.items()},
            {name: r["diff"]["after"] for name, r in changed.items()},
        ),
    )


def main():
    item_options = dict(SECRET_OPTIONS, name=dict(type="str", required=True))
    module = AnsibleAWSModule(
        argument_spec=dict(
            **SECRET_OPTIONS,
            secrets=dict(type="list", elements="dict", options=item_options),
            purge_tags=dict(type="bool", default=True),
        ),
        mutually_exclusive=[["generate", "template"]] + [["secrets", option] for option in SINGLE_ONLY],
        required_one_of=[["name", "secrets"]],
        supports_check_mode=True,
    )
    client = retrying_client(module, "secretsmanager")
    params = module.params

    def work() -> dict:
        if params["secrets"] is not None:
            return converge_many(module, client)
        return Secrets(module, client).converge(params, params["purge_tags"])

    run_module(module, work, f"manage {params['name'] or 'the secrets'}", (SecretError,))


if __name__ == "__main__":
    main()
