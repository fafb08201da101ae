"""pathwai.airflow_ecs.elb_listener against the emulator (with local_aws/extensions/elbv2_listener_actions.py:
ClientSecret never returned, AWS defaults filled), plus a Stubber case replaying a DescribeListeners answer
shaped as real AWS gives it."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import elb_listener as utils
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import tags as tag_utils
from botocore.stub import Stubber
from conftest import ModuleFailed
from moto.elbv2.models import elbv2_backends

SECRET_V1 = "oidc-client-secret-value-1"
SECRET_V2 = "oidc-client-secret-value-2"
TLS13 = "ELBSecurityPolicy-TLS13-1-2-2021-06"
OIDC = {
    "Issuer": "https://idp.example.com",
    "AuthorizationEndpoint": "https://idp.example.com/authorize",
    "TokenEndpoint": "https://idp.example.com/token",
    "UserInfoEndpoint": "https://idp.example.com/userinfo",
    "ClientId": "airflow",
}


@pytest.fixture(scope="module")
def aws_endpoint(module_aws_endpoint):
    return module_aws_endpoint


@pytest.fixture(autouse=True)
def _fresh_call_record(aws_endpoint):
    aws_endpoint.reset_calls()


@pytest.fixture(scope="module")
def env(aws_endpoint):
    kw = dict(endpoint_url=aws_endpoint.url, region_name="us-east-1")
    ec2, elb = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)
    acm, sm = boto3.client("acm", **kw), boto3.client("secretsmanager", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name="airflow-lst", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]
    groups = [
        elb.create_target_group(Name=f"tg-{n}", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        for n in ("a", "b")
    ]
    certs = [acm.request_certificate(DomainName=f"{n}.airflow.example.com")["CertificateArn"] for n in "ab"]
    secret = sm.create_secret(Name="airflow/test/oidc", SecretString=json.dumps({"client_secret": SECRET_V1}))
    return {
        "elb": elb,
        "sm": sm,
        "lb": lb["LoadBalancerArn"],
        "groups": groups,
        "certs": certs,
        "secret_arn": secret["ARN"],
    }


def https_args(env, port=443, **extra) -> dict:
    return {
        "load_balancer_arn": env["lb"],
        "port": port,
        "protocol": "HTTPS",
        "ssl_policy": TLS13,
        "certificate_arn": env["certs"][0],
        "default_actions": [
            {
                "Type": "authenticate-oidc",
                "Order": 1,
                "AuthenticateOidcConfig": dict(OIDC, Scope="openid email"),
            },
            {"Type": "forward", "Order": 2, "TargetGroupArn": env["groups"][0]},
        ],
        "oidc_client_secret_arn": env["secret_arn"],
        "oidc_client_secret_key": "client_secret",
        "tags": {"airflow:env": "test"},
        **extra,
    }


def stored_secret(env, port) -> str | None:
    """The client secret the emulator holds for the listener's OIDC action (read in-process)."""
    backend = elbv2_backends["123456789012"]["us-east-1"]
    listener = next(
        lst for lst in backend.load_balancers[env["lb"]].listeners.values() if int(lst.port) == port
    )
    return next(a._client_secret for a in listener.default_actions if a.type == "authenticate-oidc")


def writes(aws_endpoint) -> list[str]:
    return [c["action"] for c in aws_endpoint.calls() if c["write"]]


def test_oidc_listener_converges_rotates_and_never_shows_the_secret(module_runner, env, aws_endpoint):
    args = https_args(env)
    first = module_runner("elb_listener", args)
    assert first["changed"] is True
    assert stored_secret(env, 443) == SECRET_V1
    listener = first["listener"]
    assert listener["ssl_policy"] == TLS13 and listener["certificate_arn"] == env["certs"][0]
    assert [a["Type"] for a in listener["default_actions"]] == ["authenticate-oidc", "forward"]
    oidc = listener["default_actions"][0]["AuthenticateOidcConfig"]
    assert oidc["SessionCookieName"] == "AWSELBAuthSessionCookie" and oidc["SessionTimeout"] == 604800
    assert "ClientSecret" not in oidc
    version = env["sm"].describe_secret(SecretId=env["secret_arn"])["VersionIdsToStages"]
    assert listener["tags"][utils.SECRET_VERSION_TAG] in version
    assert writes(aws_endpoint) == ["CreateListener"]

    aws_endpoint.reset_calls()
    again = module_runner("elb_listener", args)
    assert again["changed"] is False
    assert writes(aws_endpoint) == []
    assert "GetSecretValue" not in [c["action"] for c in aws_endpoint.calls()]

    env["sm"].put_secret_value(
        SecretId=env["secret_arn"], SecretString=json.dumps({"client_secret": SECRET_V2})
    )
    aws_endpoint.reset_calls()
    rotated = module_runner("elb_listener", args)
    assert rotated["changed"] is True and rotated["oidc_client_secret_rotated"] is True
    assert writes(aws_endpoint).count("ModifyListener") == 1
    assert set(writes(aws_endpoint)) <= {"ModifyListener", "AddTags"}
    assert stored_secret(env, 443) == SECRET_V2
    assert module_runner("elb_listener", args)["changed"] is False

    for result in (first, again, rotated):
        text = json.dumps(result)
        assert SECRET_V1 not in text and SECRET_V2 not in text


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}, id="ssl_policy"),
        pytest.param({"certificate_arn": 1}, id="certificate"),
        pytest.param({"target_group": 1}, id="target_group"),
    ],
)
def test_listener_changes_are_applied_once(module_runner, env, aws_endpoint, change):
    port = {"ssl_policy": 9001, "certificate_arn": 9002, "target_group": 9003}[next(iter(change))]
    args = https_args(env, port=port)
    module_runner("elb_listener", args)
    if "certificate_arn" in change:
        args["certificate_arn"] = env["certs"][1]
    elif "target_group" in change:
        args["default_actions"][1]["TargetGroupArn"] = env["groups"][1]
    else:
        args.update(change)
    aws_endpoint.reset_calls()
    result = module_runner("elb_listener", args)
    assert result["changed"] is True
    assert writes(aws_endpoint) == ["ModifyListener"]
    assert (
        stored_secret(env, port)
        == json.loads(env["sm"].get_secret_value(SecretId=env["secret_arn"])["SecretString"])["client_secret"]
    )
    described = env["elb"].describe_listeners(ListenerArns=[result["listener_arn"]])["Listeners"][0]
    assert utils.normalise_listener(described)["default_actions"] == result["listener"]["default_actions"]
    assert module_runner("elb_listener", args)["changed"] is False
    module_runner("elb_listener", {**args, "state": "absent"})


def execution_args(env, rules) -> dict:
    return {
        "load_balancer_arn": env["lb"],
        "port": 8443,
        "protocol": "HTTPS",
        "ssl_policy": TLS13,
        "certificate_arn": env["certs"][0],
        "default_actions": [
            {
                "Type": "fixed-response",
                "Order": 1,
                "FixedResponseConfig": {
                    "StatusCode": "404",
                    "ContentType": "text/plain",
                    "MessageBody": "Not found",
                },
            }
        ],
        "rules": rules,
        "purge_rules": True,
    }


def test_path_rule_added_then_purged(module_runner, env, aws_endpoint):
    path_rule = {
        "priority": 10,
        "conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/execution/*"]}}],
        "actions": [{"Type": "forward", "TargetGroupArn": env["groups"][0]}],
    }
    created = module_runner("elb_listener", execution_args(env, []))
    assert created["rules"] == []

    aws_endpoint.reset_calls()
    planned = module_runner("elb_listener", execution_args(env, [path_rule]), check_mode=True)
    assert planned["changed"] is True and [r["priority"] for r in planned["rules"]] == [10]
    assert writes(aws_endpoint) == []

    added = module_runner("elb_listener", execution_args(env, [path_rule]))
    assert added["changed"] is True
    assert writes(aws_endpoint) == ["CreateRule"]
    (rule,) = added["rules"]
    assert rule["conditions"] == [{"Field": "path-pattern", "Values": ["/execution/*"]}]
    assert rule["actions"][0]["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": env["groups"][0], "Weight": 1}
    ]

    aws_endpoint.reset_calls()
    assert module_runner("elb_listener", execution_args(env, [path_rule]))["changed"] is False
    assert writes(aws_endpoint) == []

    moved = dict(path_rule, priority=20)
    aws_endpoint.reset_calls()
    assert module_runner("elb_listener", execution_args(env, [moved]))["changed"] is True
    assert writes(aws_endpoint) == ["SetRulePriorities"]

    aws_endpoint.reset_calls()
    purged = module_runner("elb_listener", execution_args(env, []))
    assert purged["changed"] is True and purged["rules"] == []
    assert writes(aws_endpoint) == ["DeleteRule"]
    rules = env["elb"].describe_rules(ListenerArn=purged["listener_arn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["default"]


def test_check_mode_writes_nothing(module_runner, env, aws_endpoint):
    args = https_args(env, port=7443)
    planned = module_runner("elb_listener", args, check_mode=True)
    assert planned["changed"] is True and planned["listener_arn"] is None
    assert writes(aws_endpoint) == []
    assert "GetSecretValue" not in [c["action"] for c in aws_endpoint.calls()]
    assert SECRET_V1 not in json.dumps(planned) and SECRET_V2 not in json.dumps(planned)
    assert env["elb"].describe_listeners(LoadBalancerArn=env["lb"])["Listeners"] == [] or all(
        lst["Port"] != 7443 for lst in env["elb"].describe_listeners(LoadBalancerArn=env["lb"])["Listeners"]
    )

    module_runner("elb_listener", args)
    aws_endpoint.reset_calls()
    changed = module_runner(
        "elb_listener", {**args, "ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}, check_mode=True
    )
    assert changed["changed"] is True and changed["diff"]["after"]["listener"]["ssl_policy"].endswith(
        "1-3-2021-06"
    )
    assert writes(aws_endpoint) == []
    aws_endpoint.reset_calls()
    gone = module_runner("elb_listener", {**args, "state": "absent"}, check_mode=True)
    assert gone["changed"] is True and writes(aws_endpoint) == []
    assert module_runner("elb_listener", {**args, "state": "absent"})["changed"] is True
    assert module_runner("elb_listener", {**args, "state": "absent"})["changed"] is False


def test_inline_client_secret_is_refused(module_runner, env, aws_endpoint):
    args = https_args(env, port=6443)
    args["default_actions"][0]["AuthenticateOidcConfig"]["ClientSecret"] = "inline"
    with pytest.raises(ModuleFailed, match="oidc_client_secret_arn"):
        module_runner("elb_listener", args)
    assert writes(aws_endpoint) == []


def test_real_aws_shaped_listener_compares_equal(env):
    """DescribeListeners as real AWS answers it: Order on every action, ForwardConfig beside
    TargetGroupArn, OIDC defaults filled, no ClientSecret; compared with the options it was made from."""
    tg = env["groups"][0]
    answer = {
        "Listeners": [
            {
                "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/1/2",
                "LoadBalancerArn": env["lb"],
                "Port": 443,
                "Protocol": "HTTPS",
                "Certificates": [{"CertificateArn": env["certs"][0]}],
                "SslPolicy": TLS13,
                "DefaultActions": [
                    {
                        "Type": "authenticate-oidc",
                        "Order": 1,
                        "AuthenticateOidcConfig": {
                            **OIDC,
                            "SessionCookieName": "AWSELBAuthSessionCookie",
                            "Scope": "openid email",
                            "SessionTimeout": 604800,
                            "AuthenticationRequestExtraParams": {},
                            "OnUnauthenticatedRequest": "authenticate",
                        },
                    },
                    {
                        "Type": "forward",
                        "Order": 2,
                        "TargetGroupArn": tg,
                        "ForwardConfig": {
                            "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                            "TargetGroupStickinessConfig": {"Enabled": False},
                        },
                    },
                ],
            }
        ]
    }
    client = boto3.client("elbv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("describe_listeners", answer, {"LoadBalancerArn": env["lb"]})
        described = client.describe_listeners(LoadBalancerArn=env["lb"])["Listeners"][0]
    params = https_args(env)
    current = utils.normalise_listener(described, {"airflow:env": "test", utils.SECRET_VERSION_TAG: "v1"})
    desired = utils.desired_listener(params, current, "v1")
    assert utils.listener_changes(current, desired) == []
    assert tag_utils.tag_changes(current["tags"], desired["tags"]) == ({}, [])
    # ...and the same options without Order or with the defaults spelt out compare equal too
    params["default_actions"] = [
        {
            "Type": "authenticate-oidc",
            "AuthenticateOidcConfig": dict(OIDC, Scope="openid email", SessionTimeout=604800),
        },
        {"Type": "forward", "TargetGroupArn": tg},
    ]
    assert utils.listener_changes(current, utils.desired_listener(params, current, "v1")) == []


def test_rule_plan_is_minimal():
    def rule(priority, path, arn=None):
        return {
            "rule_arn": arn,
            "priority": priority,
            "conditions": utils.normalise_conditions([{"Field": "path-pattern", "Values": [path]}]),
            "actions": utils.normalise_actions(
                [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
            ),
        }

    current = [rule(1, "/a", "r1"), rule(2, "/b", "r2"), rule(3, "/c", "r3")]
    desired = [rule(1, "/a"), rule(5, "/b"), rule(3, "/z"), rule(4, "/new")]
    plan = utils.plan_rules(current, desired, purge=True)
    assert plan["priorities"] == [("r2", 5)]
    assert [(arn, r["conditions"][0]["Values"]) for arn, r in plan["modify"]] == [("r3", ["/z"])]
    assert [r["priority"] for r in plan["create"]] == [4] and plan["delete"] == []
    assert utils.plan_rules(current, [rule(1, "/a")], purge=False)["delete"] == []
    assert utils.plan_rules(current, [rule(1, "/a")], purge=True)["delete"] == ["r2", "r3"]
    assert utils.plan_is_empty(
        utils.plan_rules(current, [dict(r, rule_arn=None) for r in current], purge=True)
    )
