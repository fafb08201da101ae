"""ELBv2: listener and rule actions come back the way AWS returns them; OIDC client secrets stay inside.

Real AWS (botocore ``Action`` / ``AuthenticateOidcActionConfig``; DescribeListeners and
DescribeRules as seen on real accounts, e.g. getmoto/moto issue 4716):

* never returns ``AuthenticateOidcConfig.ClientSecret`` (nor ``UseExistingClientSecret``);
  it keeps the secret it was given. ``UseExistingClientSecret=true`` on ModifyListener /
  ModifyRule keeps the stored secret; giving both is ``InvalidLoadBalancerAction`` ("You cannot
  both specify a client secret and set UseExistingClientSecret to true"), and an
  authenticate-oidc action with neither is refused too;
* fills the OIDC defaults: ``Scope`` "openid", ``SessionCookieName``
  "AWSELBAuthSessionCookie", ``SessionTimeout`` 604800, ``OnUnauthenticatedRequest``
  "authenticate";
* returns a forward action given as ``TargetGroupArn`` with ``ForwardConfig`` too:
  ``{TargetGroups: [{TargetGroupArn, Weight: 1}], TargetGroupStickinessConfig: {Enabled: false}}``;
* numbers the actions: ``Order`` 1..n where the request left it out;
* returns no ``SslPolicy`` for an HTTP listener.

moto 5.2.5 echoes ``ClientSecret`` (and ``UseExistingClientSecret``) back in every
DescribeListeners/DescribeRules answer, forgets the secret on a modify with
UseExistingClientSecret, fills none of the OIDC defaults nor ``ForwardConfig`` for a
``TargetGroupArn`` action, leaves ``Order`` out, and gives HTTP listeners an SSL policy.
The stored secret is kept on the action as ``_client_secret`` (tests read it in-process to
check which secret a module sent).
"""

from __future__ import annotations

import copy

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeAction

OIDC_DEFAULTS = {
    "Scope": "openid",
    "SessionCookieName": "AWSELBAuthSessionCookie",
    "SessionTimeout": 604800,
    "OnUnauthenticatedRequest": "authenticate",
}


def _invalid(message: str) -> ELBClientError:
    return ELBClientError("InvalidLoadBalancerAction", message)


def _prepare(actions: list | None, previous: list | None) -> list | None:
    """Copies of the request's actions as AWS stores them; secrets moved to ``_ClientSecret``."""
    if not actions:
        return actions
    old_secrets = [
        getattr(a, "_client_secret", None) for a in (previous or []) if a.type == "authenticate-oidc"
    ]
    prepared = []
    for position, given in enumerate(actions, start=1):
        action = copy.deepcopy(given)
        action.setdefault("Order", position)
        oidc = action.get("AuthenticateOidcConfig")
        if action.get("Type") == "authenticate-oidc" and oidc is not None:
            secret = oidc.pop("ClientSecret", None)
            use_existing = str(oidc.pop("UseExistingClientSecret", "false")).lower() == "true"
            if secret and use_existing:
                raise _invalid(
                    "You cannot both specify a client secret and set UseExistingClientSecret to true"
                )
            if use_existing:
                secret = old_secrets.pop(0) if old_secrets else None
                if not secret:
                    raise _invalid("There is no existing client secret to use")
            if not secret:
                raise _invalid("A client secret must be specified for an authenticate-oidc action")
            for key, value in OIDC_DEFAULTS.items():
                oidc.setdefault(key, value)
            oidc["SessionTimeout"] = int(oidc["SessionTimeout"])
            action["_ClientSecret"] = secret
        if (
            action.get("Type") == "forward"
            and action.get("TargetGroupArn")
            and not action.get("ForwardConfig")
        ):
            action["ForwardConfig"] = {
                "TargetGroups": [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            }
        prepared.append(action)
    return prepared


def apply() -> None:
    original_action_init = FakeAction.__init__

    def action_init(self, data):
        data = dict(data)
        secret = data.pop("_ClientSecret", None)
        original_action_init(self, data)
        self._client_secret = secret

    FakeAction.__init__ = action_init

    original_create_listener = ELBv2Backend.create_listener
    original_modify_listener = ELBv2Backend.modify_listener
    original_create_rule = ELBv2Backend.create_rule
    original_modify_rule = ELBv2Backend.modify_rule

    def create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate, actions, **kwargs):
        if (protocol or "").upper() == "HTTP":
            ssl_policy = None
        return original_create_listener(
            self,
            load_balancer_arn,
            protocol,
            port,
            ssl_policy,
            certificate,
            _prepare(actions, None),
            **kwargs,
        )

    def modify_listener(
        self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, actions=None
    ):
        found = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])
        previous = found[0].default_actions if found else None
        listener = original_modify_listener(
            self, arn, port, protocol, ssl_policy, certificates, _prepare(actions, previous)
        )
        if listener.protocol == "HTTP":
            listener.ssl_policy = None
        return listener

    def create_rule(self, listener_arn, conditions, priority, actions, **kwargs):
        return original_create_rule(
            self, listener_arn, conditions, priority, _prepare(actions, None), **kwargs
        )

    def modify_rule(self, rule_arn, conditions, actions):
        found = self.describe_rules(listener_arn=None, rule_arns=[rule_arn])
        previous = found[0].actions if found else None
        return original_modify_rule(self, rule_arn, conditions, _prepare(actions, previous))

    ELBv2Backend.create_listener = create_listener
    ELBv2Backend.modify_listener = modify_listener
    ELBv2Backend.create_rule = create_rule
    ELBv2Backend.modify_rule = modify_rule
