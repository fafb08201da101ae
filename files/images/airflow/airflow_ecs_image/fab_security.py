"""FAB security manager that logs users in from the ALB's OIDC headers (see alb_auth).

Used by webserver_config.py with ``AUTH_TYPE = AUTH_REMOTE_USER``: FAB's stock
``AuthRemoteUserView`` (``/auth/login/``) sees ``HTTP_X_AMZN_OIDC_IDENTITY`` in the WSGI
environ and calls ``auth_user_remote_user``; this class replaces that method so the user,
e-mail, names and roles come from the ALB's ``x-amzn-oidc-data`` claims. The view then
redirects through the FAB provider's ``redirect``, which sets Airflow's JWT cookie.
"""

from __future__ import annotations

import logging

from airflow.providers.fab.auth_manager.security_manager.override import FabAirflowSecurityManagerOverride
from flask import request

from airflow_ecs_image.alb_auth import (
    AlbHeaderError,
    AuthSettings,
    decide_roles,
    identity_from_headers,
    is_admin,
)

log = logging.getLogger(__name__)


class AlbOidcSecurityManager(FabAirflowSecurityManagerOverride):
    """Users come from the ALB: created on first login, Admin from the configured lists."""

    def _roles(self, names: list[str]):
        roles = [self.find_role(name) for name in names]
        missing = [name for name, role in zip(names, roles, strict=True) if role is None]
        if missing:
            log.error("ALB login: role(s) %s do not exist (check AIRFLOW_ECS_AUTH_DEFAULT_ROLE)", missing)
            return None
        return roles

    def auth_user_remote_user(self, username):
        settings = AuthSettings.from_env()
        try:
            identity = identity_from_headers(request.headers, settings)
        except AlbHeaderError as exc:
            log.warning("ALB login refused: %s", exc)
            return None
        admin = is_admin(identity, settings)
        user = self.find_user(username=identity.username)
        if user is None and identity.email:
            user = self.find_user(email=identity.email)
        if user is None:
            roles = self._roles(decide_roles(None, admin, settings))
            if roles is None:
                return None
            try:
                user = self.add_user(
                    username=identity.username,
                    first_name=identity.first_name,
                    last_name=identity.last_name,
                    email=identity.email,
                    role=roles,
                )
            except Exception:
                log.exception("ALB login: cannot create user %s", identity.username)
                return None
            log.info("ALB login: created %s with roles %s", identity.username, [r.name for r in roles])
        else:
            if not user.is_active:
                log.info("ALB login: %s is deactivated", user.username)
                return None
            current = [role.name for role in user.roles]
            wanted = decide_roles(current, admin, settings)
            changed = False
            if set(wanted) != set(current):
                roles = self._roles(wanted)
                if roles is None:
                    return None
                user.roles = roles
                log.info("ALB login: %s roles %s -> %s", user.username, current, wanted)
                changed = True
            for field in ("first_name", "last_name", "email"):
                value = getattr(identity, field)
                if value and getattr(user, field) != value:
                    setattr(user, field, value)
                    changed = True
            if changed:
                self.update_user(user)
        self._rotate_session_id()
        self.update_user_auth_stat(user)
        return user
