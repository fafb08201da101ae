"""Who is logging in, from the headers the ALB adds after OIDC (pure functions, stdlib only).

After a successful ``authenticate-oidc`` action the ALB forwards:

- ``x-amzn-oidc-identity``: the subject (``sub``) from the IdP's userinfo endpoint;
- ``x-amzn-oidc-data``: a JWT (ES256, signed by the ALB) whose payload holds the user claims
  (``sub``, ``email``, ``name``, ``groups``...) and whose header holds ``signer`` (the ALB ARN),
  ``exp``, ``iss``, ``client``. The ALB pads its base64url segments with ``=``.

The signature is not checked here: the ALB's public keys live at a public endpoint
(``public-keys.auth.elb.<region>.amazonaws.com``) a NAT-free VPC cannot reach. The headers are
trusted because only the ALB can reach port 8080 (the api-server SG admits the ALB SG only),
and the ALB's non-OIDC listener (workers' ``/execution/*``) must forward nothing else. As a
cheap second check the JWT header's ``signer`` must match ``AIRFLOW_ECS_AUTH_ALB_ARN`` when
that is set, and an expired JWT is refused.

Settings (environment):

``AIRFLOW_ECS_AUTH_DEFAULT_ROLE``   role of new users (default ``Viewer``)
``AIRFLOW_ECS_AUTH_ADMINS``         comma-separated e-mail addresses that get ``Admin``
``AIRFLOW_ECS_AUTH_ADMIN_GROUPS``   comma-separated group claim values that get ``Admin``
``AIRFLOW_ECS_AUTH_GROUPS_CLAIM``   claim holding the groups (default ``groups``)
``AIRFLOW_ECS_AUTH_USERNAME_CLAIM`` claim used as the Airflow user name (default ``email``;
                                    ``sub`` for the opaque subject); falls back to ``sub``
``AIRFLOW_ECS_AUTH_ALB_ARN``        expected JWT ``signer`` (optional)
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

IDENTITY_HEADER = "x-amzn-oidc-identity"
DATA_HEADER = "x-amzn-oidc-data"
ADMIN_ROLE = "Admin"
EXPIRY_LEEWAY_SECONDS = 60


class AlbHeaderError(ValueError):
    """The request does not carry a usable ALB identity."""


@dataclass(frozen=True)
class AuthSettings:
    default_role: str = "Viewer"
    admins: frozenset[str] = frozenset()
    admin_groups: frozenset[str] = frozenset()
    groups_claim: str = "groups"
    username_claim: str = "email"
    expected_signer: str | None = None
    admin_role: str = ADMIN_ROLE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        env = os.environ if environ is None else environ
        return cls(
            default_role=(env.get("AIRFLOW_ECS_AUTH_DEFAULT_ROLE") or "Viewer").strip(),
            admins=frozenset(v.lower() for v in _split(env.get("AIRFLOW_ECS_AUTH_ADMINS"))),
            admin_groups=frozenset(_split(env.get("AIRFLOW_ECS_AUTH_ADMIN_GROUPS"))),
            groups_claim=(env.get("AIRFLOW_ECS_AUTH_GROUPS_CLAIM") or "groups").strip(),
            username_claim=(env.get("AIRFLOW_ECS_AUTH_USERNAME_CLAIM") or "email").strip(),
            expected_signer=(env.get("AIRFLOW_ECS_AUTH_ALB_ARN") or "").strip() or None,
        )


@dataclass(frozen=True)
class AlbIdentity:
    subject: str
    username: str
    email: str
    first_name: str
    last_name: str
    groups: tuple[str, ...]


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.strip()
    return ""


def _b64url_json(segment: str, what: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(segment.rstrip("=") + "=" * (-len(segment.rstrip("=")) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise AlbHeaderError(f"{DATA_HEADER}: {what} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise AlbHeaderError(f"{DATA_HEADER}: {what} is not a JSON object")
    return value


def decode_alb_jwt(token: str) -> tuple[dict, dict]:
    """The (header, claims) of the ALB's JWT, without checking the signature."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise AlbHeaderError(f"{DATA_HEADER} is not a JWT")
    return _b64url_json(parts[0], "header"), _b64url_json(parts[1], "payload")


def claim_list(value: object) -> tuple[str, ...]:
    """A groups claim as a tuple: a JSON list, or a string separated by commas/whitespace."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v for v in re.split(r"[,\s]+", value) if v)
    if isinstance(value, Iterable):
        return tuple(str(v) for v in value if str(v))
    return (str(value),)


def split_name(claims: Mapping[str, object], fallback: str) -> tuple[str, str]:
    given = str(claims.get("given_name") or "").strip()
    family = str(claims.get("family_name") or "").strip()
    if given or family:
        return given or fallback, family or "-"
    name = str(claims.get("name") or "").strip()
    if name:
        first, _, last = name.rpartition(" ")
        return (first, last) if first else (last, "-")
    return fallback, "-"


def identity_from_headers(
    headers: Mapping[str, str], settings: AuthSettings, now: float | None = None
) -> AlbIdentity:
    """The user the ALB vouches for; AlbHeaderError when the headers are missing or inconsistent."""
    subject = _header(headers, IDENTITY_HEADER)
    data = _header(headers, DATA_HEADER)
    if not subject:
        raise AlbHeaderError(f"no {IDENTITY_HEADER} header (request did not come through the ALB login)")
    if not data:
        raise AlbHeaderError(f"no {DATA_HEADER} header")
    jwt_header, claims = decode_alb_jwt(data)
    if settings.expected_signer and jwt_header.get("signer") != settings.expected_signer:
        raise AlbHeaderError(f"{DATA_HEADER} signed by {jwt_header.get('signer')!r}, not the expected ALB")
    expires = jwt_header.get("exp", claims.get("exp"))
    if expires is not None:
        try:
            expired = float(expires) + EXPIRY_LEEWAY_SECONDS < (time.time() if now is None else now)
        except (TypeError, ValueError) as exc:
            raise AlbHeaderError(f"{DATA_HEADER}: exp {expires!r} is not a number") from exc
        if expired:
            raise AlbHeaderError(f"{DATA_HEADER} expired")
    if "sub" in claims and str(claims["sub"]) != subject:
        raise AlbHeaderError(f"{IDENTITY_HEADER} does not match the sub claim of {DATA_HEADER}")
    email = str(claims.get("email") or "").strip()
    username = str(claims.get(settings.username_claim) or "").strip() or subject
    if settings.username_claim == "email":
        username = username.lower()
    first, last = split_name(claims, username)
    return AlbIdentity(
        subject=subject,
        username=username,
        email=email.lower() if email else f"{subject}@oidc.invalid",
        first_name=first[:64],
        last_name=last[:64],
        groups=claim_list(claims.get(settings.groups_claim)),
    )


def is_admin(identity: AlbIdentity, settings: AuthSettings) -> bool:
    if identity.email.lower() in settings.admins:
        return True
    return bool(settings.admin_groups.intersection(identity.groups))


def decide_roles(current: Iterable[str] | None, admin: bool, settings: AuthSettings) -> list[str]:
    """Role names after this login.

    New user (``current`` None): Admin if listed, else the default role. Existing user: roles
    granted by hand are kept; Admin follows the lists (added when listed, removed when not);
    a user left with no role gets the default role.
    """
    if current is None:
        return [settings.admin_role] if admin else [settings.default_role]
    roles = [r for r in current if r != settings.admin_role]
    if admin:
        roles.insert(0, settings.admin_role)
    return roles or [settings.default_role]
