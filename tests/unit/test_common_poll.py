"""common.poll, the one wait every module uses: its delays, its deadline, and what WaitError says."""

from __future__ import annotations

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import WaitError, poll


class Clock:
    """A clock that moves only when the poll sleeps."""

    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_backoff_doubles_up_to_the_cap_and_returns_the_done_value():
    clock, values = Clock(), iter(["a", "b", "c", "d", "e", "done"])
    found = poll(lambda: next(values), lambda v: v == "done", 600, "x", sleep=clock.sleep, clock=clock)
    assert found == "done"
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 15.0]


def test_equal_delay_and_cap_poll_at_a_fixed_interval_within_the_jitter():
    clock, values = Clock(), iter([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    poll(
        lambda: next(values),
        lambda v: v == 11,
        600,
        "x",
        sleep=clock.sleep,
        clock=clock,
        delay=6,
        max_delay=6,
        jitter=0.2,
    )
    assert len(clock.slept) == 10
    assert all(4.8 <= s <= 7.2 for s in clock.slept)
    assert len(set(clock.slept)) > 1  # jittered, not a fixed 6 s


def test_timeout_names_what_and_the_last_state_and_never_sleeps_past_the_deadline():
    clock = Clock()
    with pytest.raises(WaitError) as raised:
        poll(
            lambda: {"Status": "modifying"},
            lambda v: False,
            10,
            "group g to become available",
            sleep=clock.sleep,
            clock=clock,
            describe=lambda v: f"last status: {v['Status']}",
        )
    assert str(raised.value) == "group g to become available: timed out after 10 s (last status: modifying)"
    assert raised.value.last == {"Status": "modifying"}
    assert clock.slept == [1.0, 2.0, 4.0]  # a fourth sleep (8 s) would end past the deadline
    assert clock.now <= 10


def test_a_failed_state_stops_the_wait_at_once():
    clock = Clock()
    with pytest.raises(WaitError, match=r"^x: entered a failed state$") as raised:
        poll(
            lambda: "error",
            lambda v: False,
            600,
            "x",
            failed=lambda v: v == "error",
            sleep=clock.sleep,
            clock=clock,
        )
    assert raised.value.last == "error"
    assert clock.slept == []
