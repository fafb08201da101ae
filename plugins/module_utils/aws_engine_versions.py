"""Engine versions AWS offers, read from cfn-lint's data (kept current from AWS's APIs by cfn-lint).

cfn-lint ships, as package data, the engine versions that RDS and ElastiCache list
(``describe-db-engine-versions``, ``describe-cache-engine-versions``) and, for RDS, the versions
that can no longer be used to create a DB instance:

- ``cfnlint/data/schemas/extensions/aws_rds_dbinstance/engine_version.json``: every version RDS
  lists per engine (rule E3690);
- ``.../aws_rds_dbinstance/engine_version_deprecated.json``: the versions RDS refuses for new
  DB instances (rule W3691: "deprecated and cannot be used to create new RDS DB instances");
- ``.../aws_elasticache_cachecluster/engine_version.json``: the versions ElastiCache offers per
  engine (``redis``, ``valkey``, ``memcached``; rule E3695).

The files are read directly (cfn-lint itself is not imported: that takes a few hundred ms).
Every function returns ``None`` when cfn-lint is not installed or holds nothing for the engine,
so callers can tell "no data" from "not offered". The functions are pure and cached.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import cache

_EXTENSIONS = ("data", "schemas", "extensions")
RDS_LISTED = ("aws_rds_dbinstance", "engine_version.json")
RDS_DEPRECATED = ("aws_rds_dbinstance", "engine_version_deprecated.json")
ELASTICACHE_LISTED = ("aws_elasticache_cachecluster", "engine_version.json")


def cfn_lint_data_path(*parts: str) -> str | None:
    """Path of a file under cfn-lint's ``data/schemas/extensions`` folder, or None without cfn-lint."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), *_EXTENSIONS, *parts)
    return path if os.path.isfile(path) else None


@cache
def _versions_by_engine(folder: str, filename: str) -> dict[str, tuple[str, ...]]:
    """``{engine: versions}`` from one cfn-lint engine-version file (``if Engine == x``: its enum)."""
    path = cfn_lint_data_path(folder, filename)
    if path is None:
        return {}
    with open(path, encoding="utf-8") as handle:
        schema = json.load(handle)
    found: dict[str, tuple[str, ...]] = {}
    for clause in schema.get("allOf", []):
        condition = clause.get("if", {}).get("properties", {})
        engine = condition.get("Engine", {}).get("const")
        if not engine:
            continue
        # listed versions sit in `then`; deprecated ones in `if` (with `then: false`)
        enum = condition.get("EngineVersion", {}).get("enum")
        if enum is None and isinstance(clause.get("then"), dict):
            enum = clause["then"].get("properties", {}).get("EngineVersion", {}).get("enum")
        if enum:
            found[engine] = tuple(str(version) for version in enum)
    return found


def rds_listed_engine_versions(engine: str) -> tuple[str, ...] | None:
    """Every engine version RDS lists for ``engine`` (deprecated ones included), or None if unknown."""
    return _versions_by_engine(*RDS_LISTED).get(engine)


def rds_deprecated_engine_versions(engine: str) -> tuple[str, ...]:
    """The versions of ``engine`` that RDS no longer accepts for a new DB instance."""
    return _versions_by_engine(*RDS_DEPRECATED).get(engine, ())


def rds_engine_versions_for_new_instances(engine: str) -> tuple[str, ...] | None:
    """The versions of ``engine`` a new RDS DB instance can be created with, or None if unknown.

    A major version alone (``"16"``) is offered while one of its minors is: RDS then uses the
    default minor ("If you specify only a major version, Amazon RDS updates the DB instance to the
    default minor version", ModifyDBInstance ``EngineVersion``), although cfn-lint's deprecated
    list names the bare majors too."""
    listed = rds_listed_engine_versions(engine)
    if listed is None:
        return None
    deprecated = set(rds_deprecated_engine_versions(engine))
    offered = [version for version in listed if version not in deprecated and "." in version]
    majors = {version.split(".", 1)[0] for version in offered}
    offered += [version for version in listed if "." not in version and version in majors]
    return tuple(offered)


def rds_engine_version_offered(engine: str, version: str) -> bool | None:
    """Whether RDS creates a new ``engine`` DB instance at ``version``; None when there is no data."""
    offered = rds_engine_versions_for_new_instances(engine)
    return None if offered is None else str(version) in offered


def elasticache_engine_versions(engine: str) -> tuple[str, ...] | None:
    """The engine versions ElastiCache offers for ``engine`` (redis, valkey, memcached), or None."""
    return _versions_by_engine(*ELASTICACHE_LISTED).get(engine)


def elasticache_engine_version_offered(engine: str, version: str) -> bool | None:
    """Whether ElastiCache creates an ``engine`` cluster at ``version``; None when there is no data."""
    offered = elasticache_engine_versions(engine)
    return None if offered is None else str(version) in offered
