#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: cloudwatch_metric_alarms
short_description: Converge a list of CloudWatch metric alarms in one run
version_added: 0.1.0
description:
  - Creates or updates every single-metric CloudWatch alarm in O(alarms), and optionally deletes the alarms whose
    name starts with O(name_prefix) that are not in the list.
  - Reads the current alarms with one paginated C(DescribeAlarms) (by O(name_prefix), else by C(AlarmNames) in
    batches of 100) and calls C(PutMetricAlarm) only for the alarms that are missing or differ. Every field
    C(DescribeAlarms) returns for a single-metric alarm is compared, normalised - dimensions regardless of
    order, actions as sets, an unset unit, C(TreatMissingData) (default C(missing)) and C(DatapointsToAlarm)
    (default the evaluation periods) as AWS reports them. An alarm that is a metric-math or anomaly-detection
    alarm on AWS is replaced by the single-metric definition.
  - C(PutMetricAlarm) replaces the whole definition of an existing alarm; the alarm state is kept.
  - Written because M(amazon.aws.cloudwatch_metric_alarm) manages one alarm per module run, so a list of alarms
    needs a loop that starts one process and makes two C(DescribeAlarms) calls per alarm. The monitoring role's
    14 alarms took 14 module runs and 28 C(DescribeAlarms) calls (about 10 s) on a run that changed nothing;
    with this module they take one run and one C(DescribeAlarms) call.
  - With O(tags), new alarms get the tags in their C(PutMetricAlarm) call, and the tags of existing alarms are
    read with C(ListTagsForResource) (one call per alarm) and repaired with C(TagResource) /
    C(UntagResource). Without O(tags) no tag is read or written.
  - Supports check mode (nothing is written; RV(changed) is predicted) and diff mode (the alarms that change,
    before and after).
author:
  - pathwai platform engineering
options:
  alarms:
    description: The alarms that must exist, one entry per alarm.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The alarm name (unique in the account and region)., type: str, required: true}
      namespace: {description: The metric namespace., type: str, required: true}
      metric_name: {description: The metric name., type: str, required: true}
      dimensions:
        description: The metric's dimensions, name to value (their order does not matter).
        type: dict
        default: {}
      statistic:
        description: The statistic. Required unless O(alarms[].extended_statistic) is set.
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
      extended_statistic: {description: A percentile statistic such as C(p90)., type: str}
      comparison:
        description: The comparison operator.
        type: str
        required: true
        choices:
          - GreaterThanThreshold
          - GreaterThanOrEqualToThreshold
          - LessThanThreshold
          - LessThanOrEqualToThreshold
      threshold: {description: The threshold., type: float, required: true}
      period: {description: Seconds per evaluation period (10, 30 or a multiple of 60)., type: int, required: true}
      evaluation_periods: {description: The number of periods evaluated., type: int, required: true}
      datapoints_to_alarm:
        description: Breaching data points (M out of N) that trigger the alarm. Default O(alarms[].evaluation_periods).
        type: int
      treat_missing_data:
        description: How missing data points are treated.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: missing
      evaluate_low_sample_count_percentile:
        description: For percentile statistics, C(evaluate) or C(ignore).
        type: str
        choices: [evaluate, ignore]
      description: {description: The alarm description., type: str, default: ""}
      alarm_actions: {description: ARNs called on ALARM., type: list, elements: str, default: []}
      ok_actions: {description: ARNs called on OK., type: list, elements: str, default: []}
      insufficient_data_actions:
        description: ARNs called on INSUFFICIENT_DATA.
        type: list
        elements: str
        default: []
      unit: {description: The metric unit (unset matches any unit)., type: str}
      actions_enabled: {description: Whether the actions run., type: bool, default: true}
  name_prefix:
    description:
      - The prefix every alarm name of O(alarms) starts with. The current alarms are then read with one
        paginated C(DescribeAlarms) by prefix, which is also what O(purge) needs.
      - Without it the alarms are read by name, in batches of 100.
    type: str
  purge:
    description:
      - Delete the metric alarms whose name starts with O(name_prefix) and that are not in O(alarms) (for
        example an alarm whose row was disabled). Off by default, so alarms created by hand or by another tool
        under the same prefix are left alone; requires O(name_prefix).
    type: bool
    default: false
  tags:
    description:
      - Tags every alarm must have. Omit to neither read nor change tags (and create the alarms untagged).
    type: dict
  purge_tags:
    description: Remove tags not in O(tags) (only when O(tags) is given; C(aws:) tags are never removed).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The monitoring role's alarms, in one run
  pathwai.airflow_ecs.cloudwatch_metric_alarms:
    name_prefix: airflow-prod-
    alarms:
      - name: airflow-prod-scheduler-heartbeat
        namespace: Airflow
        metric_name: SchedulerHeartbeat
        dimensions: {Environment: prod}
        statistic: Sum
        comparison: LessThanThreshold
        threshold: 1
        period: 60
        evaluation_periods: 2
        treat_missing_data: breaching
        description: Scheduler heartbeat missing for 2 minutes
        alarm_actions: [arn:aws:sns:us-east-1:123456789012:airflow-prod-alerts]
        ok_actions: [arn:aws:sns:us-east-1:123456789012:airflow-prod-alerts]

- name: Same list, and delete the alarms under the prefix that are no longer listed
  pathwai.airflow_ecs.cloudwatch_metric_alarms:
    name_prefix: airflow-prod-
    alarms: "{{ alarm_list }}"
    purge: true
    tags: {airflow:env: prod}
"""

RETURN = r"""
alarms:
  description: The alarms of O(alarms) after the run (as they would be, in check mode), in the given order.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: The alarm name., type: str}
    arn: {description: The alarm ARN (null for an alarm not created yet in check mode)., type: str}
    namespace: {description: The namespace., type: str}
    metric_name: {description: The metric., type: str}
    dimensions: {description: Dimension name to value., type: dict}
    statistic: {description: The statistic., type: str}
    comparison: {description: The comparison operator., type: str}
    threshold: {description: The threshold., type: float}
    period: {description: The period in seconds., type: int}
    evaluation_periods: {description: The periods evaluated., type: int}
    datapoints_to_alarm: {description: Breaching points that trigger., type: int}
    treat_missing_data: {description: Missing-data treatment., type: str}
    description: {description: The description., type: str}
    alarm_actions: {description: ALARM actions (sorted)., type: list, elements: str}
    ok_actions: {description: OK actions (sorted)., type: list, elements: str}
    insufficient_data_actions: {description: INSUFFICIENT_DATA actions (sorted)., type: list, elements: str}
    unit: {description: The unit or null., type: str}
    actions_enabled: {description: Whether actions run., type: bool}
created: {description: Names of the alarms created., returned: always, type: list, elements: str}
updated:
  description: Name to the fields that differed, for the alarms replaced by C(PutMetricAlarm).
  returned: always
  type: dict
  sample: {"airflow-prod-rds-connections": ["threshold"]}
retagged: {description: Names of the alarms whose tags were repaired., returned: always, type: list, elements: str}
deleted: {description: Names of the alarms deleted by O(purge)., returned: always, type: list, elements: str}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import cloudwatch_metric_alarms_api as api
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.cloudwatch_metric_alarms import (
    desired,
    normalise,
    plan,
    put_request,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)

ALARM_SPEC = dict(
    name=dict(type="str", required=True),
    namespace=dict(type="str", required=True),
    metric_name=dict(type="str", required=True),
    dimensions=dict(type="dict", default={}),
    statistic=dict(type="str", choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
    extended_statistic=dict(type="str"),
    comparison=dict(
        type="str",
        required=True,
        choices=[
            "GreaterThanThreshold",
            "GreaterThanOrEqualToThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ],
    ),
    threshold=dict(type="float", required=True),
    period=dict(type="int", required=True),
    evaluation_periods=dict(type="int", required=True),
    datapoints_to_alarm=dict(type="int"),
    treat_missing_data=dict(
        type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="missing"
    ),
    evaluate_low_sample_count_percentile=dict(type="str", choices=["evaluate", "ignore"]),
    description=dict(type="str", default=""),
    alarm_actions=dict(type="list", elements="str", default=[]),
    ok_actions=dict(type="list", elements="str", default=[]),
    insufficient_data_actions=dict(type="list", elements="str", default=[]),
    unit=dict(type="str"),
    actions_enabled=dict(type="bool", default=True),
)


def _public(view: dict) -> dict:
    return {k: v for k, v in view.items() if k != "metric_math" and (k != "extended_statistic" or v)}


def check_params(module) -> None:
    params = module.params
    names = [a["name"] for a in params["alarms"]]
    dupes = sorted({n for n in names if names.count(n) > 1})
    problems = [f"alarm {n} is listed more than once" for n in dupes]
    prefix = params["name_prefix"]
    if prefix:
        problems += [
            f"alarm {n} does not start with name_prefix {prefix}" for n in names if not n.startswith(prefix)
        ]
    elif params["purge"]:
        problems.append("purge requires name_prefix")
    for alarm in params["alarms"]:
        if bool(alarm["statistic"]) == bool(alarm["extended_statistic"]):
            problems.append(f"alarm {alarm['name']}: set exactly one of statistic and extended_statistic")
    if problems:
        module.fail_json(msg="; ".join(problems))


def converge(module, client) -> dict:
    params = module.params
    wanted = [desired(a) for a in params["alarms"]]
    found = api.describe(client, params["name_prefix"], [w["name"] for w in wanted])
    current = {a["AlarmName"]: normalise(a) for a in found}
    todo = plan(wanted, current, params["name_prefix"], params["purge"])
    tags = params["tags"]

    retag = {}
    if tags is not None:
        for have in todo["same"] + [before for before, _after, _fields in todo["update"]]:
            to_set, to_remove = api.tag_plan(api.read_tags(client, have["arn"]), tags, params["purge_tags"])
            if to_set or to_remove:
                retag[have["name"]] = (have["arn"], to_set, to_remove)

    if not module.check_mode:
        for view in todo["create"]:
            api.put(client, put_request(view, tags))
        for _before, after, _fields in todo["update"]:
            api.put(client, put_request(after))
        for arn, to_set, to_remove in retag.values():
            api.apply_tags(client, arn, to_set, to_remove)
        if todo["delete"]:
            api.delete(client, [d["name"] for d in todo["delete"]])

    created = {v["name"] for v in todo["create"]}
    if created and not module.check_mode:
        # The ARNs of the new alarms (one more paginated read, only when something was created).
        current.update(
            {
                a["AlarmName"]: normalise(a)
                for a in api.describe(client, params["name_prefix"], sorted(created))
                if a["AlarmName"] in created
            }
        )
    after_views = [{**view, "arn": (current.get(view["name"]) or {}).get("arn")} for view in wanted]
    changed_names = created | {after["name"] for _b, after, _f in todo["update"]} | set(retag)
    before = {}
    after = {}
    for _b, view, _f in todo["update"]:
        before[view["name"]] = _public(_b)
    for name in retag:
        before.setdefault(name, _public(current[name]))
    for view in after_views:
        if view["name"] in changed_names:
            after[view["name"]] = _public(view)
    for gone in todo["delete"]:
        before[gone["name"]] = _public(gone)
    return dict(
        changed=bool(changed_names or todo["delete"]),
        alarms=[_public(v) for v in after_views],
        created=sorted(created),
        updated={after["name"]: fields for _b, after, fields in todo["update"]},
        retagged=sorted(retag),
        deleted=[d["name"] for d in todo["delete"]],
        diff=diff_result(before, after),
    )


def main():
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", required=True, options=ALARM_SPEC),
        name_prefix=dict(type="str"),
        purge=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_params(module)
    client = retrying_client(module, "cloudwatch")
    run_module(module, lambda: converge(module, client), "converge the CloudWatch alarms")


if __name__ == "__main__":
    main()
