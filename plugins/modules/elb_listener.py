#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: elb_listener
short_description: Manage one ALB listener, its rules and its OIDC client secret
version_added: 0.1.0
description:
  - Creates, updates or deletes one listener of an Application Load Balancer, identified by
    O(load_balancer_arn) and O(port), together with its rules.
  - Why not the stock modules. C(amazon.aws.elb_application_lb) crashes on a re-run when a listener has
    an C(authenticate-oidc) action (C('<' not supported between instances of 'NoneType' and 'dict'),
    amazon.aws issue 2537), rewrites a forward listener on every run when C(Order) is given, deletes
    the listeners it is not told about (O(purge_listeners) defaults to true) and needs the OIDC client
    secret as a task argument. community.aws 10 has no C(elb_listener) module.
  - Actions and conditions are given in the ELBv2 API shape, exactly as boto3 takes them. Both the
    desired and the current listener are normalised the same way before they are compared (C(Order)
    1..n, C(TargetGroupArn) as C(ForwardConfig), OIDC defaults, condition C(Values) vs C(PathPatternConfig),
    the default certificate), so what AWS fills in by itself is not a change. Only what differs is
    written (C(ModifyListener) with the fields that differ, C(CreateRule), C(ModifyRule),
    C(SetRulePriorities), C(DeleteRule), C(AddTags)/C(RemoveTags)).
  - The OIDC client secret never passes through Ansible. The module reads it from Secrets Manager
    (O(oidc_client_secret_arn), optionally one JSON field O(oidc_client_secret_key)) only when it must
    send it, and records the secret's C(VersionId) in the listener tag
    C(pathwai:oidc-client-secret-version). AWS never returns the secret, so a changed secret is found
    by that tag; a new current version leads to one C(ModifyListener) with the new secret (and a
    C(ModifyRule) for each rule with an C(authenticate-oidc) action); otherwise a needed modify
    sends C(UseExistingClientSecret=true). The value is in no result, diff or log.
  - Supports check mode and diff mode.
  - Calls used are C(DescribeListeners), C(DescribeRules), C(DescribeTags) (ELBv2) and
    C(DescribeSecret), C(GetSecretValue) (Secrets Manager), plus the writes above and C(CreateListener),
    C(DeleteListener).
author:
  - pathwai platform engineering
options:
  load_balancer_arn:
    description: The load balancer.
    type: str
    required: true
  port:
    description: The listener port (the listener's identity on the load balancer).
    type: int
    required: true
  protocol:
    description: The listener protocol.
    type: str
    choices: [HTTP, HTTPS]
    default: HTTPS
  ssl_policy:
    description: The security policy of an HTTPS listener, for example C(ELBSecurityPolicy-TLS13-1-2-2021-06).
    type: str
  certificate_arn:
    description: The default certificate of an HTTPS listener (required to create one).
    type: str
  default_actions:
    description:
      - The default actions, as boto3 takes them (C(Type), C(Order), C(TargetGroupArn), C(ForwardConfig),
        C(AuthenticateOidcConfig), C(FixedResponseConfig), C(RedirectConfig)).
      - C(AuthenticateOidcConfig) takes C(Issuer), C(AuthorizationEndpoint), C(TokenEndpoint),
        C(UserInfoEndpoint), C(ClientId), C(Scope), C(SessionCookieName), C(SessionTimeout),
        C(OnUnauthenticatedRequest), C(AuthenticationRequestExtraParams) but never C(ClientSecret);
        see O(oidc_client_secret_arn).
      - Required when O(state=present).
    type: list
    elements: dict
  rules:
    description:
      - The listener's rules (other than the default rule). Omit to leave the rules alone.
    type: list
    elements: dict
    suboptions:
      priority: {description: The rule priority (1-50000)., type: int, required: true}
      conditions: {description: Conditions as boto3 takes them., type: list, elements: dict, required: true}
      actions: {description: Actions as boto3 takes them (as O(default_actions))., type: list, elements: dict, required: true}
  purge_rules:
    description: Delete the rules not listed in O(rules) (only when O(rules) is given).
    type: bool
    default: true
  oidc_client_secret_arn:
    description:
      - The Secrets Manager secret (ARN or name) holding the OIDC client secret. Required when an action is
        C(authenticate-oidc).
    type: str
  oidc_client_secret_key:
    description: When the secret is a JSON document, the field that holds the client secret.
    type: str
  state:
    description: Whether the listener should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: HTTPS listener, OIDC login then forward to the api-server
  pathwai.airflow_ecs.elb_listener:
    load_balancer_arn: "{{ alb.load_balancer_arn }}"
    port: 443
    protocol: HTTPS
    ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06
    certificate_arn: "{{ certificate_arn }}"
    default_actions:
      - Type: authenticate-oidc
        Order: 1
        AuthenticateOidcConfig:
          Issuer: https://idp.example.com
          AuthorizationEndpoint: https://idp.example.com/authorize
          TokenEndpoint: https://idp.example.com/token
          UserInfoEndpoint: https://idp.example.com/userinfo
          ClientId: airflow
          Scope: openid email profile
      - Type: forward
        Order: 2
        TargetGroupArn: "{{ target_group.target_group_arn }}"
    oidc_client_secret_arn: "{{ oidc_secret_arn }}"
    tags:
      airflow:env: prod

- name: Execution API listener, 404 unless /execution/*
  pathwai.airflow_ecs.elb_listener:
    load_balancer_arn: "{{ alb.load_balancer_arn }}"
    port: 8443
    certificate_arn: "{{ certificate_arn }}"
    ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06
    default_actions:
      - Type: fixed-response
        FixedResponseConfig: {StatusCode: "404", ContentType: text/plain, MessageBody: Not found}
    rules:
      - priority: 10
        conditions: [{Field: path-pattern, PathPatternConfig: {Values: ["/execution/*"]}}]
        actions: [{Type: forward, TargetGroupArn: "{{ target_group.target_group_arn }}"}]
"""

RETURN = r"""
listener_arn: {description: The listener ARN (null in check mode before creation)., returned: when present, type: str}
listener:
  description: The listener, normalised (no client secret).
  returned: when present
  type: dict
  contains:
    listener_arn: {description: The listener ARN., type: str}
    load_balancer_arn: {description: The load balancer., type: str}
    port: {description: The port., type: int}
    protocol: {description: HTTP or HTTPS., type: str}
    ssl_policy: {description: The security policy (null for HTTP)., type: str}
    certificate_arn: {description: The default certificate (null for HTTP)., type: str}
    default_actions: {description: The default actions in API shape, AWS defaults filled., type: list, elements: dict}
    tags: {description: The listener tags., type: dict}
rules:
  description: The listener's rules other than the default one, by priority.
  returned: when present
  type: list
  elements: dict
  contains:
    rule_arn: {description: The rule ARN (null in check mode before creation)., type: str}
    priority: {description: The priority., type: int}
    conditions: {description: The conditions, normalised., type: list, elements: dict}
    actions: {description: The actions, normalised., type: list, elements: dict}
oidc_client_secret_rotated:
  description: Whether a new version of the OIDC client secret was (or in check mode would be) sent.
  returned: when present
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.elb_listener import (
    SECRET_VERSION_TAG,
    apply_rule_plan,
    desired_listener,
    desired_rules,
    inline_secrets,
    listener_changes,
    normalise_listener,
    normalise_rules,
    plan_is_empty,
    plan_rules,
    request_conditions,
    uses_oidc,
    with_secret,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.elb_listener_api import (
    SecretError,
    current_secret_version,
    find_listener,
    read_rules,
    read_tags,
    secret_value,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_list


class Secret:
    """The OIDC client secret, read from Secrets Manager at most once and only when it must be sent."""

    def __init__(self, module, needed: bool):
        self.module = module
        self.arn = module.params.get("oidc_client_secret_arn") if needed else None
        self.client = retrying_client(module, "secretsmanager") if self.arn else None
        self.version = current_secret_version(self.client, self.arn) if self.arn else None
        self._value = None

    def value(self) -> str:
        if self._value is None:
            self._value = secret_value(
                self.client, self.arn, self.version, self.module.params.get("oidc_client_secret_key")
            )
        return self._value


def _view(listener: dict | None, rules: list) -> dict:
    return {"listener": listener, "rules": rules}


def create(module, client, desired: dict, wanted_rules: list, secret: Secret) -> tuple[dict, list]:
    request = dict(
        LoadBalancerArn=desired["load_balancer_arn"],
        Port=desired["port"],
        Protocol=desired["protocol"],
        DefaultActions=with_secret(
            desired["default_actions"], secret.value() if uses_oidc(desired["default_actions"]) else None
        ),
    )
    if desired["protocol"] == "HTTPS":
        request["Certificates"] = [{"CertificateArn": desired["certificate_arn"]}]
        if desired["ssl_policy"]:
            request["SslPolicy"] = desired["ssl_policy"]
    if desired["tags"]:
        request["Tags"] = tags_list(desired["tags"])
    arn = client.create_listener(**request, aws_retry=True)["Listeners"][0]["ListenerArn"]
    for rule in wanted_rules:
        create_rule(client, arn, rule, secret)
    return read(client, arn, desired["load_balancer_arn"], desired["port"])


def create_rule(client, listener_arn: str, rule: dict, secret: Secret) -> None:
    client.create_rule(
        ListenerArn=listener_arn,
        Priority=rule["priority"],
        Conditions=request_conditions(rule["conditions"]),
        Actions=with_secret(rule["actions"], secret.value() if uses_oidc(rule["actions"]) else None),
        aws_retry=True,
    )


def read(client, arn: str, load_balancer_arn: str, port: int) -> tuple[dict, list]:
    found = find_listener(client, load_balancer_arn, port)
    return normalise_listener(found, read_tags(client, arn)), normalise_rules(read_rules(client, arn))


def update(module, client, before: dict, desired: dict, changes: list, plan: dict, tags, rotate, secret):
    arn = before["listener_arn"]
    if changes or (rotate and uses_oidc(desired["default_actions"])):
        request: dict = {"ListenerArn": arn}
        if "protocol" in changes:
            request["Protocol"] = desired["protocol"]
        if desired["protocol"] == "HTTPS" and ("protocol" in changes or "ssl_policy" in changes):
            request["SslPolicy"] = desired["ssl_policy"]
        if desired["protocol"] == "HTTPS" and ("protocol" in changes or "certificate_arn" in changes):
            request["Certificates"] = [{"CertificateArn": desired["certificate_arn"]}]
        if "default_actions" in changes or rotate:
            new_secret = uses_oidc(desired["default_actions"]) and (
                rotate or not uses_oidc(before["default_actions"])
            )
            request["DefaultActions"] = with_secret(
                desired["default_actions"], secret.value() if new_secret else None
            )
        client.modify_listener(**request, aws_retry=True)
    for rule_arn in plan["delete"]:
        try:
            client.delete_rule(RuleArn=rule_arn, aws_retry=True)
        except is_boto3_error_code("RuleNotFound"):
            pass
    if plan["priorities"]:
        client.set_rule_priorities(
            RulePriorities=[{"RuleArn": a, "Priority": p} for a, p in plan["priorities"]], aws_retry=True
        )
    for rule_arn, rule in plan["modify"]:
        # A rule's old actions are unknown here beyond their normalised form: send the secret
        # whenever the rule authenticates, so a rule that newly authenticates gets one too.
        client.modify_rule(
            RuleArn=rule_arn,
            Conditions=request_conditions(rule["conditions"]),
            Actions=with_secret(rule["actions"], secret.value() if uses_oidc(rule["actions"]) else None),
            aws_retry=True,
        )
    for rule in plan["create"]:
        create_rule(client, arn, rule, secret)
    to_set, to_remove = tags
    if to_remove:
        client.remove_tags(ResourceArns=[arn], TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.add_tags(ResourceArns=[arn], Tags=tags_list(to_set), aws_retry=True)
    return read(client, arn, before["load_balancer_arn"], before["port"])


def ensure_present(module, client, found: dict | None) -> dict:
    params = module.params
    if not params.get("default_actions"):
        module.fail_json(msg="default_actions is required when state is present")
    wanted_actions = list(params["default_actions"]) + [
        a for r in params.get("rules") or [] for a in r["actions"] or []
    ]
    oidc = uses_oidc(wanted_actions)
    if oidc and not params.get("oidc_client_secret_arn"):
        module.fail_json(
            msg="an authenticate-oidc action needs oidc_client_secret_arn (the client secret's secret)"
        )
    secret = Secret(module, needed=oidc)

    before = normalise_listener(found, read_tags(client, found["ListenerArn"]) if found else None)
    current_rules = normalise_rules(read_rules(client, found["ListenerArn"])) if found else []
    desired = desired_listener(params, before, secret.version)
    wanted_rules = desired_rules(params) if params.get("rules") is not None else None
    if desired["protocol"] == "HTTPS" and not desired["certificate_arn"]:
        module.fail_json(msg="certificate_arn is required for an HTTPS listener")

    if before is None:
        planned_rules = wanted_rules or []
        if module.check_mode:
            after = _view(desired, planned_rules)
            return dict(
                changed=True,
                listener_arn=None,
                **after,
                oidc_client_secret_rotated=oidc,
                diff=diff_result({}, after),
            )
        listener, rules = create(module, client, desired, planned_rules, secret)
        after = _view(listener, rules)
        return dict(
            changed=True,
            listener_arn=listener["listener_arn"],
            **after,
            oidc_client_secret_rotated=oidc,
            diff=diff_result({}, after),
        )

    rotate = bool(oidc and before["tags"].get(SECRET_VERSION_TAG) != secret.version)
    changes = listener_changes(before, desired)
    if wanted_rules is None:
        plan = {"delete": [], "priorities": [], "modify": [], "create": []}
        if rotate:  # rules left alone still authenticate with the old secret: send the new one
            plan["modify"] = [(r["rule_arn"], r) for r in current_rules if uses_oidc(r["actions"])]
    else:
        plan = plan_rules(current_rules, wanted_rules, params["purge_rules"], rotate_oidc=rotate)
    tags = tag_changes(before["tags"], desired["tags"])
    rotated = rotate and (uses_oidc(desired["default_actions"]) or bool(plan["modify"]))
    before_view = _view(before, current_rules)
    if not changes and not rotate and plan_is_empty(plan) and not tags[0] and not tags[1]:
        return dict(
            changed=False,
            listener_arn=before["listener_arn"],
            **before_view,
            oidc_client_secret_rotated=False,
        )
    if module.check_mode:
        after = _view(desired, apply_rule_plan(current_rules, plan))
        return dict(
            changed=True,
            listener_arn=before["listener_arn"],
            **after,
            oidc_client_secret_rotated=rotated,
            diff=diff_result(before_view, after),
        )
    listener, rules = update(module, client, before, desired, changes, plan, tags, rotate, secret)
    after = _view(listener, rules)
    return dict(
        changed=True,
        listener_arn=listener["listener_arn"],
        **after,
        oidc_client_secret_rotated=rotated,
        diff=diff_result(before_view, after),
    )


def ensure_absent(module, client, found: dict | None) -> dict:
    if not found:
        return dict(changed=False)
    before = _view(
        normalise_listener(found, read_tags(client, found["ListenerArn"])),
        normalise_rules(read_rules(client, found["ListenerArn"])),
    )
    if not module.check_mode:
        try:
            client.delete_listener(ListenerArn=found["ListenerArn"], aws_retry=True)
        except is_boto3_error_code("ListenerNotFound"):
            pass
    return dict(changed=True, diff=diff_result(before, {}))


def main():
    argument_spec = dict(
        load_balancer_arn=dict(type="str", required=True),
        port=dict(type="int", required=True),
        protocol=dict(type="str", choices=["HTTP", "HTTPS"], default="HTTPS"),
        ssl_policy=dict(type="str"),
        certificate_arn=dict(type="str"),
        default_actions=dict(type="list", elements="dict"),
        rules=dict(
            type="list",
            elements="dict",
            options=dict(
                priority=dict(type="int", required=True),
                conditions=dict(type="list", elements="dict", required=True),
                actions=dict(type="list", elements="dict", required=True),
            ),
        ),
        purge_rules=dict(type="bool", default=True),
        oidc_client_secret_arn=dict(type="str"),
        oidc_client_secret_key=dict(type="str", no_log=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    inline = inline_secrets(module.params)
    if inline:
        module.fail_json(
            msg=f"{', '.join(inline)} carries ClientSecret/UseExistingClientSecret: give the secret's ARN in "
            "oidc_client_secret_arn instead (the module reads it and never returns it)"
        )
    client = retrying_client(module, "elbv2")

    def work():
        found = find_listener(client, module.params["load_balancer_arn"], module.params["port"])
        if module.params["state"] == "present":
            result = ensure_present(module, client, found)
        else:
            result = ensure_absent(module, client, found)
        return result

    run_module(
        module,
        work,
        f"manage the listener on port {module.params['port']} of {module.params['load_balancer_arn']}",
        (SecretError,),
        prefix="OIDC client secret: ",
    )


if __name__ == "__main__":
    main()
