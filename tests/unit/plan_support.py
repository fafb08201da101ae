"""What the plan tests share: the roles' variables per inventory (dumped by
ansible-playbook, as the roles see them), the layers below, cfn-lint, the plan's open references."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_layers
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    cloudformation,
    terraform_plan,
)
from cfnlint.api import ManualArgs, lint

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("local", "dev", "prod")
ROLES = ("network", "kms", "endpoints", "data", "alb", "compute", "monitoring")
DUMP = """
- name: Dump the roles' variables
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Load each role's variables
      ansible.builtin.include_role:
        name: "pathwai.airflow_ecs.{{ item }}"
        tasks_from: validate
        public: true
      loop: __ROLES__
    - name: Write them
      vars:
        names: "{{ q('ansible.builtin.varnames', '^(airflow|__NAMES__)_')
          | reject('equalto', 'airflow_aws_connection') }}"
      ansible.builtin.copy:
        dest: "{{ dump_file }}"
        content: "{{ dict(names | zip(q('ansible.builtin.vars', *names))) | to_json }}"
        mode: "0600"
""".replace("__ROLES__", json.dumps(list(ROLES))).replace("__NAMES__", "|".join(ROLES))


def inventory_vars(env: str) -> dict:
    """Every airflow_* and role variable of inventories/<env>, templated (no AWS call): one
    ansible-playbook run per inventory and process, a fresh copy for each caller to change."""
    return copy.deepcopy(_dumped(env))


@functools.cache
def _dumped(env: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        playbook, dump = Path(tmp, "dump.yml"), Path(tmp, "vars.json")
        playbook.write_text(DUMP)
        command = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            f"inventories/{env}",
            str(playbook),
            "-e",
            f"dump_file={dump}",
        ]
        environ = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(dump.read_text())


def with_layers_below(v: dict, layer: str) -> list[dict]:
    """``layer``'s resources after those of every layer built before it (plan_layers.LAYERS' order),
    which it may reference, as the plan renders them."""
    layers = list(plan_layers.LAYERS)
    return plan_layers.plan_resources(v, layers[: layers.index(layer) + 1])


def terraform(resources: list[dict], region: str) -> dict:
    return terraform_plan(resources, plan_layers.converters(), region)


def cfn_lint(resources: list[dict], region: str, only: list[dict] | None = None) -> list[str]:
    """cfn-lint's findings on the template, as ``<rule> <path>: <message>``; with ``only``, those
    on these resources."""
    template = json.dumps(cloudformation(resources, "plan"))
    matches = lint(template, config=ManualArgs(regions=[region]))
    ids = {r["id"] for r in only or resources}
    return [
        f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}"
        for m in matches
        if len(m.path) < 2 or m.path[0] != "Resources" or m.path[1] in ids
    ]


def of_type(resources: list[dict], rtype: str) -> list[dict]:
    return [r for r in resources if r["type"] == rtype]


def references(plan: dict) -> list[str]:
    """Every reference between resources in the Terraform plan's configuration."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            found.extend(value.get("references", []))
            for key, item in value.items():
                if key != "references":
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for res in plan["configuration"]["root_module"]["resources"]:
        walk(res["expressions"])
    return found


def unresolved(plan: dict) -> list[str]:
    """References in the Terraform plan's configuration that name no planned resource."""
    addresses = {r["address"] for r in plan["resource_changes"]}
    return [r for r in references(plan) if r not in addresses and r.rsplit(".", 1)[0] not in addresses]
