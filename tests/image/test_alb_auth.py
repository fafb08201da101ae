"""Login from the ALB's OIDC headers: header parsing and role decisions (pure functions)."""

from __future__ import annotations

import base64
import json

import pytest
from airflow_ecs_image.alb_auth import (
    AlbHeaderError,
    AlbIdentity,
    AuthSettings,
    claim_list,
    decide_roles,
    decode_alb_jwt,
    identity_from_headers,
    is_admin,
    split_name,
)

SIGNER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/airflow/50dc6c495c0c9188"
NOW = 1_800_000_000


def segment(document, padded=True) -> str:
    text = base64.urlsafe_b64encode(json.dumps(document).encode()).decode()
    return text if padded else text.rstrip("=")


def alb_jwt(claims: dict, header: dict | None = None, padded=True) -> str:
    jwt_header = {"alg": "ES256", "kid": "12345678-1234-1234-1234-123456789012", "signer": SIGNER}
    jwt_header |= {"iss": "https://idp.example.com", "client": "airflow", "exp": NOW + 60}
    jwt_header |= header or {}
    return f"{segment(jwt_header, padded)}.{segment(claims, padded)}.c2lnbmF0dXJl"


def headers(claims: dict, identity: str | None = None, **jwt_kw) -> dict:
    return {
        "X-Amzn-Oidc-Identity": identity if identity is not None else claims.get("sub", ""),
        "X-Amzn-Oidc-Data": alb_jwt(claims, **jwt_kw),
        "X-Amzn-Oidc-Accesstoken": "opaque",
    }


ALICE = {"sub": "00u1", "email": "Alice@Example.com", "name": "Alice Liddell", "groups": ["readers"]}


def test_identity_from_alb_headers():
    identity = identity_from_headers(headers(ALICE), AuthSettings(), now=NOW)
    assert identity == AlbIdentity(
        subject="00u1",
        username="alice@example.com",
        email="alice@example.com",
        first_name="Alice",
        last_name="Liddell",
        groups=("readers",),
    )


@pytest.mark.parametrize("padded", [True, False])
def test_decode_accepts_padded_and_unpadded_segments(padded):
    header, claims = decode_alb_jwt(alb_jwt(ALICE, padded=padded))
    assert header["signer"] == SIGNER
    assert claims["email"] == "Alice@Example.com"


@pytest.mark.parametrize(
    ("hdrs", "message"),
    [
        ({}, "no x-amzn-oidc-identity"),
        ({"x-amzn-oidc-identity": "00u1"}, "no x-amzn-oidc-data"),
        ({"x-amzn-oidc-identity": "00u1", "x-amzn-oidc-data": "abc"}, "not a JWT"),
        ({"x-amzn-oidc-identity": "00u1", "x-amzn-oidc-data": "e30.!!!.x"}, "payload is not base64url JSON"),
        ({"x-amzn-oidc-identity": "00u1", "x-amzn-oidc-data": f"{segment([1])}.e30.x"}, "not a JSON object"),
    ],
)
def test_missing_or_malformed_headers_are_refused(hdrs, message):
    with pytest.raises(AlbHeaderError, match=message):
        identity_from_headers(hdrs, AuthSettings(), now=NOW)


def test_identity_header_must_match_the_sub_claim():
    with pytest.raises(AlbHeaderError, match="does not match"):
        identity_from_headers(headers(ALICE, identity="someone-else"), AuthSettings(), now=NOW)


def test_expired_data_is_refused_after_the_leeway():
    identity_from_headers(headers(ALICE, header={"exp": NOW - 59}), AuthSettings(), now=NOW)
    with pytest.raises(AlbHeaderError, match="expired"):
        identity_from_headers(headers(ALICE, header={"exp": NOW - 61}), AuthSettings(), now=NOW)
    with pytest.raises(AlbHeaderError, match="not a number"):
        identity_from_headers(headers(ALICE, header={"exp": "soon"}), AuthSettings(), now=NOW)


def test_signer_is_checked_when_configured():
    settings = AuthSettings(expected_signer=SIGNER)
    assert identity_from_headers(headers(ALICE), settings, now=NOW).subject == "00u1"
    other = SIGNER.replace("airflow", "other")
    with pytest.raises(AlbHeaderError, match="not the expected ALB"):
        identity_from_headers(headers(ALICE, header={"signer": other}), settings, now=NOW)


def test_username_falls_back_to_the_subject_and_can_be_the_subject():
    no_email = {"sub": "00u7", "name": "Robot"}
    identity = identity_from_headers(headers(no_email), AuthSettings(), now=NOW)
    assert (identity.username, identity.email) == ("00u7", "00u7@oidc.invalid")
    by_sub = identity_from_headers(headers(ALICE), AuthSettings(username_claim="sub"), now=NOW)
    assert by_sub.username == "00u1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        (["a", "b"], ("a", "b")),
        ("a, b c", ("a", "b", "c")),
        ("", ()),
        (7, ("7",)),
    ],
)
def test_claim_list(value, expected):
    assert claim_list(value) == expected


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"given_name": "Ada", "family_name": "Lovelace", "name": "x"}, ("Ada", "Lovelace")),
        ({"name": "Grace Brewster Hopper"}, ("Grace Brewster", "Hopper")),
        ({"name": "Cher"}, ("Cher", "-")),
        ({}, ("fallback", "-")),
    ],
)
def test_split_name(claims, expected):
    assert split_name(claims, "fallback") == expected


def test_settings_from_env():
    settings = AuthSettings.from_env(
        {
            "AIRFLOW_ECS_AUTH_DEFAULT_ROLE": "User",
            "AIRFLOW_ECS_AUTH_ADMINS": " Boss@Example.com, ,root@example.com",
            "AIRFLOW_ECS_AUTH_ADMIN_GROUPS": "airflow-admins,platform",
            "AIRFLOW_ECS_AUTH_ALB_ARN": SIGNER,
        }
    )
    assert settings.default_role == "User"
    assert settings.admins == {"boss@example.com", "root@example.com"}
    assert settings.admin_groups == {"airflow-admins", "platform"}
    assert settings.expected_signer == SIGNER
    assert AuthSettings.from_env({}) == AuthSettings()
    assert AuthSettings().default_role == "Viewer"


def test_admin_by_email_or_group():
    settings = AuthSettings(admins=frozenset({"alice@example.com"}), admin_groups=frozenset({"ops"}))
    alice = identity_from_headers(headers(ALICE), settings, now=NOW)
    assert is_admin(alice, settings)
    bob = identity_from_headers(
        headers({"sub": "b", "email": "bob@example.com", "groups": "dev ops"}), settings, now=NOW
    )
    assert is_admin(bob, settings)
    carol = identity_from_headers(
        headers({"sub": "c", "email": "carol@example.com", "groups": ["dev"]}), settings, now=NOW
    )
    assert not is_admin(carol, settings)
    assert not is_admin(alice, AuthSettings())


@pytest.mark.parametrize(
    ("current", "admin", "expected"),
    [
        (None, False, ["Viewer"]),
        (None, True, ["Admin"]),
        (["Viewer"], False, ["Viewer"]),
        (["Viewer"], True, ["Admin", "Viewer"]),
        (["Op", "Admin"], False, ["Op"]),  # Admin follows the lists; hand-granted roles stay
        (["Admin"], False, ["Viewer"]),  # never left without a role
        (["Admin", "User"], True, ["Admin", "User"]),
        ([], False, ["Viewer"]),
    ],
)
def test_decide_roles(current, admin, expected):
    assert decide_roles(current, admin, AuthSettings()) == expected


def test_decide_roles_uses_the_configured_default():
    assert decide_roles(None, False, AuthSettings(default_role="User")) == ["User"]
