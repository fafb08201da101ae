# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The endpoints role's endpoint table -> pathwai.airflow_ecs.vpc_endpoints' ``endpoints`` option,
and the endpoint policies (pure functions, no AWS call)."""

from __future__ import annotations

# Services whose interface endpoints take no endpoint policy (AWS attaches full access and refuses or
# ignores another): the README's endpoint table says what stands in for one.
NO_ENDPOINT_POLICY = ("ecs",)

# The one AWS-owned bucket the tasks read through the S3 gateway endpoint: ECR keeps image layers
# there and hands Fargate pre-signed URLs, signed by ECR, so no condition on our account applies.
ECR_LAYER_BUCKET = "prod-{region}-starport-layer-bucket"
# What the tasks do with our buckets (DAG sync, remote task logs): objects and listing, nothing on
# the buckets' configuration.
S3_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
]


def _own_account(account: str, resources: bool = True) -> dict:
    keys = {"aws:PrincipalAccount": account}
    if resources:
        keys["aws:ResourceAccount"] = account
    return {"StringEquals": keys}


def s3_policy(cfg: dict, account: str) -> dict:
    """The S3 gateway endpoint's policy: this environment's buckets, for this account's principals,
    and GetObject on the region's ECR layer bucket."""
    buckets = sorted(set(cfg["policy_buckets"]))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnBucketsOwnPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": S3_ACTIONS,
                "Resource": [arn for b in buckets for arn in (f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*")],
                "Condition": _own_account(account, resources=False),
            },
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{ECR_LAYER_BUCKET.format(region=cfg['region'])}/*",
            },
        ],
    }


def interface_policy(service: str, cfg: dict, account: str) -> dict | None:
    """An interface endpoint's policy: the actions the tasks use, by this account's principals on this
    account's resources. None for a service that takes no endpoint policy."""
    if service in NO_ENDPOINT_POLICY:
        return None
    actions = (cfg.get("policy_actions") or {}).get(service) or ["*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnAccountOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": sorted(actions),
                "Resource": "*",
                "Condition": _own_account(account),
            }
        ],
    }


def endpoints_list(network: dict, cfg: dict) -> list[dict]:
    """One entry per interface service and the S3 gateway endpoint.

    ``network``: a foundation_info result (account_id, subnet_ids and route_table_ids by tier, group_ids).
    ``cfg``: region, prefix, services (interface services after ``com.amazonaws.<region>.``),
    private_dns, s3_route_tiers, tags (every endpoint's tags; ``Name`` is added per endpoint),
    policy_actions (service -> actions its endpoint policy allows), policy_buckets (the buckets the
    S3 endpoint policy allows)."""
    base = f"com.amazonaws.{cfg['region']}."
    account = network["account_id"]
    tags = dict(cfg.get("tags") or {})
    groups = sorted((network.get("group_ids") or {}).values())
    subnets = list((network.get("subnet_ids") or {}).get("private", []))
    tables = network.get("route_table_ids") or {}
    endpoints = []
    for service in cfg["services"]:
        endpoint = {
            "service_name": base + service,
            "endpoint_type": "Interface",
            "subnet_ids": subnets,
            "security_group_ids": groups,
            "private_dns_enabled": bool(cfg["private_dns"]),
            "tags": {**tags, "Name": f"{cfg['prefix']}-vpce-{service}"},
        }
        policy = interface_policy(service, cfg, account)
        if policy is not None:
            endpoint["policy"] = policy
        endpoints.append(endpoint)
    endpoints.append(
        {
            "service_name": base + "s3",
            "endpoint_type": "Gateway",
            "route_table_ids": [t for tier in cfg["s3_route_tiers"] for t in tables.get(tier, [])],
            "policy": s3_policy(cfg, account),
            "tags": {**tags, "Name": f"{cfg['prefix']}-vpce-s3"},
        }
    )
    return endpoints


def _wide_action(action: str) -> bool:
    """``*``, ``<service>:*`` or ``<service>:*Something``: every action, or any action at all."""
    return action == "*" or action.partition(":")[2].startswith("*") or ":" not in action


def endpoint_policy_problems(cfg: dict) -> list[str]:
    """Why the endpoint policies would be wider than this account's principals, resources and the
    tasks' actions (empty when they are not, or when ``cfg['allow_wide']`` says so on purpose)."""
    if cfg.get("allow_wide"):
        return []
    problems = []
    actions = cfg.get("policy_actions") or {}
    for service in cfg["services"]:
        if service in NO_ENDPOINT_POLICY:
            continue
        listed = actions.get(service) or []
        if not listed:
            problems.append(
                f"endpoints_policy_actions has no actions for {service} (its policy would allow every action)"
            )
        wide = [a for a in listed if _wide_action(a)]
        if wide:
            problems.append(f"endpoints_policy_actions[{service}] allows every action with {', '.join(wide)}")
    for bucket in cfg.get("policy_buckets") or []:
        if not bucket or any(c in bucket for c in "*?"):
            problems.append(f"endpoints_s3_policy_buckets holds {bucket!r}: name each bucket, no wildcard")
    if not cfg.get("policy_buckets"):
        problems.append("endpoints_s3_policy_buckets is empty: the tasks could reach no bucket of ours")
    return problems


def endpoints_absent(service_names) -> list[dict]:
    """vpc_endpoints entries that delete the endpoints of these services (destroy.yml)."""
    return [{"service_name": name, "state": "absent"} for name in service_names]


class FilterModule:
    def filters(self):
        return {
            "endpoints_list": endpoints_list,
            "endpoints_absent": endpoints_absent,
            "endpoint_policy_problems": endpoint_policy_problems,
        }
