# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
name: secretsmanager_secret
short_description: amazon.aws.secretsmanager_secret, retrying as the connection's aws_config says
version_added: 0.1.0
description:
  - Looks up secret values exactly as C(amazon.aws.secretsmanager_secret) does (the same terms and
    options, passed on to it), and also honours O(aws_config), which that lookup does not read. Its
    Secrets Manager calls then retry as the modules' calls do (the C(retries) mode and attempts of the
    connection settings), instead of botocore's default three attempts.
  - Use it with the same keyword arguments as the modules' C(module_defaults), for example
    C(lookup('pathwai.airflow_ecs.secretsmanager_secret', name, **airflow_aws_connection)).
author:
  - pathwai platform engineering
options:
  _terms:
    description: Secret names (or, with C(bypath), paths), as C(amazon.aws.secretsmanager_secret) takes them.
    required: true
  aws_config:
    description:
      - "The botocore client configuration, as the modules' O(aws_config), for example
        C({retries: {mode: standard, total_max_attempts: 10}})."
    type: dict
notes:
  - Every other keyword (C(region), C(endpoint_url), C(access_key), C(on_missing), C(nested)...) is
    C(amazon.aws.secretsmanager_secret)'s.
"""

EXAMPLES = r"""
- name: A password from Secrets Manager, read with the inventory's retry policy
  ansible.builtin.debug:
    msg: "{{ lookup('pathwai.airflow_ecs.secretsmanager_secret', 'airflow/prod/db_master_password',
      **airflow_aws_connection) | length }}"
"""

RETURN = r"""
_raw:
  description: The secret values, as C(amazon.aws.secretsmanager_secret) returns them.
"""

from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase

STOCK = "amazon.aws.secretsmanager_secret"


class LookupModule(LookupBase):
    def run(self, terms, variables=None, aws_config=None, **kwargs):
        stock = lookup_loader.get(STOCK, loader=self._loader, templar=self._templar)
        if aws_config:
            # The stock lookup builds its client from get_options() (amazon.aws plugin_utils), which holds
            # only the options it documents: add aws_config there, as its modules' argument spec does.
            documented = stock.get_options
            stock.get_options = lambda *args, **kw: {**documented(*args, **kw), "aws_config": aws_config}
        return stock.run(terms, variables, **kwargs)
