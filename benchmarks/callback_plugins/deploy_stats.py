"""Callback for benchmarks/deploy_bench.py: seconds per task and module runs, written as JSON.

Enabled by the benchmark only (ANSIBLE_CALLBACK_PLUGINS + ANSIBLE_CALLBACKS_ENABLED=deploy_stats);
the file is $DEPLOY_STATS_FILE. A module run is one execution of a module on the host: each loop
item counts once; actions that run on the controller only (set_fact, assert, include_role, ...) and
skipped tasks do not count.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: deploy_stats
type: aggregate
short_description: seconds per task and module runs, as JSON (benchmarks only)
description: Writes the task timings and the module-run count of a playbook run to $DEPLOY_STATS_FILE.
requirements: [enabled in configuration]
"""

CONTROLLER_ONLY = {
    "set_fact",
    "assert",
    "debug",
    "fail",
    "meta",
    "include_role",
    "include_tasks",
    "import_role",
    "import_tasks",
    "validate_argument_spec",
    "set_stats",
    "include_vars",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "deploy_stats"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.tasks: list[dict] = []
        self.module_runs = 0
        self.current: dict | None = None

    def _close(self) -> None:
        if self.current is not None:
            self.current["seconds"] = round(time.monotonic() - self.current.pop("_began"), 3)
            self.tasks.append(self.current)
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        role = task._role.get_name() if task._role else ""
        name = task.get_name()
        self.current = {
            "task": f"{role} : {name}" if role and not name.startswith(role) else name,
            "_began": time.monotonic(),
        }

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def _count(self, result, item: bool) -> None:
        action = result._task.action.rsplit(".", 1)[-1]
        if action in CONTROLLER_ONLY:
            return
        if not item and "results" in result._result:
            return  # a loop's summary: its items were counted one by one
        self.module_runs += 1

    def v2_runner_on_ok(self, result):
        self._count(result, item=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, item=False)

    def v2_runner_item_on_ok(self, result):
        self._count(result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._count(result, item=True)

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("DEPLOY_STATS_FILE")
        if path:
            with open(path, "w") as out:
                json.dump({"module_runs": self.module_runs, "tasks": self.tasks}, out, indent=1)
