"""What the alb and monitoring plan tests share: the roles' variables per inventory (dumped by
ansible-playbook, as the roles see them), stub resources for the ids other layers own, cfn-lint."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_model import (
    VPC_ID,
    key_id,
    resource,
    sg_id,
    subnet_id,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.plan_render import (
    cloudformation,
    tf_ref,
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
        names: "{{ q('ansible.builtin.varnames', '^(airflow|__NAMES__)_') }}"
      ansible.builtin.copy:
        dest: "{{ dump_file }}"
        content: "{{ dict(names | zip(q('ansible.builtin.vars', *names))) | to_json }}"
        mode: "0600"
""".replace("__ROLES__", json.dumps(list(ROLES))).replace("__NAMES__", "|".join(ROLES))


@functools.cache
def inventory_vars(env: str) -> dict:
    """Every airflow_* and role variable of inventories/<env>, templated (no AWS call)."""
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


def foundation_stubs(v: dict) -> list[dict]:
    """The network and kms layers' resources the edge layers reference (VPC, ALB subnets, ALB
    security group, sns key), minimal: only so the references resolve."""
    out = [resource("AWS::EC2::VPC", VPC_ID, {"CidrBlock": "10.0.0.0/16"})]
    for i, zone in enumerate(v["network_availability_zones"]):
        out.append(
            resource(
                "AWS::EC2::Subnet",
                subnet_id("alb", zone),
                {"VpcId": {"Ref": VPC_ID}, "CidrBlock": f"10.0.{i}.0/24", "AvailabilityZone": zone},
            )
        )
    out.append(
        resource(
            "AWS::EC2::SecurityGroup", sg_id("alb"), {"GroupDescription": "stub", "VpcId": {"Ref": VPC_ID}}
        )
    )
    out.append(resource("AWS::KMS::Key", key_id("sns"), {"EnableKeyRotation": True}))
    return out


STUB_TERRAFORM = {
    "AWS::EC2::VPC": lambda r: [("aws_vpc", "", {"cidr_block": r["properties"]["CidrBlock"]})],
    "AWS::EC2::Subnet": lambda r: [
        (
            "aws_subnet",
            "",
            {"vpc_id": tf_ref(r["properties"]["VpcId"]), "cidr_block": r["properties"]["CidrBlock"]},
        )
    ],
    "AWS::EC2::SecurityGroup": lambda r: [
        ("aws_security_group", "", {"description": "stub", "vpc_id": tf_ref(r["properties"]["VpcId"])})
    ],
    "AWS::KMS::Key": lambda r: [("aws_kms_key", "", {"enable_key_rotation": True})],
}


def cfn_lint(resources: list[dict], region: str) -> list[str]:
    """cfn-lint's findings on the template, as ``<rule> <path>: <message>``."""
    template = json.dumps(cloudformation(resources, "plan"))
    matches = lint(template, config=ManualArgs(regions=[region]))
    return [f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}" for m in matches]


def unresolved(plan: dict) -> list[str]:
    """References in the Terraform plan's configuration that name no planned resource."""
    addresses = {r["address"] for r in plan["resource_changes"]}
    found = []

    def walk(value):
        if isinstance(value, dict):
            for ref in value.get("references", []):
                if ref not in addresses and ref.rsplit(".", 1)[0] not in addresses:
                    found.append(ref)
            for key, item in value.items():
                if key != "references":
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for res in plan["configuration"]["root_module"]["resources"]:
        walk(res["expressions"])
    return found
