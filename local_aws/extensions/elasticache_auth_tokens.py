"""ElastiCache: a replication group's AUTH tokens, as ModifyReplicationGroup's strategies change them.

botocore's ``ModifyReplicationGroupMessage`` takes ``AuthToken`` with ``AuthTokenUpdateStrategy``
(``ROTATE`` - the default when a token is given -, ``SET`` - "allowed only after ROTATE" -,
``DELETE``). ElastiCache's AUTH guide: ``ROTATE`` adds the new token while the current one keeps
working (clients move over without an outage), ``SET`` then keeps only the given token. moto 5.2.5
keeps no token at all (only ``AuthTokenEnabled``), so nothing could tell a rotation from a set.

Here each group keeps the tokens its server would accept, newest last:

- ``CreateReplicationGroup`` with ``AuthToken``: that one token;
- ``ROTATE``: the group's newest token and the new one (a token already accepted changes nothing);
- ``SET``: only the given token; refused with ``InvalidParameterCombination`` unless that token is
  one the group accepts (set by an earlier ``ROTATE``, or already the only one);
- ``DELETE``: none (AUTH off).

AWS never returns a token. The emulator answers ``GET /_local_aws/elasticache/auth-tokens`` (unsigned,
never faulted) with, per replication group, the SHA-256 hex digests of the tokens it accepts, oldest
first: a test (or the end-to-end proof, playing the Redis server) reads which tokens are live
without any token leaving the emulator. Not emulated: the ``modifying`` status and
``PendingModifiedValues.AuthTokenStatus`` (``ROTATING`` / ``SETTING``) while the change applies.
"""

from __future__ import annotations

import hashlib
import json

from moto.backends import get_backend
from moto.elasticache.models import ElastiCacheBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from local_aws.extensions.elasticache_parameter_groups import InvalidParameterCombination

CONTROL_PATH = "/_local_aws/elasticache/auth-tokens"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens(group) -> list[str]:
    return list(getattr(group, "auth_tokens", []))


def check_update(group, token: str | None, strategy: str | None) -> None:
    """Refuse what ElastiCache refuses, before anything is applied."""
    if (strategy or "ROTATE") == "SET" and token not in tokens(group):
        raise InvalidParameterCombination(
            "The AUTH token update strategy SET is allowed only after ROTATE with the same token."
        )


def apply_update(group, token: str | None, strategy: str | None) -> None:
    strategy = strategy or "ROTATE"
    if strategy == "DELETE":
        group.auth_tokens = []
    elif strategy == "SET":
        group.auth_tokens = [token]
    elif token not in tokens(group):
        group.auth_tokens = [*tokens(group)[-1:], token]


def _status() -> dict:
    out: dict[str, list[str]] = {}
    for backend in get_backend("elasticache").values():
        for regional in backend.values():
            for group_id, group in regional.replication_groups.items():
                out[group_id] = [digest(t) for t in tokens(group)]
    return out


def apply() -> None:
    original_create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self, **kwargs):
        group = original_create(self, **kwargs)
        group.auth_tokens = [kwargs["auth_token"]] if kwargs.get("auth_token") else []
        return group

    ElastiCacheBackend.create_replication_group = create_replication_group

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "") == CONTROL_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(_status()).encode()]
        return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__
