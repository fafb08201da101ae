"""ElastiCache: cache parameter groups and their parameters.

Real ElastiCache (botocore ``elasticache`` 2015-02-02) implements CreateCacheParameterGroup,
DescribeCacheParameterGroups, DescribeEngineDefaultParameters, DescribeCacheParameters,
ModifyCacheParameterGroup, ResetCacheParameterGroup and DeleteCacheParameterGroup; moto 5.2.5
answers HTTP 500 to each.
This keeps the groups per account and region, as AWS does:

- every family has a read-only ``default.<family>`` group (listed, not modifiable, not deletable);
- DescribeCacheParameters returns every parameter of the group's family (``Parameter`` shape:
  ParameterName, ParameterValue, Description, Source ``user`` once set, else ``system``,
  DataType, AllowedValues, IsModifiable, MinimumEngineVersion, ChangeType), filtered by
  ``Source`` and paged by ``MaxRecords`` (20..100, default 100) / ``Marker``;
- ModifyCacheParameterGroup takes at most 20 parameters per request, checks each name against
  the family, the value against ``AllowedValues`` / ``DataType`` and refuses non-modifiable ones;
- DescribeEngineDefaultParameters returns a family's defaults (``EngineDefaults``), so a new
  group's parameters can be checked before it is created;
- errors carry AWS's codes: ``CacheParameterGroupNotFound``, ``CacheParameterGroupAlreadyExists``,
  ``InvalidCacheParameterGroupState``, ``InvalidParameterValue``, ``InvalidParameterCombination``;
- ``arn:aws:elasticache:<region>:<account>:parametergroup:<name>`` takes tags
  (ListTagsForResource / AddTagsToResource / RemoveTagsFromResource).

The parameter catalogue is a subset of AWS's (the parameters Airflow's broker and this
collection touch, with AWS's defaults, types and allowed values), not the full list.
"""

from __future__ import annotations

import re

from moto.core.responses import ActionResult, EmptyResult
from moto.elasticache.exceptions import ElastiCacheException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse


class CacheParameterGroupNotFound(ElastiCacheException):
    code = "CacheParameterGroupNotFound"

    def __init__(self, name: str):
        super().__init__(f"CacheParameterGroup {name} not found.")


class CacheParameterGroupAlreadyExists(ElastiCacheException):
    code = "CacheParameterGroupAlreadyExists"

    def __init__(self, name: str):
        super().__init__(f"Cache Parameter Group {name} already exists.")


class InvalidCacheParameterGroupState(ElastiCacheException):
    code = "InvalidCacheParameterGroupState"


class InvalidParameterValue(ElastiCacheException):
    code = "InvalidParameterValue"


class InvalidParameterCombination(ElastiCacheException):
    code = "InvalidParameterCombination"


# family -> engine version the family starts at (parameters with a higher minimum are left out)
FAMILIES = {
    "memcached1.4": "1.4.5",
    "memcached1.5": "1.5.10",
    "memcached1.6": "1.6.6",
    "redis2.6": "2.6.13",
    "redis2.8": "2.8.4",
    "redis3.2": "3.2.4",
    "redis4.0": "4.0.10",
    "redis5.0": "5.0.0",
    "redis6.x": "6.0.5",
    "redis7": "7.0.4",
    "valkey7": "7.2.4",
    "valkey8": "8.0.1",
}

EVICTION = (
    "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"
)

# name, default, data type, allowed values, modifiable, change type, minimum engine version, description
REDIS_PARAMETERS = [
    (
        "activedefrag",
        "no",
        "string",
        "yes,no",
        True,
        "immediate",
        "4.0.9",
        "Enabled active memory defragmentation",
    ),
    (
        "activerehashing",
        "yes",
        "string",
        "yes,no",
        True,
        "requires-reboot",
        "2.6.13",
        "Apply rehashing or not.",
    ),
    (
        "appendfsync",
        "everysec",
        "string",
        "always,everysec,no",
        True,
        "immediate",
        "2.6.13",
        "fsync policy for AOF persistence",
    ),
    ("appendonly", "no", "string", "yes,no", True, "immediate", "2.6.13", "Enable Redis persistence."),
    (
        "client-output-buffer-limit-pubsub-hard-limit",
        "33554432",
        "integer",
        "0-",
        True,
        "immediate",
        "2.6.13",
        "Pub/sub client output buffer hard limit in bytes.",
    ),
    (
        "close-on-replica-write",
        "yes",
        "string",
        "yes,no",
        True,
        "immediate",
        "5.0.0",
        "If enabled, clients who attempt to write to a read-only replica will be disconnected.",
    ),
    (
        "cluster-allow-reads-when-down",
        "no",
        "string",
        "yes,no",
        True,
        "immediate",
        "6.0.0",
        "Allow reads when the cluster is down.",
    ),
    ("cluster-enabled", "no", "string", "yes,no", True, "requires-reboot", "3.2.4", "Enable cluster mode"),
    (
        "databases",
        "16",
        "integer",
        "1-1200000",
        True,
        "requires-reboot",
        "2.6.13",
        "Set the number of databases.",
    ),
    (
        "lazyfree-lazy-eviction",
        "no",
        "string",
        "yes,no",
        True,
        "immediate",
        "4.0.10",
        "Perform an asynchronous delete on evictions",
    ),
    (
        "lazyfree-lazy-expire",
        "no",
        "string",
        "yes,no",
        True,
        "immediate",
        "4.0.10",
        "Perform an asynchronous delete on expired keys",
    ),
    (
        "lua-time-limit",
        "5000",
        "integer",
        "5000",
        False,
        "immediate",
        "2.6.13",
        "Max execution time of a Lua script in milliseconds.",
    ),
    (
        "maxclients",
        "65000",
        "integer",
        "1-65000",
        False,
        "requires-reboot",
        "2.6.13",
        "The maximum number of Redis clients.",
    ),
    (
        "maxmemory-policy",
        "volatile-lru",
        "string",
        EVICTION,
        True,
        "immediate",
        "2.6.13",
        "Max memory policy.",
    ),
    ("maxmemory-samples", "3", "integer", "1-", True, "immediate", "2.6.13", "Max memory samples."),
    (
        "notify-keyspace-events",
        "",
        "string",
        None,
        True,
        "immediate",
        "2.8.6",
        "The keyspace events for Redis to notify Pub/Sub clients about.",
    ),
    (
        "reserved-memory-percent",
        "25",
        "integer",
        "0-100",
        True,
        "immediate",
        "2.8.22",
        "The percent of memory to reserve for non-cache memory usage.",
    ),
    (
        "slowlog-log-slower-than",
        "10000",
        "integer",
        "-",
        True,
        "immediate",
        "2.6.13",
        "The execution time, in microseconds, to exceed in order for the command to get logged.",
    ),
    ("slowlog-max-len", "128", "integer", "0-", True, "immediate", "2.6.13", "The length of the slow log."),
    (
        "tcp-keepalive",
        "300",
        "integer",
        "0-",
        True,
        "immediate",
        "2.6.13",
        "If non-zero, send ACKs every given number of seconds.",
    ),
    (
        "timeout",
        "0",
        "integer",
        "0,20-",
        True,
        "immediate",
        "2.6.13",
        "Close connection if client is idle for a given number of seconds, or never if 0.",
    ),
]

MEMCACHED_PARAMETERS = [
    (
        "chunk_size",
        "48",
        "integer",
        "1-",
        True,
        "requires-reboot",
        "1.4.5",
        "Minimum allocated space for a key+value+flags (bytes).",
    ),
    (
        "max_item_size",
        "1048576",
        "integer",
        "1048576-134217728",
        True,
        "requires-reboot",
        "1.4.5",
        "Size of the largest item storable in the cache.",
    ),
    (
        "maxconns_fast",
        "0",
        "boolean",
        "0,1",
        True,
        "requires-reboot",
        "1.4.5",
        "Close new connections when the connection limit is reached.",
    ),
]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def family_catalogue(family: str) -> dict[str, dict]:
    """{name: parameter} with AWS's defaults for ``family``."""
    rows = MEMCACHED_PARAMETERS if family.startswith("memcached") else REDIS_PARAMETERS
    start = _version(FAMILIES[family])
    catalogue = {}
    for name, default, data_type, allowed, modifiable, change, minimum, description in rows:
        if family.startswith("redis") and _version(minimum) > start:
            continue
        catalogue[name] = {
            "ParameterName": name,
            "ParameterValue": default,
            "Description": description,
            "Source": "system",
            "DataType": data_type,
            "AllowedValues": allowed,
            "IsModifiable": modifiable,
            "MinimumEngineVersion": minimum,
            "ChangeType": change,
        }
    return catalogue


class CacheParameterGroup:
    def __init__(self, account_id: str, region: str, name: str, family: str, description: str, default=False):
        self.cache_parameter_group_name = name
        self.cache_parameter_group_family = family
        self.description = description
        self.is_global = False
        self.is_default = default
        self.arn = f"arn:aws:elasticache:{region}:{account_id}:parametergroup:{name}"
        self.user_values: dict[str, str] = {}

    def parameters(self) -> list[dict]:
        catalogue = family_catalogue(self.cache_parameter_group_family)
        for name, value in self.user_values.items():
            catalogue[name] = {**catalogue[name], "ParameterValue": value, "Source": "user"}
        return [catalogue[name] for name in sorted(catalogue)]


def groups(backend: ElastiCacheBackend) -> dict[str, CacheParameterGroup]:
    """The account/region's parameter groups (the default ones created on first use)."""
    store = getattr(backend, "cache_parameter_groups", None)
    if store is None:
        store = {}
        for family in FAMILIES:
            name = f"default.{family}"
            store[name] = CacheParameterGroup(
                backend.account_id,
                backend.region_name,
                name,
                family,
                f"Default parameter group for {family}",
                default=True,
            )
        backend.cache_parameter_groups = store
    return store


def get_group(backend: ElastiCacheBackend, name: str) -> CacheParameterGroup:
    found = groups(backend).get((name or "").lower())
    if found is None:
        raise CacheParameterGroupNotFound(name)
    return found


def _valid_name(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}", name)) and not name.endswith("-")


def _check_value(param: dict, value: str) -> None:
    name = param["ParameterName"]
    if not param["IsModifiable"]:
        raise InvalidParameterValue(f"Parameter {name} is not modifiable.")
    allowed = param["AllowedValues"]
    if param["DataType"] == "integer" or (param["DataType"] == "boolean" and allowed == "0,1"):
        if not re.fullmatch(r"-?\d+", value or ""):
            raise InvalidParameterValue(
                f"Value ({value}) for parameter {name} is incorrect. Must be an integer."
            )
        number = int(value)
        ranges = [] if not allowed else allowed.split(",")
        ok = not ranges
        for part in ranges:
            low, sep, high = part.partition("-") if not part.startswith("-") else ("", "-", part[1:])
            if not sep:
                ok = ok or number == int(low)
            else:
                ok = ok or ((not low or number >= int(low)) and (not high or number <= int(high)))
        if not ok:
            raise InvalidParameterValue(
                f"Value ({value}) for parameter {name} is incorrect. Allowed values: {allowed}"
            )
    elif allowed and value not in allowed.split(","):
        raise InvalidParameterValue(
            f"Value ({value}) for parameter {name} is incorrect. Allowed values: {allowed}"
        )


def _page(items: list, max_records, marker) -> tuple[list, str | None]:
    size = 100 if max_records in (None, "") else int(max_records)
    if size < 20 or size > 100:
        raise InvalidParameterValue("MaxRecords must be between 20 and 100.")
    start = int(marker) if marker and str(marker).isdigit() else 0
    page = items[start : start + size]
    return page, str(start + size) if start + size < len(items) else None


def apply() -> None:
    original_init = ElastiCacheBackend.__init__

    def __init__(self, region_name, account_id):
        original_init(self, region_name, account_id)
        # ARNs of parameter groups take tags too (moto's regex forgets them)
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:"
            r"(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
        )

    ElastiCacheBackend.__init__ = __init__

    def create_cache_parameter_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName") or ""
        family = self._get_param("CacheParameterGroupFamily") or ""
        description = self._get_param("Description")
        if description is None:
            raise InvalidParameterValue("The parameter Description must be provided and must not be blank.")
        if not _valid_name(name):
            raise InvalidParameterValue(
                "Parameter CacheParameterGroupName must begin with a letter, contain only ASCII letters, "
                "digits, and hyphens, and must not end with a hyphen or contain two consecutive hyphens."
            )
        if family not in FAMILIES:
            raise InvalidParameterValue(
                f"The parameter CacheParameterGroupFamily {family} is not a valid value."
            )
        store = groups(backend)
        key = name.lower()
        if key in store:
            raise CacheParameterGroupAlreadyExists(name)
        group = CacheParameterGroup(backend.account_id, backend.region_name, key, family, description)
        store[key] = group
        tags = self._get_param("Tags", [])
        if tags:
            backend.tagging_service.tag_resource(group.arn, tags)
        return ActionResult({"CacheParameterGroup": group})

    def describe_cache_parameter_groups(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        store = groups(backend)
        found = [get_group(backend, name)] if name else [store[k] for k in sorted(store)]
        page, marker = _page(found, self._get_param("MaxRecords"), self._get_param("Marker"))
        return ActionResult({"CacheParameterGroups": page, "Marker": marker})

    def describe_cache_parameters(self):
        group = get_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        source = self._get_param("Source")
        if source and source not in ("user", "system", "engine-default"):
            raise InvalidParameterValue(
                f"Invalid value for Source: {source}. Valid values: user, system, engine-default"
            )
        params = [
            p for p in group.parameters() if not source or p["Source"] == source or source == "engine-default"
        ]
        page, marker = _page(params, self._get_param("MaxRecords"), self._get_param("Marker"))
        return ActionResult({"Parameters": page, "CacheNodeTypeSpecificParameters": [], "Marker": marker})

    def _parameter_values(self) -> list[dict]:
        values = self._get_param("ParameterNameValues", []) or []
        if len(values) > 20:
            raise InvalidParameterValue("You can modify up to 20 parameters in a single request.")
        return values

    def modify_cache_parameter_group(self):
        group = get_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        if group.is_default:
            raise InvalidCacheParameterGroupState(
                f"Cannot modify default cache parameter group {group.cache_parameter_group_name}."
            )
        values = _parameter_values(self)
        if not values:
            raise InvalidParameterValue(
                "The parameter ParameterNameValues must be provided and must not be empty."
            )
        catalogue = family_catalogue(group.cache_parameter_group_family)
        for entry in values:
            name = entry.get("ParameterName")
            if name not in catalogue:
                raise InvalidParameterValue(
                    f"Invalid parameter name {name} for family {group.cache_parameter_group_family}."
                )
            _check_value(catalogue[name], entry.get("ParameterValue"))
        for entry in values:
            name, value = entry["ParameterName"], entry.get("ParameterValue")
            group.user_values[name] = value  # AWS reports it as user-set, even at the default value
        return ActionResult({"CacheParameterGroupName": group.cache_parameter_group_name})

    def reset_cache_parameter_group(self):
        group = get_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        if group.is_default:
            raise InvalidCacheParameterGroupState(
                f"Cannot reset default cache parameter group {group.cache_parameter_group_name}."
            )
        reset_all = self._get_bool_param("ResetAllParameters")
        values = _parameter_values(self)
        if reset_all and values:
            raise InvalidParameterCombination(
                "ResetAllParameters cannot be combined with ParameterNameValues."
            )
        if not reset_all and not values:
            raise InvalidParameterCombination(
                "Either ResetAllParameters or ParameterNameValues must be given."
            )
        if reset_all:
            group.user_values.clear()
        catalogue = family_catalogue(group.cache_parameter_group_family)
        for entry in values:
            if entry.get("ParameterName") not in catalogue:
                raise InvalidParameterValue(f"Invalid parameter name {entry.get('ParameterName')}.")
            group.user_values.pop(entry["ParameterName"], None)
        return ActionResult({"CacheParameterGroupName": group.cache_parameter_group_name})

    def delete_cache_parameter_group(self):
        backend = self.elasticache_backend
        group = get_group(backend, self._get_param("CacheParameterGroupName"))
        if group.is_default:
            raise InvalidCacheParameterGroupState("Cannot delete default cache parameter group.")
        users = [
            rg.replication_group_id
            for rg in backend.replication_groups.values()
            if (getattr(rg, "cache_parameter_group_name", None) or "").lower()
            == group.cache_parameter_group_name
        ]
        if users:
            raise InvalidCacheParameterGroupState(
                f"Parameter group {group.cache_parameter_group_name} is in use by {', '.join(sorted(users))}."
            )
        del groups(backend)[group.cache_parameter_group_name]
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    def describe_engine_default_parameters(self):
        family = self._get_param("CacheParameterGroupFamily") or ""
        if family not in FAMILIES:
            raise InvalidParameterValue(
                f"The parameter CacheParameterGroupFamily {family} is not a valid value."
            )
        params = [family_catalogue(family)[name] for name in sorted(family_catalogue(family))]
        page, marker = _page(params, self._get_param("MaxRecords"), self._get_param("Marker"))
        return ActionResult(
            {
                "EngineDefaults": {
                    "CacheParameterGroupFamily": family,
                    "Marker": marker,
                    "Parameters": page,
                    "CacheNodeTypeSpecificParameters": [],
                }
            }
        )

    for function in (
        describe_engine_default_parameters,
        create_cache_parameter_group,
        describe_cache_parameter_groups,
        describe_cache_parameters,
        modify_cache_parameter_group,
        reset_cache_parameter_group,
        delete_cache_parameter_group,
    ):
        setattr(ElastiCacheResponse, function.__name__, function)
