"""destroy.yml after an interrupted first run leaves nothing of the environment: one run stopped
early (phase 1, a KMS key created and not yet aliased) and one late (phase 3, the db-migrate task
started, no service yet), each destroyed with -e confirm=local, then every kind of resource of
tests/integration/stack_inventory.py counted: none left (keys pending deletion and secrets in
their recovery window are gone for AWS's listings, as after any destroy)."""

from __future__ import annotations

import pytest
import stack_inventory
from ansible_run import run_playbook

pytestmark = pytest.mark.slow

# (name, phases run to the end first, (phase playbook, "service Action", N) to stop in)
POINTS = [
    ("early", [], ("playbooks/phase1_foundation.yml", "kms CreateKey", 1)),
    (
        "late",
        ["playbooks/phase1_foundation.yml", "playbooks/phase2_data.yml"],
        ("playbooks/phase3_compute.yml", "ecs RunTask", 1),
    ),
]


def _left() -> dict:
    return {kind: dict(counts) for kind, counts in stack_inventory.inventory().items() if counts}


@pytest.fixture(scope="module")
def destroyed(module_aws_endpoint):
    """Each point in turn in the one emulator: build up to it, stop there, destroy."""
    emulator, out = module_aws_endpoint, {}
    for name, before, (playbook, action, nth) in POINTS:
        for phase in before:
            run = run_playbook(phase)
            assert run.rc == 0, run.output[-6000:]
        emulator.set_faults(stop_after_writes=nth, stop_on=action)
        stopped = run_playbook(playbook)
        stopped_after = emulator.clear_faults()["stopped_after"]
        out[name] = {
            "stopped": (stopped.rc, stopped_after),
            "built": _left(),
            "destroy": run_playbook("playbooks/destroy.yml", extra_vars={"confirm": "local"}),
            "left": _left(),
        }
    return out


@pytest.mark.parametrize("name", [point[0] for point in POINTS])
def test_destroy_removes_what_an_interrupted_run_left(destroyed, name):
    done = destroyed[name]
    rc, stopped_after = done["stopped"]
    assert rc != 0 and stopped_after, stopped_after
    assert done["built"], "the interrupted run built nothing: the test would prove nothing"
    assert done["destroy"].rc == 0, done["destroy"].output[-6000:]
    assert done["left"] == {}
