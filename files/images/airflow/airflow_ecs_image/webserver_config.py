"""FAB auth manager configuration: login from the ALB's OIDC headers.

The FAB provider loads this file with ``flask.Config.from_pyfile`` from ``[fab] config_file``
(``AIRFLOW__FAB__CONFIG_FILE``, default ``{AIRFLOW_HOME}/webserver_config.py``); the image
copies it to /opt/airflow/webserver_config.py and sets that variable. FAB silently ignores a
missing file (and falls back to password login), so the path must be right.

Roles: see airflow_ecs_image.alb_auth (AIRFLOW_ECS_AUTH_DEFAULT_ROLE, AIRFLOW_ECS_AUTH_ADMINS,
AIRFLOW_ECS_AUTH_ADMIN_GROUPS).
"""

import os

from flask_appbuilder.const import AUTH_REMOTE_USER

from airflow_ecs_image.fab_security import AlbOidcSecurityManager

AUTH_TYPE = AUTH_REMOTE_USER
# FAB's AuthRemoteUserView reads this WSGI environ key: the ALB's x-amzn-oidc-identity header.
AUTH_REMOTE_USER_ENV_VAR = "HTTP_X_AMZN_OIDC_IDENTITY"
SECURITY_MANAGER_CLASS = AlbOidcSecurityManager
AUTH_USER_REGISTRATION = True
AUTH_USER_REGISTRATION_ROLE = os.environ.get("AIRFLOW_ECS_AUTH_DEFAULT_ROLE") or "Viewer"
WTF_CSRF_ENABLED = True
