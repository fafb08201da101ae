# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What AWS accepts for a value, read from the field's libraries, before any AWS call.

The rules come from cfn-lint's bundled CloudFormation resource schemas (patterns, lengths,
enumerations, minimum and maximum) and its extension schemas (engine versions offered and
deprecated, per-engine maxima, per-region instance classes), then from botocore's service
models (min/max/pattern/enum of an API member). Only what neither library knows is written
here by hand, each with the AWS rule it follows: a few name rules that live only in AWS's
documentation, backup and maintenance windows, and SNS endpoints per protocol.

Every check takes the inventory variable to name, so that a message reads as the user wrote
the inventory. Pure Python: no AWS call, nothing downloaded (cfn-lint's bundled data only).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import re
from pathlib import Path

from ansible_collections.pathwai.airflow_ecs.plugins.module_utils import aws_engine_versions

DEFAULT_REGION = "us-east-1"
# cfn-lint's region-keyed extension schemas run to megabytes (instance classes per region and
# engine): read only when a check names them.
LARGE_EXTENSION = 256 * 1024


# ---------------------------------------------------------------- cfn-lint's data
# Read from cfn-lint's package data without importing cfn-lint (its rule engine takes a second to
# import, and Ansible runs each task's filters in a fresh worker process): the same files its
# ProviderSchemaManager reads, providers/<region>.json -> resources/<hash>.json.


@functools.cache
def _cfnlint_root() -> Path:
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("cfn-lint is required for the inventory checks (pip install cfn-lint)")
    return Path(next(iter(spec.submodule_search_locations)))


def _cfnlint_data() -> Path:
    return _cfnlint_root() / "data" / "schemas"


def _read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _provider(region: str) -> dict:
    path = _cfnlint_data() / "providers" / f"{region}.json"
    return _read(path if path.exists() else path.with_name(f"{DEFAULT_REGION}.json"))


@functools.cache
def resource_schema(resource_type: str, region: str = DEFAULT_REGION) -> dict:
    """The CloudFormation resource schema cfn-lint validates ``resource_type`` with in ``region``."""
    return _read(_cfnlint_data() / "resources" / f"{_provider(region)[resource_type]}.json")


def _extension_dir(resource_type: str) -> Path:
    return _cfnlint_data() / "extensions" / resource_type.lower().replace("::", "_")


@functools.cache
def _extension(path: Path, region: str) -> dict | None:
    schema = _read(path)
    if "cfnGather" in schema:  # needs the other resources of a template
        return None
    if DEFAULT_REGION in schema:  # keyed by region
        schema = schema.get(region) or schema[DEFAULT_REGION]
    return schema


def _extensions(resource_type: str, region: str, named: tuple[str, ...]) -> list[tuple[str, dict]]:
    """cfn-lint's extra schemas for a resource type: the small ones, and the large ones ``named``."""
    folder = _extension_dir(resource_type)
    schemas = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.stem in named or path.stat().st_size <= LARGE_EXTENSION:
            schema = _extension(path, region)
            if schema is not None:
                schemas.append((path.stem, schema))
    return schemas


def _constant(node, prefix: str) -> str | None:
    """A rule's pattern argument: a string, or ``self.ARN_PREFIX + r"..."``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant(node.left, prefix), _constant(node.right, prefix)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Attribute) and node.attr == "ARN_PREFIX":
        return prefix
    return None


@functools.cache
def _cfnlint_formats() -> dict:
    """cfn-lint's own format rules (rules/formats: AWS::EC2::SecurityGroup.Name,
    AWS::Lambda::Function.Arn, ...): each rule's ``format`` and ``pattern``, read from its source."""
    folder = _cfnlint_root() / "rules" / "formats"
    base = ast.parse((folder / "FormatKeyword.py").read_text(encoding="utf-8"))
    prefix = next(
        node.value.value
        for node in ast.walk(base)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ARN_PREFIX"
    )
    formats = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                arguments = {keyword.arg: _constant(keyword.value, prefix) for keyword in node.keywords}
                if arguments.get("format") and arguments.get("pattern"):
                    formats[arguments["format"]] = arguments["pattern"]
    return formats


@functools.cache
def _format_checker() -> object:
    """A jsonschema format checker that knows cfn-lint's formats (and only those)."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, pattern in _cfnlint_formats().items():
        compiled = re.compile(pattern)

        def check(instance, compiled=compiled) -> bool:
            return not isinstance(instance, str) or bool(compiled.match(instance))

        checker.checks(name)(check)
    return checker


def _coerce(value, schema: dict):
    """Inventory values arrive as Ansible wrote them: "7" for 7 and 100 for "100"."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if "number" in kinds and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kinds == ["string"] and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _reason(error) -> str:
    """jsonschema's error, said without the schema's internals."""
    schema, value = error.schema, error.instance
    validator = error.validator
    if validator == "maxLength":
        return f"{len(value)} characters, at most {schema['maxLength']} allowed"
    if validator == "minLength":
        return f"{len(value)} characters, at least {schema['minLength']} needed"
    if validator == "enum":
        values = [str(v) for v in schema["enum"]]
        if len(values) > 30:
            return f"not one of the {len(values)} values AWS accepts here"
        return "not one of " + ", ".join(values)
    if validator == "pattern":
        return f"does not match {schema['pattern']}"
    if validator == "format":
        return f"does not match the {schema['format']} format"
    if validator in ("minimum", "maximum"):
        return (
            f"{'below the minimum' if validator == 'minimum' else 'above the maximum'} of {schema[validator]}"
        )
    return error.message


def property_problem(
    variable: str,
    value,
    resource_type: str,
    prop: str,
    region: str = DEFAULT_REGION,
    context: dict | None = None,
    extensions: tuple[str, ...] = (),
) -> str | None:
    """Why AWS would refuse ``value`` as ``resource_type``'s ``prop`` (cfn-lint's resource schema,
    then its extension schemas, evaluated with ``context``: the other properties the role sets,
    e.g. ``{"Engine": "postgres"}``; large extensions only when in ``extensions``), naming
    ``variable``; None when it is accepted."""
    from jsonschema import Draft7Validator

    full = resource_schema(resource_type, region)
    if "." in prop:  # Definition.Property, e.g. LifecyclePolicy.TransitionToIA
        definition, name = prop.split(".", 1)
        sub = full["definitions"][definition]["properties"].get(name)
    else:
        sub = full["properties"].get(prop)
    if sub is None:
        raise KeyError(f"{resource_type} has no property {prop}")
    schema = {"definitions": full.get("definitions", {}), **sub}
    value = _coerce(value, sub)
    checker = _format_checker()
    for error in Draft7Validator(schema, format_checker=checker).iter_errors(value):
        return _message(variable, value, resource_type, prop, _reason(error))
    properties = {**(context or {}), prop: value}
    for name, extension in _extensions(resource_type, region, extensions) if "." not in prop else ():
        validator = Draft7Validator(extension, format_checker=checker)
        if "enum" in extension and name.startswith(prop.lower()):  # a property's own list
            for error in validator.iter_errors(value):
                return _message(variable, value, resource_type, prop, _reason(error))
            continue
        for error in validator.iter_errors(properties):
            if list(error.absolute_path)[:1] == [prop]:
                return _message(variable, value, resource_type, prop, _reason(error))
    return None


def documented_values(resource_type: str, prop: str, region: str = DEFAULT_REGION) -> tuple[str, ...]:
    """The values a property's schema description lists as ``Valid Values: ``a | b``..`` (AWS's
    resource schemas list some enumerations only there, e.g. RDS ``MonitoringInterval``)."""
    text = resource_schema(resource_type, region)["properties"][prop].get("description", "")
    found = re.search(r"Valid Values:\s*``([^`]+)``", text)
    return tuple(v.strip() for v in found.group(1).split("|")) if found else ()


def documented_value_problem(variable: str, value, resource_type: str, prop: str) -> str | None:
    """Why ``value`` is not one of the property's documented valid values (None when it is, or
    when the schema documents none)."""
    allowed = documented_values(resource_type, prop)
    if not allowed or str(value) in allowed:
        return None
    return _message(variable, value, resource_type, prop, f"must be one of {', '.join(allowed)}")


def _message(variable: str, value, resource_type: str, prop: str, reason: str) -> str:
    return f"{variable}={value!r} is refused by AWS as {resource_type} {prop}: {reason}"


# ---------------------------------------------------------------- botocore's models


@functools.cache
def _service_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def api_member_problem(variable: str, value, service: str, operation: str, member: str) -> str | None:
    """Why AWS's API would refuse ``value`` as ``member`` of ``service``'s ``operation`` (botocore's
    min, max, pattern and enum), naming ``variable``; None when it is accepted."""
    shape = _service_model(service).operation_model(operation).input_shape.members[member]
    meta, where = shape.metadata, f"{service} {operation} {member}"
    reason = None
    if shape.type_name == "string":
        text = str(value)
        if "min" in meta and len(text) < meta["min"]:
            reason = f"{len(text)} characters, at least {meta['min']} needed"
        elif "max" in meta and len(text) > meta["max"]:
            reason = f"{len(text)} characters, at most {meta['max']} allowed"
        elif "pattern" in meta and not re.fullmatch(meta["pattern"], text):
            reason = f"does not match {meta['pattern']}"
        elif shape.enum and text not in shape.enum:
            reason = "not one of " + ", ".join(shape.enum)
    elif shape.type_name in ("integer", "long", "double", "float"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            reason = "not a number"
        else:
            if "min" in meta and number < meta["min"]:
                reason = f"below the minimum of {meta['min']}"
            elif "max" in meta and number > meta["max"]:
                reason = f"above the maximum of {meta['max']}"
    return f"{variable}={value!r} is refused by AWS ({where}): {reason}" if reason else None


# ---------------------------------------------------------------- engine versions (cfn-lint's data)


def engine_versions(resource_type: str, engine: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(versions AWS lists, versions it refuses for new resources) of ``engine``, from cfn-lint's
    data through aws_engine_versions (the emulator reads the same). ``resource_type``:
    AWS::RDS::DBInstance or AWS::ElastiCache::CacheCluster (replication groups run the same
    engine versions)."""
    if resource_type == "AWS::RDS::DBInstance":
        listed = aws_engine_versions.rds_listed_engine_versions(engine) or ()
        offered = set(aws_engine_versions.rds_engine_versions_for_new_instances(engine) or ())
        return tuple(listed), tuple(version for version in listed if version not in offered)
    return tuple(aws_engine_versions.elasticache_engine_versions(engine) or ()), ()


def engine_version_problem(
    variable: str, version, resource_type: str, engine: str, major: str | None = None, major_from: str = ""
) -> str | None:
    """Why ``version`` of ``engine`` cannot be created (not of ``major``, which ``major_from``
    names; unknown; or deprecated for new resources)."""
    version = str(version)
    offered, deprecated = engine_versions(resource_type, engine)
    current = [
        v for v in offered if v not in deprecated and "." in v and (not major or v.split(".")[0] == major)
    ]
    listed = ", ".join(sorted(current, key=_version_key))
    if major and version.split(".")[0] != major:
        return (
            f"{variable}={version!r} is not a known {engine} {major} version ({major_from} is for "
            f"{engine} {major}; AWS offers {listed})"
        )
    if version not in offered:
        return f"{variable}={version!r} is not a known {engine} version (AWS offers {listed})"
    if version in deprecated:
        return (
            f"{variable}={version!r} is deprecated: AWS refuses it for new {engine} resources "
            f"(use one of {listed})"
        )
    return None


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


# ---------------------------------------------------------------- regions and zones


@functools.cache
def regions() -> tuple[str, ...]:
    """Every region cfn-lint has provider schemas for."""
    return tuple(sorted(path.stem for path in (_cfnlint_data() / "providers").glob("*-*-*.json")))


def region_problem(variable: str, region: str) -> str | None:
    if str(region) not in regions():
        return f"{variable}={region!r} is not an AWS region (e.g. us-east-1, eu-west-1)"
    return None


def zone_problems(variable: str, zones: list, region: str, region_variable: str) -> list[str]:
    """Availability zones (names such as us-east-1a, or Local Zones us-east-1-bos-1a) outside ``region``."""
    problems = []
    for zone in zones or []:
        if not re.fullmatch(re.escape(str(region)) + r"(-[a-z]+-\d+)?[a-z]", str(zone)):
            problems.append(
                f"{variable} has {zone!r}, which is not an availability zone of "
                f"{region_variable}={region!r} (e.g. {region}a)"
            )
    return problems


# ---------------------------------------------------------------- names only AWS's documentation holds

# Neither cfn-lint's schemas nor botocore's models carry these (the API members are plain strings).
NAME_RULES = {
    # ELB: "at most 32 characters, alphanumeric or hyphens, not beginning or ending with a hyphen",
    # a load balancer's name not beginning with "internal-".
    "AWS::ElasticLoadBalancingV2::LoadBalancer Name": (
        32,
        r"(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup Name": (32, r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"),
    # ElastiCache: 1-40 characters, a letter first, letters, digits and hyphens, no two
    # consecutive hyphens, not ending with a hyphen.
    "AWS::ElastiCache::ReplicationGroup ReplicationGroupId": (40, r"[A-Za-z](?:-?[A-Za-z0-9])*"),
    # ECS: up to 255 letters, numbers, underscores and hyphens.
    "AWS::ECS::Cluster ClusterName": (255, r"[A-Za-z0-9_-]+"),
    "AWS::ECS::Service ServiceName": (255, r"[A-Za-z0-9_-]+"),
    # SNS: 1-256 ASCII letters, numbers, underscores and hyphens.
    "AWS::SNS::Topic TopicName": (256, r"[A-Za-z0-9_-]+"),
    # RDS / ElastiCache subnet and parameter groups: a letter first, letters, digits, hyphens.
    "AWS::RDS::DBSubnetGroup DBSubnetGroupName": (255, r"[A-Za-z](?:-?[A-Za-z0-9 ._])*"),
    "AWS::RDS::DBParameterGroup DBParameterGroupName": (255, r"[A-Za-z](?:-?[A-Za-z0-9])*"),
}


def name_problem(variable: str, value: str, rule: str) -> str | None:
    limit, pattern = NAME_RULES[rule]
    value = str(value)
    if not 1 <= len(value) <= limit:
        return _message(
            variable, value, *rule.split(" "), f"{len(value)} characters, at most {limit} allowed"
        )
    if not re.fullmatch(pattern, value):
        return _message(variable, value, *rule.split(" "), f"does not match {pattern}")
    return None


# EC2's security-group rule descriptions: up to 255 of a-zA-Z0-9, spaces and ._-:/()#,@[]+=;{}!$*
# (group descriptions, in cfn-lint's schema, also allow &).
RULE_DESCRIPTION = re.compile(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=;{}!$*]{0,255}")


def rule_description_problem(variable: str, value: str) -> str | None:
    if not RULE_DESCRIPTION.fullmatch(str(value)):
        return (
            f"{variable}={value!r} is refused by AWS as a security-group rule description: up to 255 of "
            "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*"
        )
    return None


# ---------------------------------------------------------------- where a derived name comes from


def prefix_links(role: str, prefix: str, project: str, env: str) -> list[dict]:
    """The usual chain of a role's names: ``<role>_name_prefix`` defaults to
    ``<airflow_project>-<airflow_env>``."""
    return [
        {"variable": f"{role}_name_prefix", "value": prefix, "default": f"{project}-{env}"},
        {"variable": "airflow_project", "value": project, "with": f"airflow_env={env!r}"},
    ]


def origin(links: list[dict]) -> dict:
    """The link the user set: ``links`` go from a derived value to its roots, each
    ``{variable, value, default}`` where ``default`` is what the role's defaults would make of
    the links after it. The first link whose value differs from its default was set by the user;
    when none does, the last (the root, e.g. airflow_project)."""
    for link in links[:-1]:
        if str(link["value"]) != str(link["default"]):
            return link
    return links[-1]


def blame(problem: str | None, links: list[dict]) -> str | None:
    """``problem`` about a derived value, led by the variable the user set to make it."""
    if problem is None:
        return None
    link = origin(links)
    if problem.startswith(f"{link['variable']}="):
        return problem
    label = f"{link['variable']}={link['value']!r}"
    if link.get("with"):
        label += f" (with {link['with']})"
    return f"{label} -> {problem}"


# ---------------------------------------------------------------- maintenance and backup windows

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAILY = re.compile(r"(?P<h1>[01]\d|2[0-3]):(?P<m1>[0-5]\d)-(?P<h2>[01]\d|2[0-3]):(?P<m2>[0-5]\d)")
WEEKLY = re.compile(
    r"(?P<d1>mon|tue|wed|thu|fri|sat|sun):(?P<h1>[01]\d|2[0-3]):(?P<m1>[0-5]\d)-"
    r"(?P<d2>mon|tue|wed|thu|fri|sat|sun):(?P<h2>[01]\d|2[0-3]):(?P<m2>[0-5]\d)"
)
WEEK = 7 * 24 * 60


def _minutes(match, day: str | None = None, end: bool = False) -> int:
    index = "2" if end else "1"
    days = DAYS.index(match[f"d{index}"]) if day is None else DAYS.index(day)
    return days * 24 * 60 + int(match[f"h{index}"]) * 60 + int(match[f"m{index}"])


def _span(start: int, end: int, period: int) -> tuple[int, int]:
    return start, end if end > start else end + period


def window_problems(
    daily: tuple[str, str], weekly: tuple[str, str], minimum_daily: int, minimum_weekly: int, service: str
) -> list[str]:
    """An RDS backup window / ElastiCache snapshot window (``hh24:mi-hh24:mi`` UTC, daily) and its
    maintenance window (``ddd:hh24:mi-ddd:hh24:mi`` UTC, weekly): formats, the service's minimum
    lengths, and no overlap (AWS refuses a backup window that overlaps the maintenance window).
    Each is ``(variable, value)``. Hand-written: no library models these strings."""
    (daily_var, daily_value), (weekly_var, weekly_value) = daily, weekly
    problems = []
    day = DAILY.fullmatch(str(daily_value))
    week = WEEKLY.fullmatch(str(weekly_value).lower())
    if not day:
        problems.append(f"{daily_var}={daily_value!r} must be hh24:mi-hh24:mi in UTC (e.g. 03:00-04:00)")
    if not week:
        problems.append(
            f"{weekly_var}={weekly_value!r} must be ddd:hh24:mi-ddd:hh24:mi in UTC (e.g. sun:05:00-sun:06:00)"
        )
    if day:
        start, end = _span(_minutes(day, "mon"), _minutes(day, "mon", end=True), 24 * 60)
        if end - start < minimum_daily:
            problems.append(
                f"{daily_var}={daily_value!r} is {end - start} minutes: "
                f"{service} needs at least {minimum_daily}"
            )
    if week:
        w_start, w_end = _span(_minutes(week), _minutes(week, end=True), WEEK)
        if w_end - w_start < minimum_weekly:
            problems.append(
                f"{weekly_var}={weekly_value!r} is {w_end - w_start} minutes: "
                f"{service} needs at least {minimum_weekly}"
            )
    if day and week:
        for weekday in DAYS:
            d_start, d_end = _span(_minutes(day, weekday), _minutes(day, weekday, end=True), WEEK)
            if any(d_start < w_end + shift and w_start + shift < d_end for shift in (-WEEK, 0, WEEK)):
                problems.append(
                    f"{daily_var}={daily_value!r} overlaps {weekly_var}={weekly_value!r}: "
                    f"{service} refuses a backup window that overlaps the maintenance window"
                )
                break
    return problems


# ---------------------------------------------------------------- SNS endpoints per protocol

ARN = r"arn:aws[a-z-]*:{service}:[a-z0-9-]+:\d{{12}}:{resource}"
ENDPOINTS = {
    # A mailbox: local part @ a domain with a dot.
    "email": (r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address"),
    "email-json": (r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address"),
    "http": (r"http://[^\s/]+\S*", "an http:// URL"),
    "https": (r"https://[^\s/]+\S*", "an https:// URL"),
    "sqs": (ARN.format(service="sqs", resource=r"[A-Za-z0-9_-]{1,80}(\.fifo)?"), "an SQS queue ARN"),
    # SMS: a phone number in E.164 (+, country code, up to 15 digits).
    "sms": (r"\+[1-9]\d{1,14}", "a phone number in E.164 format (e.g. +14155550100)"),
    "application": (ARN.format(service="sns", resource=r"endpoint/\S+"), "a mobile platform endpoint ARN"),
    "firehose": (
        ARN.format(service="firehose", resource=r"deliverystream/\S+"),
        "a Firehose delivery stream ARN",
    ),
}


def subscription_problem(
    variable: str, protocol: str, endpoint: str, region: str = DEFAULT_REGION
) -> str | None:
    """Why SNS would refuse ``endpoint`` for ``protocol``: cfn-lint's AWS::SNS::Subscription
    extension first (lambda ARNs by its format rule), then the per-protocol forms SNS documents."""
    problem = property_problem(
        variable, endpoint, "AWS::SNS::Subscription", "Endpoint", region, context={"Protocol": protocol}
    )
    if problem:
        return f"{problem} (for protocol {protocol})"
    if protocol == "lambda":
        return None
    form = ENDPOINTS.get(protocol)
    if form is None:
        return f"{variable}: protocol {protocol!r} is not one of {', '.join([*ENDPOINTS, 'lambda'])}"
    if not re.fullmatch(form[0], str(endpoint)):
        return f"{variable}: endpoint {endpoint!r} is not {form[1]} (protocol {protocol})"
    return None
