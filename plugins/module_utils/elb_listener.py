# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""ELBv2 listeners and rules: normalise AWS shapes and desired options, compare, plan.

Pure functions only (no AWS calls): ``elb_listener_api`` reads and writes, the module decides.

Both sides go through the same normalisation, so what AWS fills in by itself never reads as a
difference:
  * ``Order`` is 1..n by position where it was left out;
  * a forward action is compared as its ``ForwardConfig`` (a ``TargetGroupArn`` becomes
    ``{TargetGroups: [{TargetGroupArn, Weight: 1}], TargetGroupStickinessConfig: {Enabled: false}}``;
    AWS returns both forms);
  * OIDC / Cognito defaults are filled (Scope ``openid``, SessionCookieName
    ``AWSELBAuthSessionCookie``, SessionTimeout 604800, OnUnauthenticatedRequest ``authenticate``);
    ``ClientSecret`` / ``UseExistingClientSecret`` are dropped (AWS never returns them);
  * redirect defaults (``#{protocol}``, ``#{port}``, ``#{host}``, ``/#{path}``, ``#{query}``);
  * conditions: ``Values`` and ``PathPatternConfig.Values`` / ``HostHeaderConfig.Values`` are one thing;
  * certificates: the listener's default certificate ARN (DescribeListeners lists only it);
  * an HTTP listener has no SSL policy.
"""

from __future__ import annotations

import copy
import json

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import resulting_tags

SECRET_VERSION_TAG = "pathwai:oidc-client-secret-version"  # noqa: S105 (a tag key, not a secret)
AUTH_DEFAULTS = {
    "Scope": "openid",
    "SessionCookieName": "AWSELBAuthSessionCookie",
    "SessionTimeout": 604800,
    "OnUnauthenticatedRequest": "authenticate",
}
REDIRECT_DEFAULTS = {
    "Protocol": "#{protocol}",
    "Port": "#{port}",
    "Host": "#{host}",
    "Path": "/#{path}",
    "Query": "#{query}",
}
SECRET_KEYS = ("ClientSecret", "UseExistingClientSecret")
CONDITION_CONFIGS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "query-string": "QueryStringConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "source-ip": "SourceIpConfig",
}


def _sorted_json(items: list) -> list:
    return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))


def _non_empty(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", {}, [])}


def normalise_action(action: dict, position: int = 1) -> dict:
    """One action in its canonical form (never carries a client secret)."""
    action = copy.deepcopy(action)
    kind = action["Type"]
    out: dict = {"Type": kind, "Order": int(action.get("Order") or position)}
    if kind == "forward":
        forward = action.get("ForwardConfig") or {}
        groups = forward.get("TargetGroups") or []
        if not groups and action.get("TargetGroupArn"):
            groups = [{"TargetGroupArn": action["TargetGroupArn"]}]
        sticky = dict(forward.get("TargetGroupStickinessConfig") or {"Enabled": False})
        sticky["Enabled"] = bool(sticky.get("Enabled", False))
        if not sticky["Enabled"]:
            sticky.pop("DurationSeconds", None)
        out["ForwardConfig"] = {
            "TargetGroups": sorted(
                ({"TargetGroupArn": g["TargetGroupArn"], "Weight": int(g.get("Weight", 1))} for g in groups),
                key=lambda g: g["TargetGroupArn"],
            ),
            "TargetGroupStickinessConfig": sticky,
        }
    elif kind in ("authenticate-oidc", "authenticate-cognito"):
        key = "AuthenticateOidcConfig" if kind == "authenticate-oidc" else "AuthenticateCognitoConfig"
        config = {k: v for k, v in (action.get(key) or {}).items() if k not in SECRET_KEYS}
        for name, value in AUTH_DEFAULTS.items():
            if config.get(name) in (None, ""):
                config[name] = value
        config["SessionTimeout"] = int(config["SessionTimeout"])
        if not config.get("AuthenticationRequestExtraParams"):
            config.pop("AuthenticationRequestExtraParams", None)
        out[key] = config
    elif kind == "redirect":
        config = _non_empty(action.get("RedirectConfig") or {})
        for name, value in REDIRECT_DEFAULTS.items():
            config.setdefault(name, value)
        out["RedirectConfig"] = config
    elif kind == "fixed-response":
        config = _non_empty(action.get("FixedResponseConfig") or {})
        if "StatusCode" in config:
            config["StatusCode"] = str(config["StatusCode"])
        out["FixedResponseConfig"] = config
    else:  # jwt-validation and later types: compare what was given
        out.update({k: v for k, v in action.items() if k not in ("Type", "Order")})
    return out


def normalise_actions(actions: list | None) -> list:
    return sorted(
        (normalise_action(a, position) for position, a in enumerate(actions or [], start=1)),
        key=lambda a: a["Order"],
    )


def normalise_condition(condition: dict) -> dict:
    field = condition["Field"]
    config_key = CONDITION_CONFIGS.get(field)
    config = dict(condition.get(config_key) or {}) if config_key else {}
    out: dict = {"Field": field}
    if field in ("host-header", "path-pattern"):
        values = list(config.get("Values") or condition.get("Values") or [])
        if values:
            out["Values"] = sorted(values)
        regex = config.get("RegexValues") or condition.get("RegexValues")
        if regex:
            out["RegexValues"] = sorted(regex)
    elif field == "http-header":
        out[config_key] = {
            "HttpHeaderName": config.get("HttpHeaderName"),
            "Values": sorted(config.get("Values") or []),
        }
        if config.get("RegexValues") or condition.get("RegexValues"):
            out[config_key]["RegexValues"] = sorted(config.get("RegexValues") or condition.get("RegexValues"))
    elif field == "query-string":
        out[config_key] = {"Values": _sorted_json([_non_empty(v) for v in config.get("Values") or []])}
    elif config_key:
        out[config_key] = {"Values": sorted(config.get("Values") or condition.get("Values") or [])}
    else:
        out.update({k: v for k, v in condition.items() if k != "Field"})
    return out


def normalise_conditions(conditions: list | None) -> list:
    return _sorted_json([normalise_condition(c) for c in conditions or []])


def normalise_listener(listener: dict | None, tags: dict | None = None) -> dict | None:
    """The comparable view of a DescribeListeners entry (plus its tags)."""
    if not listener:
        return None
    protocol = listener.get("Protocol")
    certificates = listener.get("Certificates") or []
    default = [c for c in certificates if c.get("IsDefault")] or certificates
    return {
        "listener_arn": listener.get("ListenerArn"),
        "load_balancer_arn": listener["LoadBalancerArn"],
        "port": int(listener["Port"]),
        "protocol": protocol,
        "ssl_policy": listener.get("SslPolicy") if protocol == "HTTPS" else None,
        "certificate_arn": default[0]["CertificateArn"] if default and protocol == "HTTPS" else None,
        "default_actions": normalise_actions(listener.get("DefaultActions")),
        "tags": dict(tags or {}),
    }


def normalise_rule(rule: dict) -> dict:
    return {
        "rule_arn": rule.get("RuleArn"),
        "priority": int(rule["Priority"]),
        "conditions": normalise_conditions(rule.get("Conditions")),
        "actions": normalise_actions(rule.get("Actions")),
    }


def normalise_rules(rules: list | None) -> list:
    """Non-default rules, by priority."""
    return sorted(
        (normalise_rule(r) for r in rules or [] if not r.get("IsDefault") and r.get("Priority") != "default"),
        key=lambda r: r["priority"],
    )


def uses_oidc(actions: list | None) -> bool:
    return any(a.get("Type") == "authenticate-oidc" for a in actions or [])


def inline_secrets(params: dict) -> list[str]:
    """Where the options carry a ClientSecret (refused: the module reads it from Secrets Manager)."""
    found = []
    for i, action in enumerate(params.get("default_actions") or []):
        if set(SECRET_KEYS) & set(action.get("AuthenticateOidcConfig") or {}):
            found.append(f"default_actions[{i}]")
    for r, rule in enumerate(params.get("rules") or []):
        for i, action in enumerate(rule.get("actions") or []):
            if set(SECRET_KEYS) & set(action.get("AuthenticateOidcConfig") or {}):
                found.append(f"rules[{r}].actions[{i}]")
    return found


def desired_tags(params: dict, current_tags: dict | None, secret_version: str | None) -> dict:
    """Tags after this run; the secret-version tag follows the secret, whatever purge_tags says."""
    tags = resulting_tags(params, current_tags)
    tags.pop(SECRET_VERSION_TAG, None)
    if secret_version:
        tags[SECRET_VERSION_TAG] = secret_version
    return tags


def desired_listener(params: dict, current: dict | None, secret_version: str | None) -> dict:
    base = current or {}
    protocol = params["protocol"]
    https = protocol == "HTTPS"
    return {
        "listener_arn": base.get("listener_arn"),
        "load_balancer_arn": params["load_balancer_arn"],
        "port": int(params["port"]),
        "protocol": protocol,
        "ssl_policy": (params.get("ssl_policy") or base.get("ssl_policy")) if https else None,
        "certificate_arn": (params.get("certificate_arn") or base.get("certificate_arn")) if https else None,
        "default_actions": normalise_actions(params["default_actions"]),
        "tags": desired_tags(params, base.get("tags"), secret_version),
    }


def desired_rules(params: dict) -> list:
    return sorted(
        (
            {
                "rule_arn": None,
                "priority": int(r["priority"]),
                "conditions": normalise_conditions(r["conditions"]),
                "actions": normalise_actions(r["actions"]),
            }
            for r in params.get("rules") or []
        ),
        key=lambda r: r["priority"],
    )


def listener_changes(current: dict, desired: dict) -> list[str]:
    """The ModifyListener fields that differ (protocol, ssl_policy, certificate_arn, default_actions)."""
    return [
        key
        for key in ("protocol", "ssl_policy", "certificate_arn", "default_actions")
        if current.get(key) != desired.get(key)
    ]


def _same_body(a: dict, b: dict) -> bool:
    return a["conditions"] == b["conditions"] and a["actions"] == b["actions"]


def plan_rules(current: list, desired: list, purge: bool, rotate_oidc: bool = False) -> dict:
    """What turns ``current`` rules into ``desired``: ``{delete: [arn], priorities: [(arn, priority)],
    modify: [(arn, rule)], create: [rule]}`` (empty lists when nothing). With ``rotate_oidc`` every kept
    rule with an authenticate-oidc action is modified too (to send the new client secret)."""
    have = list(current)
    todo = []
    modify = []
    for want in desired:
        same = next((h for h in have if h["priority"] == want["priority"] and _same_body(h, want)), None)
        if same:
            have.remove(same)
            if rotate_oidc and uses_oidc(want["actions"]):
                modify.append((same["rule_arn"], want))
        else:
            todo.append(want)
    priorities, create = [], []
    rest = []
    for want in todo:
        moved = next((h for h in have if _same_body(h, want)), None)
        if moved:
            have.remove(moved)
            priorities.append((moved["rule_arn"], want["priority"]))
            if rotate_oidc and uses_oidc(want["actions"]):
                modify.append((moved["rule_arn"], want))
        else:
            rest.append(want)
    for want in rest:
        slot = next((h for h in have if h["priority"] == want["priority"]), None)
        if slot:
            have.remove(slot)
            modify.append((slot["rule_arn"], want))
        else:
            create.append(want)
    delete = [h["rule_arn"] for h in have] if purge else []
    return {"delete": delete, "priorities": priorities, "modify": modify, "create": create}


def plan_is_empty(plan: dict) -> bool:
    return not any(plan.values())


def apply_rule_plan(current: list, plan: dict) -> list:
    """The rules as they will be once ``plan`` is carried out (for check mode and diffs)."""
    by_arn = {r["rule_arn"]: dict(r) for r in current}
    for arn in plan["delete"]:
        by_arn.pop(arn, None)
    for arn, priority in plan["priorities"]:
        by_arn[arn]["priority"] = priority
    for arn, want in plan["modify"]:
        by_arn[arn] = {**want, "rule_arn": arn}
    rules = list(by_arn.values()) + [dict(r) for r in plan["create"]]
    return sorted(rules, key=lambda r: r["priority"])


def with_secret(actions: list, secret: str | None) -> list:
    """API ``Actions`` from normalised ones: a new ``secret``, or UseExistingClientSecret when None."""
    out = copy.deepcopy(actions)
    for action in out:
        if action["Type"] == "authenticate-oidc":
            if secret is None:
                action["AuthenticateOidcConfig"]["UseExistingClientSecret"] = True
            else:
                action["AuthenticateOidcConfig"]["ClientSecret"] = secret
    return out


def request_conditions(conditions: list) -> list:
    """API ``Conditions`` from normalised ones (host/path values through their Config)."""
    out = []
    for condition in conditions:
        field = condition["Field"]
        if field in ("host-header", "path-pattern"):
            config = {k: condition[k] for k in ("Values", "RegexValues") if condition.get(k)}
            out.append({"Field": field, CONDITION_CONFIGS[field]: config})
        else:
            out.append(copy.deepcopy(condition))
    return out
