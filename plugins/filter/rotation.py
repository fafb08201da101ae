# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What each kind of secret rotation rotates, where the value goes and who reads it (no AWS call).

One table, from the data role's own lists (``generated_secrets``, ``connection_secrets``), so a secret
composed into another is never forgotten: a kind's consumers are its secrets and every connection
secret whose template reads one of them.
"""

from __future__ import annotations

from ansible_collections.pathwai.airflow_ecs.plugins.filter.data import connection_secrets, generated_secrets
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.managed_secret import secret_names

# kind -> (its secrets' short names, lead first; the store the first one is applied to)
KINDS = {
    "db": (["db_master_password"], "rds"),
    "redis": (["redis_auth_token"], "elasticache"),
    "fernet": (["fernet_key"], None),
    "jwt": (["jwt_secret", "api_secret_key"], None),
}
# The maximum ages (days) the inventory may set, one per rotated secret.
ROTATED = [short for shorts, _ in KINDS.values() for short in shorts]


def rotation_kinds(prefix: str, max_age_days: dict, kinds: list | None = None) -> list[dict]:
    """Per kind asked for (all by default, in a safe order): its ``secrets`` (secret_rotation's
    items, with each one's maximum age), ``consumers`` (the secrets whose readers are rolled),
    ``composed`` (whether connection secrets are recomposed) and ``target`` (rds, elasticache or none)."""
    generated = {item["name"]: item for item in generated_secrets(prefix)}
    composed = connection_secrets(prefix)
    unknown = sorted(set(kinds or []) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown rotation kinds {unknown}: choose from {sorted(KINDS)}")
    missing = sorted(set(ROTATED) - set(max_age_days or {}))
    if missing:
        raise ValueError(f"no maximum age for {missing}")
    out = []
    for kind, (shorts, target) in KINDS.items():
        if kinds is not None and kind not in kinds:
            continue
        names = [f"{prefix}/{short}" for short in shorts]
        secrets = []
        for short, name in zip(shorts, names, strict=True):
            item = {"name": name, "generate": generated[name]["generate"]}
            item["max_age_days"] = max_age_days[short]
            if "length" in generated[name]:
                item["length"] = generated[name]["length"]
            secrets.append(item)
        readers = [c["name"] for c in composed if set(secret_names(c["template"])) & set(names)]
        out.append(
            {
                "kind": kind,
                "secrets": secrets,
                "consumers": names + readers,
                "composed": bool(readers),
                "target": target or "none",
            }
        )
    return out


def roll_items(services: list[str]) -> list[dict]:
    """pathwai.airflow_ecs.ecs_service ``services`` items that only start a new deployment."""
    return [{"name": name, "force_new_deployment": True} for name in services]


class FilterModule:
    def filters(self):
        return {"rotation_kinds": rotation_kinds, "rotation_roll_items": roll_items}
