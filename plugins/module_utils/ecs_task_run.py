# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""One-off ECS tasks (ecs_task_run): where a task's logs are, and whether a STOPPED task succeeded.

Pure functions only (no AWS calls): ``ecs_task_run_api`` starts and waits, the module decides with these.
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.ecs_task_definition import MARKER_PREFIX

# The marker ecs_task_run writes on a revision once a task of it succeeded (once_per_revision).
RUN_SUCCEEDED_TAG = f"{MARKER_PREFIX}run-succeeded"


def log_locations(definition: dict, task_arn: str) -> dict:
    """{container: "awslogs group <g>, stream <prefix>/<container>/<task id>"} for awslogs containers
    (the stream name ECS uses when awslogs-stream-prefix is set; without a prefix the stream is the
    Docker container id, which the task does not report)."""
    task_id = task_arn.rsplit("/", 1)[-1]
    found = {}
    for container in definition.get("containerDefinitions") or []:
        log = container.get("logConfiguration") or {}
        if log.get("logDriver") != "awslogs":
            continue
        options = log.get("options") or {}
        group = options.get("awslogs-group")
        prefix = options.get("awslogs-stream-prefix")
        entry = {"log_group": group, "log_stream": None, "region": options.get("awslogs-region")}
        if prefix:
            entry["log_stream"] = f"{prefix}/{container['name']}/{task_id}"
        found[container["name"]] = entry
    return found


def run_outcome(task: dict, definition: dict) -> dict:
    """Decide a STOPPED task: {succeeded, exit_codes, failed: [{container, exit_code, reason}], ...}.

    A run succeeded when every essential container of the definition stopped with exit code 0.
    An essential container without an exit code (it never started: image pull, secrets, ENI...)
    is a failure.
    """
    essential = {
        c["name"]: c.get("essential", True) is not False for c in definition.get("containerDefinitions") or []
    }
    exit_codes, failed = {}, []
    for container in task.get("containers") or []:
        name = container.get("name")
        code = container.get("exitCode")
        exit_codes[name] = code
        if essential.get(name, True) and code != 0:
            failed.append({"container": name, "exit_code": code, "reason": container.get("reason")})
    for name, is_essential in essential.items():
        if is_essential and name not in exit_codes:
            failed.append({"container": name, "exit_code": None, "reason": "not reported by ECS"})
    return {
        "succeeded": not failed,
        "exit_codes": exit_codes,
        "failed": failed,
        "stopped_reason": task.get("stoppedReason"),
        "stop_code": task.get("stopCode"),
    }


def failure_message(task_arn: str, outcome: dict, logs: dict) -> str:
    parts = []
    for item in outcome["failed"]:
        code = "no exit code" if item["exit_code"] is None else f"exit code {item['exit_code']}"
        text = f"container {item['container']}: {code}"
        if item.get("reason"):
            text += f" ({item['reason']})"
        where = logs.get(item["container"])
        if where and where.get("log_stream"):
            text += f"; logs: group {where['log_group']}, stream {where['log_stream']}"
        elif where:
            text += f"; logs: group {where['log_group']}"
        parts.append(text)
    reason = outcome.get("stopped_reason") or "no reason given"
    return f"ECS task {task_arn} failed: {reason} (stopCode {outcome.get('stop_code')}); " + "; ".join(parts)
