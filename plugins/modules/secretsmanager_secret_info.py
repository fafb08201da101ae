#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: secretsmanager_secret_info
short_description: List Secrets Manager secrets by name prefix (metadata only, never values)
version_added: 0.1.0
description:
  - Lists the secrets whose name starts with O(name_prefix), with their ARN, KMS key and tags. Secret values are
    never read.
  - Written because neither amazon.aws nor community.aws has an info module for Secrets Manager; the
    C(amazon.aws.secretsmanager_secret) lookup returns values, which task definitions must not carry (they
    name secrets by ARN in C(valueFrom)).
  - Calls C(ListSecrets) (paginated, C(name) filter).
author:
  - pathwai platform engineering
options:
  name_prefix:
    description: Secrets whose name starts with this, for example C(airflow/prod/).
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the environment's secrets
  pathwai.airflow_ecs.secretsmanager_secret_info:
    name_prefix: airflow/prod/
  register: found

- name: ARN of the broker URL secret
  ansible.builtin.debug:
    msg: "{{ found.arns['airflow/prod/celery_broker_url'] }}"
"""

RETURN = r"""
secrets:
  description: The secrets found, sorted by name (metadata only).
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: The secret name., type: str}
    arn: {description: The secret ARN (with its random suffix)., type: str}
    kms_key_id: {description: The KMS key that encrypts it., type: str}
    description: {description: The description., type: str}
    tags: {description: Tags., type: dict}
arns:
  description: Secret name to ARN.
  returned: always
  type: dict
  sample: {"airflow/prod/fernet_key": "arn:aws:secretsmanager:us-east-1:123456789012:secret:airflow/prod/fernet_key-AbCdEf"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import retrying_client, run_module
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.lookups import secrets_under


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(name_prefix=dict(type="str", required=True)), supports_check_mode=True
    )
    prefix = module.params["name_prefix"]
    client = retrying_client(module, "secretsmanager")

    def work():
        secrets = [
            {
                "name": s["Name"],
                "arn": s["ARN"],
                "kms_key_id": s.get("KmsKeyId"),
                "description": s.get("Description"),
                "tags": {t["Key"]: t["Value"] for t in s.get("Tags") or []},
            }
            for s in secrets_under(client, prefix)
        ]
        return dict(changed=False, secrets=secrets, arns={s["name"]: s["arn"] for s in secrets})

    run_module(module, work, f"list the secrets under {prefix}")


if __name__ == "__main__":
    main()
