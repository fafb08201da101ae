"""The plan gate (plan_gate) with the real tools: the fixture plan passes, and a plan broken on purpose
fails naming the tool, the rule and the resource (cfn-lint, Checkov, parliament, the seed's Rego)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gate_fixtures as fx
import pytest
from conftest import ModuleFailed, run_module

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
FIXTURE_SKIPS = Path(__file__).resolve().parent / "gate_fixture_skips.yml"
SEED_DOC = ROOT.parent / "shared" / "seed" / "airflow3-ecs-nat-free-design.md"


def gate(plan=None, template=None, documents=None, env="dev", _check=False, **extra) -> dict:
    args = {
        "env": env,
        "template": template or fx.template(),
        "plan": plan or fx.plan(),
        "policy_documents": documents if documents is not None else fx.policy_documents(),
        "policy_dir": str(POLICIES),
        "checkov_executable": fx.checkov_executable(),
        "checkov_skips": str(FIXTURE_SKIPS),
        **extra,
    }
    return run_module("plan_gate", args, check_mode=_check)


def refused(**kwargs) -> list[str]:
    with pytest.raises(ModuleFailed) as failed:
        gate(**kwargs)
    result = failed.value.result
    assert result["passed"] is False
    return result["failures"]


def test_the_fixture_plan_passes_every_tool():
    result = gate()
    assert result["passed"] is True, result["failures"]
    assert result["changed"] is False
    summary = result["summary"]
    assert summary["checkov"]["dev"]["passed"] > 30  # graph checks and resource checks ran
    assert summary["checkov"]["dev"]["failed"] == 0
    assert summary["checkov"]["dev"]["resources"] == 16
    assert summary["checkov"]["dev"]["skipped"] == len(result["skipped"]) == 4
    assert summary["cfn-lint"]["errors"] == 0
    assert summary["parliament"] == {"documents": 4, "failed": 0, "listed": 1}
    assert summary["rego"]["seed_policies"] == 1 and summary["rego"]["denied"] == 0
    assert set(result["seconds"]) == {"cfn-lint", "checkov", "parliament", "rego"}


def test_check_mode_judges_the_same():
    assert gate(_check=True)["passed"] is True


def test_a_skip_applies_only_to_its_environments():
    failures = refused(env="prod")  # CKV_AWS_18 and CKV2_AWS_61 are skipped for local and dev only
    assert (
        "checkov CKV_AWS_18 aws_s3_bucket.dags: Ensure the S3 bucket has access logging enabled" in failures
    )
    assert any(f.startswith("checkov CKV2_AWS_61 aws_s3_bucket.dags:") for f in failures)
    assert all(f.startswith("checkov ") for f in failures), failures


def test_report_only_returns_the_verdict_without_failing():
    result = gate(env="prod", report_only=True)
    assert result["passed"] is False and len(result["failures"]) == 2
    assert result["summary"]["checkov"]["prod"]["failed"] == 2


# --- cfn-lint ---------------------------------------------------------------------------------------


def test_cfn_lint_refuses_a_security_group_description_aws_refuses():
    template = fx.template()
    template["Resources"]["DagSyncSg"]["Properties"]["GroupDescription"] = "DAG sync service (S3 -> EFS)"
    failures = refused(template=template)
    assert any(f.startswith("cfn-lint E3031 DagSyncSg: 'DAG sync service (S3 -> EFS)'") for f in failures), (
        failures
    )


def test_cfn_lint_promoted_warning_fails_a_deprecated_engine_version():
    template = fx.template()
    template["Resources"]["Db"] = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {
            "Engine": "postgres",
            "EngineVersion": "16.8",
            "DBInstanceClass": "db.m5.large",
            "AllocatedStorage": "20",
            "MasterUsername": "airflow",
            "ManageMasterUserPassword": True,
        },
    }
    failures = refused(template=template)
    assert any(f.startswith("cfn-lint W3691 Db: Engine version '16.8'") for f in failures), failures


# --- Checkov -----------------------------------------------------------------------------------------


def test_checkov_refuses_ssh_open_to_the_internet():
    rule = {
        "type": "aws_security_group_rule",
        "name": "ssh",
        "values": {
            "type": "ingress",
            "protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
            "cidr_blocks": ["0.0.0.0/0"],
            "description": "ssh",
        },
        "refs": {"security_group_id": ["aws_security_group.dag_sync.id", "aws_security_group.dag_sync"]},
    }
    failures = refused(plan=fx.plan_with([rule]))
    assert any(f.startswith("checkov CKV_AWS_24 aws_security_group_rule.ssh:") for f in failures), failures
    # the seed's policy says the same of the rule itself
    seed = "rego terraform.analysis.deny aws_security_group_rule.ssh: Security group rule with 0.0.0.0/0"
    assert f"{seed} not allowed" in failures


def test_checkov_graph_check_refuses_a_vpc_without_flow_logs():
    plan = fx.plan()
    for section in (plan["resource_changes"], plan["planned_values"]["root_module"]["resources"]):
        section[:] = [r for r in section if r["type"] != "aws_flow_log"]
    plan["configuration"]["root_module"]["resources"] = [
        r for r in plan["configuration"]["root_module"]["resources"] if r["type"] != "aws_flow_log"
    ]
    failures = refused(plan=plan)
    assert any(f.startswith("checkov CKV2_AWS_11 aws_vpc.main:") for f in failures), failures


# --- parliament --------------------------------------------------------------------------------------


def _with_statement(statement: dict) -> list[dict]:
    documents = fx.policy_documents()
    documents[1]["document"]["Statement"].append(statement)
    return documents


def test_parliament_refuses_an_unknown_action():
    documents = _with_statement({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"})
    failures = refused(documents=documents)
    assert failures == [
        "parliament UNKNOWN_ACTION airflow-dev-dag-sync-task/dag-sync: Unknown action s3:GetObjekt"
    ]


def test_parliament_refuses_an_action_on_the_wrong_resource_type():
    documents = _with_statement({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"})
    failures = refused(documents=documents)
    assert len(failures) == 1 and failures[0].startswith(
        "parliament RESOURCE_MISMATCH airflow-dev-dag-sync-task/dag-sync:"
    ), failures


def test_parliament_refuses_a_malformed_condition():
    documents = _with_statement(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEqualz": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        }
    )
    assert refused(documents=documents) == [
        "parliament UNKNOWN_OPERATOR airflow-dev-dag-sync-task/dag-sync: StringEqualz"
    ]


def test_a_known_action_entry_lists_instead_of_failing(tmp_path):
    known = tmp_path / "known.yml"
    known.write_text("known_actions:\n  - action: s3:GetObjekt\n    reason: test entry\n")
    documents = _with_statement({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"})
    result = gate(documents=documents, parliament_exceptions=str(known))
    assert result["passed"] is True
    assert any("UNKNOWN_ACTION" in line and "(allowed: test entry)" in line for line in result["listed"])


def test_a_skip_without_reason_is_refused(tmp_path):
    skips = tmp_path / "skips.yml"
    skips.write_text("skips:\n  - id: CKV_AWS_18\n    environments: [all]\n")
    with pytest.raises(ModuleFailed, match="one-line reason"):
        gate(checkov_skips=str(skips))


# --- the seed's Rego ---------------------------------------------------------------------------------


def test_the_seed_policy_refuses_a_nat_gateway():
    failures = refused(plan=fx.plan_with([fx.nat_gateway()]))
    assert "rego terraform.analysis.deny aws_nat_gateway.a: NAT Gateway not allowed" in failures


# sha256 of the rego block under "Policy Validation (OPA)" in the seed design
# (../shared/seed/airflow3-ecs-nat-free-design.md), taken when the file was copied.
SEED_BLOCK_SHA256 = "724e9d2e8bd7d207afde236ed496b8fcad97c59d59d9c35321e3f70004cc579e"


def test_the_seed_policy_is_the_seeds_own_text():
    """Byte for byte the seed's block: against the seed document when it is beside the checkout,
    and always against the block's recorded digest."""
    ours = (POLICIES / "seed" / "no-nat.rego").read_bytes()
    assert hashlib.sha256(ours).hexdigest() == SEED_BLOCK_SHA256
    if SEED_DOC.exists():
        text = SEED_DOC.read_text(encoding="utf-8")
        block = text.split("**File:** `infra/policies/no-nat.rego`\n```rego\n", 1)[1].split("```", 1)[0]
        assert ours.decode("utf-8") == block


def test_the_collections_own_policies_run_when_asked():
    plan = fx.plan_with([fx.nat_gateway()])
    failures = refused(plan=plan, audit={"name_prefix": "airflow-dev"})
    assert "rego airflow.audit.deny aws_nat_gateway.a: NAT Gateway not allowed" in failures
    assert json.dumps(failures).count("NAT Gateway not allowed") == 2  # the seed's and the collection's


def test_a_gate_that_cannot_run_its_tools_fails(tmp_path):
    with pytest.raises(ModuleFailed, match="could not run"):
        gate(checkov_executable=str(tmp_path / "no-checkov"))


def test_the_checked_in_lists_load_and_give_reasons():
    """policies/gate/*.yml (each entry with its reason), whatever the fixture's verdict under them."""
    result = gate(checkov_skips=None, report_only=True)
    assert result["summary"]["cfn-lint"]["ignored_rules"] >= 1
    assert all(": " in line for line in result["skipped"]), result["skipped"]


LOGS_CONDITION = {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}


def _key_policy_with(condition: dict) -> list[dict]:
    documents = fx.policy_documents()
    documents[3]["document"]["Statement"].append(
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": condition,
        }
    )
    return documents


def test_a_documented_condition_type_is_listed_not_failed():
    """ArnLike on kms:EncryptionContext:aws:logs:arn (the CloudWatch Logs guide's key policy)."""
    result = gate(documents=_key_policy_with({"ArnLike": LOGS_CONDITION}))
    assert result["passed"] is True, result["failures"]
    assert any("MISMATCHED_TYPE" in line and "(allowed: " in line for line in result["listed"])


def test_the_same_operator_on_another_key_still_fails():
    condition = {"ArnLike": dict(LOGS_CONDITION, **{"kms:CallerAccount": "arn:aws:iam::123456789012:root"})}
    failures = refused(documents=_key_policy_with(condition))
    assert failures == [
        "parliament MISMATCHED_TYPE alias/airflow-dev-s3 key policy: "
        "Type mismatch: ArnLike requires a value of type Arn but given String"
    ]


def test_parliament_refuses_a_condition_key_the_action_does_not_support():
    """kms:Describe* under the Logs encryption-context condition: DescribeKey never carries that key."""
    documents = _key_policy_with({"ArnLike": LOGS_CONDITION})
    documents[3]["document"]["Statement"][-1]["Action"].append("kms:DescribeKey")
    failures = refused(documents=documents)
    assert failures == [
        "parliament UNKNOWN_CONDITION_FOR_ACTION alias/airflow-dev-s3 key policy: "
        "Unknown condition kms:EncryptionContext:aws:logs:arn for action kms:DescribeKey"
    ]


def test_parliament_refuses_a_document_that_is_not_json():
    documents = fx.policy_documents()
    documents[1]["document"] = '{"Version": "2012-10-17", "Statement": ['
    failures = refused(documents=documents)
    assert len(failures) == 1 and failures[0].startswith(
        "parliament MALFORMED_JSON airflow-dev-dag-sync-task/dag-sync: json parsing error"
    ), failures


def test_a_plan_checkov_cannot_read_fails():
    """resource_changes without planned_values: Checkov reads no resource, and says nothing itself."""
    plan = fx.plan()
    del plan["planned_values"]
    failures = refused(plan=plan)
    assert failures == ["checkov no-resource tfplan.json: checkov read none of the plan's 16 resources"]


def test_an_empty_rendering_is_refused_not_passed():
    with pytest.raises(ModuleFailed, match="Nothing to judge"):
        gate(plan=fx.plan_from([]))


def test_a_sid_iam_refuses_fails_only_in_iam_policies():
    """SNS's own default topic policy has Sid __default_statement_ID: fine there, refused by IAM."""
    documents = fx.policy_documents()
    documents[1]["document"]["Statement"][0]["Sid"] = "__default_statement_ID"
    documents[2]["document"]["Statement"][0]["Sid"] = "__default_statement_ID"
    with pytest.raises(ModuleFailed) as failed:
        gate(documents=documents)
    assert failed.value.result["failures"] == [
        "parliament INVALID_SID airflow-dev-dag-sync-task/dag-sync: __default_statement_ID"
    ]
    assert (
        "parliament INVALID_SID s3://airflow-dev-dags bucket policy: __default_statement_ID"
        in (failed.value.result["listed"])
    )
