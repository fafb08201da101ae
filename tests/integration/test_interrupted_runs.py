"""A first run stopped at many points, then run again, converges: nothing duplicated, nothing
orphaned, generated secrets kept, the audit passing, and a further run changes nothing. And
destroy.yml removes what an interrupted first run left.

The run is stopped by the emulator (local_aws/extensions/faults.py, `stop_on` + `stop_after_writes`:
right after the N-th answered call of one action, every later request is refused as AWS would
never answer, so the run fails at its next call). One emulator carries a whole first run through
the four phase playbooks; within each phase the run is stopped at each point in turn (each re-run
goes further than the last and is stopped at the next point), then the phase is run to the end
before the next phase starts, so every stop point's leftovers must be adopted by a later run."""

from __future__ import annotations

import time

import pytest
import stack_inventory
from ansible_run import run_playbook

pytestmark = pytest.mark.slow

PHASES = {
    1: "playbooks/phase1_foundation.yml",
    2: "playbooks/phase2_data.yml",
    3: "playbooks/phase3_compute.yml",
    4: "playbooks/phase4_integration.yml",
}
# (phase, "service Action", N): stop right after the N-th such call of the run. In phase order;
# within a phase each is a call the previous point's re-run still has to make.
STOP_POINTS = [
    # a customer-managed key created, its alias not yet (a billed key no lookup finds by alias)
    (1, "kms CreateKey", 2),
    # a security group created, its rules not yet
    (1, "ec2 CreateSecurityGroup", 3),
    # an interface endpoint created (ClientToken), the next ones not yet
    (1, "ec2 CreateVpcEndpoint", 2),
    # the first generated secret stored; the run's other secrets not yet
    (2, "secretsmanager CreateSecret", 1),
    # the RDS instance created, the run stopped while waiting for it to be available
    (2, "rds CreateDBInstance", 1),
    # the Redis replication group created, the run stopped while waiting for it
    (2, "elasticache CreateReplicationGroup", 1),
    # an imported certificate, its tags not yet (AddTagsToCertificate is a second call)
    (3, "acm ImportCertificate", 1),
    # a task definition revision registered, no service updated to it
    (3, "ecs RegisterTaskDefinition", 1),
    # the db-migrate task started, the run stopped while it runs
    (3, "ecs RunTask", 1),
    # the alert topic made, the alarms not yet
    (4, "monitoring PutMetricAlarm", 1),
]


def _id(point) -> str:
    return f"phase{point[0]}-{point[1].replace(' ', '-')}-{point[2]}"


def _interrupted(emulator, playbook: str, action: str, nth: int) -> dict:
    emulator.set_faults(stop_after_writes=nth, stop_on=action)
    run = run_playbook(playbook)
    return {"rc": run.rc, "stopped_after": emulator.clear_faults()["stopped_after"], "output": run.output}


@pytest.fixture(scope="module")
def interrupted_stack(module_aws_endpoint):
    """The first run, stopped at every STOP_POINT and completed phase by phase; then a further run."""
    emulator = module_aws_endpoint
    began = time.monotonic()
    out = {"points": {}, "completed": {}, "secrets_seen": {}}
    for phase, playbook in PHASES.items():
        for point in [p for p in STOP_POINTS if p[0] == phase]:
            out["points"][_id(point)] = _interrupted(emulator, playbook, point[1], point[2])
            for name, value in stack_inventory.secret_values().items():
                out["secrets_seen"].setdefault(name, value)
        out["completed"][phase] = run_playbook(playbook)
        assert out["completed"][phase].rc == 0, out["completed"][phase].output[-6000:]
    out["inventory"] = stack_inventory.inventory()
    out["secrets"] = stack_inventory.secret_values()
    out["audit"] = run_playbook("playbooks/validate.yml", extra_vars={"validate_gate": False})
    out["again"] = [run_playbook(playbook) for playbook in PHASES.values()]
    out["seconds"] = round(time.monotonic() - began, 1)
    return out


@pytest.mark.parametrize("point", STOP_POINTS, ids=_id)
def test_run_was_stopped_at_the_point(interrupted_stack, point):
    done = interrupted_stack["points"][_id(point)]
    assert done["stopped_after"] and done["stopped_after"].endswith(point[1]), done["output"][-3000:]
    assert done["rc"] != 0, done["output"][-3000:]


def test_rerun_converges_without_duplicates_or_orphans(interrupted_stack):
    found = interrupted_stack["inventory"]
    seconds = interrupted_stack["seconds"]
    print(f"\n{stack_inventory.total(found)} resources; interrupted stack built and re-run in {seconds} s")
    assert stack_inventory.problems(found) == {}
    # every kind was built (a kind counted empty would prove nothing)
    assert {kind for kind, counts in found.items() if not counts} == set()


def test_generated_secrets_kept_across_runs(interrupted_stack):
    seen, final = interrupted_stack["secrets_seen"], interrupted_stack["secrets"]
    assert seen, "no secret existed after any interrupted run"
    changed = sorted(name for name, value in seen.items() if final.get(name) != value)
    assert changed == []


def test_audit_passes(interrupted_stack):
    audit = interrupted_stack["audit"]
    assert audit.rc == 0, audit.output[-6000:]


def test_further_run_changes_nothing(interrupted_stack):
    for run in interrupted_stack["again"]:
        assert run.rc == 0, run.output[-6000:]
        assert run.changed == 0, run.output[-6000:]
