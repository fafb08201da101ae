# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""CloudWatch metric alarms: the comparable view of an alarm, desired vs current, and the
PutMetricAlarm request (pure functions, no AWS call)."""

from __future__ import annotations

# Every field of a single-metric alarm that PutMetricAlarm sets and DescribeAlarms returns.
FIELDS = (
    "namespace",
    "metric_name",
    "dimensions",
    "statistic",
    "extended_statistic",
    "comparison",
    "threshold",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "treat_missing_data",
    "evaluate_low_sample_count_percentile",
    "description",
    "alarm_actions",
    "ok_actions",
    "insufficient_data_actions",
    "unit",
    "actions_enabled",
)


def normalise(alarm: dict | None) -> dict | None:
    """A DescribeAlarms MetricAlarms entry -> the view the module compares and returns.

    Dimensions become a dict (their order does not matter to CloudWatch), actions sorted lists
    (sets), absent optional fields None, an absent TreatMissingData ``missing`` (AWS's default)
    and an absent DatapointsToAlarm the evaluation periods (N out of N, AWS's default)."""
    if not alarm:
        return None
    periods = alarm.get("EvaluationPeriods")
    view = {
        "name": alarm["AlarmName"],
        "arn": alarm.get("AlarmArn"),
        "namespace": alarm.get("Namespace"),
        "metric_name": alarm.get("MetricName"),
        "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
        "statistic": alarm.get("Statistic"),
        "extended_statistic": alarm.get("ExtendedStatistic"),
        "comparison": alarm.get("ComparisonOperator"),
        "threshold": float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None,
        "period": alarm.get("Period"),
        "evaluation_periods": periods,
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm") or periods,
        "treat_missing_data": alarm.get("TreatMissingData") or "missing",
        "evaluate_low_sample_count_percentile": alarm.get("EvaluateLowSampleCountPercentile") or None,
        "description": alarm.get("AlarmDescription") or "",
        "alarm_actions": sorted(set(alarm.get("AlarmActions") or [])),
        "ok_actions": sorted(set(alarm.get("OKActions") or [])),
        "insufficient_data_actions": sorted(set(alarm.get("InsufficientDataActions") or [])),
        "unit": alarm.get("Unit") or None,
        "actions_enabled": alarm.get("ActionsEnabled", True) is not False,
        # A metric-math alarm (Metrics) or an anomaly band (ThresholdMetricId) is never equal to
        # a single-metric definition: keep the marker so the comparison sees the difference.
        "metric_math": bool(alarm.get("Metrics")) or bool(alarm.get("ThresholdMetricId")),
    }
    return view


def desired(spec: dict) -> dict:
    """One entry of the module's ``alarms`` option -> the same view as ``normalise``."""
    periods = int(spec["evaluation_periods"])
    return {
        "name": spec["name"],
        "namespace": spec["namespace"],
        "metric_name": spec["metric_name"],
        "dimensions": {str(k): str(v) for k, v in (spec.get("dimensions") or {}).items()},
        "statistic": spec.get("statistic") if not spec.get("extended_statistic") else None,
        "extended_statistic": spec.get("extended_statistic") or None,
        "comparison": spec["comparison"],
        "threshold": float(spec["threshold"]),
        "period": int(spec["period"]),
        "evaluation_periods": periods,
        "datapoints_to_alarm": int(spec.get("datapoints_to_alarm") or periods),
        "treat_missing_data": spec.get("treat_missing_data") or "missing",
        "evaluate_low_sample_count_percentile": spec.get("evaluate_low_sample_count_percentile") or None,
        "description": spec.get("description") or "",
        "alarm_actions": sorted(set(spec.get("alarm_actions") or [])),
        "ok_actions": sorted(set(spec.get("ok_actions") or [])),
        "insufficient_data_actions": sorted(set(spec.get("insufficient_data_actions") or [])),
        "unit": spec.get("unit") or None,
        "actions_enabled": spec.get("actions_enabled", True) is not False,
        "metric_math": False,
    }


def differences(current: dict, wanted: dict) -> list[str]:
    """The fields (of FIELDS) in which ``current`` differs from ``wanted``."""
    fields = [f for f in FIELDS if current.get(f) != wanted.get(f)]
    if current.get("metric_math"):
        fields.append("metric_math")
    return fields


def put_request(wanted: dict, tags: dict | None = None) -> dict:
    """The PutMetricAlarm parameters for ``wanted`` (a ``desired`` view); ``tags`` on create."""
    request = {
        "AlarmName": wanted["name"],
        "Namespace": wanted["namespace"],
        "MetricName": wanted["metric_name"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(wanted["dimensions"].items())],
        "ComparisonOperator": wanted["comparison"],
        "Threshold": wanted["threshold"],
        "Period": wanted["period"],
        "EvaluationPeriods": wanted["evaluation_periods"],
        "DatapointsToAlarm": wanted["datapoints_to_alarm"],
        "TreatMissingData": wanted["treat_missing_data"],
        "AlarmDescription": wanted["description"],
        "AlarmActions": wanted["alarm_actions"],
        "OKActions": wanted["ok_actions"],
        "InsufficientDataActions": wanted["insufficient_data_actions"],
        "ActionsEnabled": wanted["actions_enabled"],
    }
    if wanted["extended_statistic"]:
        request["ExtendedStatistic"] = wanted["extended_statistic"]
    else:
        request["Statistic"] = wanted["statistic"]
    if wanted["evaluate_low_sample_count_percentile"]:
        request["EvaluateLowSampleCountPercentile"] = wanted["evaluate_low_sample_count_percentile"]
    if wanted["unit"]:
        request["Unit"] = wanted["unit"]
    if tags:
        request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]
    return request


def plan(wanted: list[dict], current: dict, prefix: str | None, purge: bool) -> dict:
    """What to do: {create: [view], update: [(before, after, fields)], delete: [view], same: [view]}.

    ``current`` maps alarm name -> normalised alarm (as found). With ``purge``, alarms of
    ``current`` whose name starts with ``prefix`` and that are not wanted are deleted."""
    out = {"create": [], "update": [], "delete": [], "same": []}
    names = set()
    for view in wanted:
        names.add(view["name"])
        have = current.get(view["name"])
        if have is None:
            out["create"].append(view)
            continue
        fields = differences(have, view)
        if fields:
            out["update"].append((have, view, fields))
        else:
            out["same"].append(have)
    if purge and prefix:
        out["delete"] = [
            have for name, have in sorted(current.items()) if name.startswith(prefix) and name not in names
        ]
    return out
