"""The DAG sync in event mode, from each inventory's variables as ansible-playbook templates them
(the plan's policy context, built like the compute role's): its container starts with the data role's
DAG-events queue and the reconcile interval, its task role may receive and delete on that queue only;
airflow_dags_delivery=poll takes both away. No AWS call."""

from __future__ import annotations

import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.filter import compute as cf
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_compute as pc
from plan_support import ENVS, inventory_vars


def _dag_sync(v: dict) -> tuple[dict, list[dict]]:
    stand = pc._Stand(v)
    ctx = pc.policy_context(v, stand)
    (container,) = cf.dag_sync_task_definition(pc.task_context(v, stand, ctx))["container_definitions"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    return environment, cf.task_role_policies(ctx)[cf.DAG_SYNC]["Statement"]


@pytest.mark.parametrize("env", ENVS)
def test_event_mode_polls_the_dag_events_queue_only(env):
    v = inventory_vars(env)
    assert v["compute_dags_delivery"] == "event"
    environment, statements = _dag_sync(v)
    queue = f"{v['compute_name_prefix']}-dag-events"
    assert environment["DAG_SYNC_QUEUE_URL"].endswith(f".amazonaws.com/{pc._account(v)}/{queue}")
    assert int(environment["DAG_SYNC_RECONCILE_INTERVAL"]) == v["compute_dag_sync_reconcile_interval"]
    sqs = [s for s in statements if any(a.startswith("sqs:") for a in s["Action"])]
    assert sqs == [
        {
            "Sid": "DagEvents",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
            "Resource": f"arn:aws:sqs:{v['compute_region']}:{pc._account(v)}:{queue}",
        }
    ]


def test_poll_mode_has_no_queue_and_no_sqs_grant():
    v = inventory_vars("dev")
    v["compute_dags_delivery"] = "poll"
    environment, statements = _dag_sync(v)
    assert "DAG_SYNC_QUEUE_URL" not in environment and "DAG_SYNC_RECONCILE_INTERVAL" not in environment
    assert not [s for s in statements if any(a.startswith("sqs:") for a in s["Action"])]


def _alarms_and_widgets(v: dict) -> tuple[dict, list[str]]:
    from ansible_collections.pathwai.airflow_ecs.plugins.filter.monitoring import dashboard_body
    from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import plan_monitoring as pmon

    alarms = {a["name"]: a for a in pmon.alarms(v)}
    titles = [w["properties"]["title"] for w in dashboard_body(pmon.monitoring_context(v))["widgets"]]
    return alarms, titles


def test_event_mode_alarms_on_the_queue_age_and_the_dead_letters():
    v = inventory_vars("prod")
    alarms, titles = _alarms_and_widgets(v)
    prefix = v["monitoring_name_prefix"]
    age, dead = alarms[f"{prefix}-dag-events-age"], alarms[f"{prefix}-dag-events-dead-letters"]
    assert (age["namespace"], age["metric_name"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert age["dimensions"] == {"QueueName": f"{prefix}-dag-events"} and age["threshold"] == 300
    assert dead["metric_name"] == "ApproximateNumberOfMessagesVisible" and dead["threshold"] == 0
    assert dead["dimensions"] == {"QueueName": f"{prefix}-dag-events-dlq"} and dead["alarm_actions"]
    assert "DAG events: oldest message age (s), dead-lettered messages" in titles

    v["monitoring_dags_delivery"] = "poll"
    alarms, titles = _alarms_and_widgets(v)
    assert not [name for name in alarms if "dag-events" in name]
    assert not [t for t in titles if t.startswith("DAG events")]
