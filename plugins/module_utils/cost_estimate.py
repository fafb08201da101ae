# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""What the plan costs a month: every resource the roles would create (plan_layers, rendered from the
inventory alone) priced from a dated price table (files/prices) and usage assumptions (the cost role's
``cost_*`` variables). Pure: no AWS call, no file read.

A line item is ``{"layer", "resource", "item", "quantity", "unit", "unit_price", "monthly"}``;
``monthly`` is ``quantity * unit_price``, unrounded (reports round for display only)."""

from __future__ import annotations

SPOT = "FARGATE_SPOT"
NOT_COUNTED = [
    "data transfer between Availability Zones (ALB to tasks, tasks to RDS/Redis/EFS in another AZ)",
    "container images: their registry's storage and requests (the images live in your registry)",
    "Route 53, ACM, the IdP's transit gateway attachment or VPN connection, and your IdP",
    "burstable (t4g) CPU credits beyond the baseline, RDS storage autoscaling above the allocated size",
    "free tiers, Savings Plans, Reserved Instances, Spot price movements, support plans and tax",
]


def _not_counted(data: list[dict]) -> list[str]:
    """NOT_COUNTED, and what the plan holds that the estimate cannot price."""
    out = list(NOT_COUNTED)
    for db in _of_type(data, "AWS::RDS::DBInstance"):
        interval = db["properties"].get("MonitoringInterval") or 0
        if interval:
            out.append(
                f"RDS Enhanced Monitoring of {db['properties']['DBInstanceIdentifier']} (a record every"
                f" {interval} s to the RDSOSMetrics log group: CloudWatch Logs ingestion and storage, whose"
                " volume per record the price table and the usage assumptions do not give)"
            )
    return out


class PriceMissing(ValueError):
    """The price table has no price for something the plan holds."""


def _item(layer: str, resource: str, item: str, quantity: float, unit: str, unit_price: float) -> dict:
    return {
        "layer": layer,
        "resource": resource,
        "item": item,
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
        "monthly": quantity * unit_price,
    }


def _price(table: dict, key: str, what: str) -> float:
    if key not in table:
        raise PriceMissing(f"the price table has no {what} price for {key!r}: add it (and date it)")
    return table[key]


def _of_type(resources: list[dict], rtype: str) -> list[dict]:
    return [r for r in resources if r["type"] == rtype]


def _short(name: str, prefix: str) -> str:
    return name[len(prefix) + 1 :] if name.startswith(prefix + "-") else name


def provider_split(count: float, strategy: list[dict]) -> dict[str, float]:
    """Tasks per capacity provider, ECS's way: each provider's base first (in order), the rest by
    weight (as an average share: ECS places whole tasks)."""
    out = {s["CapacityProvider"]: 0.0 for s in strategy}
    left = float(count)
    for s in strategy:
        base = min(left, float(s.get("Base") or 0))
        out[s["CapacityProvider"]] += base
        left -= base
    weights = sum(float(s.get("Weight") or 0) for s in strategy)
    for s in strategy:
        if weights:
            out[s["CapacityProvider"]] += left * float(s.get("Weight") or 0) / weights
    return out


def _service_strategy(service: dict, cluster: dict | None) -> list[dict]:
    props = service["properties"]
    if props.get("CapacityProviderStrategy"):
        return props["CapacityProviderStrategy"]
    if props.get("LaunchType"):
        return [{"CapacityProvider": props["LaunchType"], "Weight": 1}]
    default = (cluster or {}).get("properties", {}).get("DefaultCapacityProviderStrategy")
    return default or [{"CapacityProvider": "FARGATE", "Weight": 1}]


def _task_lines(
    task: dict, count: float, strategy: list[dict], p: dict, name: str, hours: float
) -> list[dict]:
    """One service's Fargate vCPU- and GB-hours at ``count`` tasks, per capacity provider."""
    vcpu, gb = int(task["Cpu"]) / 1024, int(task["Memory"]) / 1024
    arch = (task.get("RuntimePlatform") or {}).get("CpuArchitecture", "X86_64")
    lines = []
    for provider, tasks in provider_split(count, strategy).items():
        if not tasks:
            continue
        rates = _price(p["fargate"], provider, "Fargate capacity provider")
        rate = _price(rates, arch, f"Fargate {provider} architecture")
        label = "Fargate Spot" if provider == SPOT else "Fargate"
        lines += [
            _item(
                "compute",
                name,
                f"{label} vCPU ({tasks:g} x {vcpu:g} vCPU)",
                tasks * vcpu * hours,
                "vCPU-hour",
                rate["vcpu_hour"],
            ),
            _item(
                "compute",
                name,
                f"{label} memory ({tasks:g} x {gb:g} GB)",
                tasks * gb * hours,
                "GB-hour",
                rate["gb_hour"],
            ),
        ]
    return lines


def _fargate(resources: list[dict], p: dict, prefix: str, hours: float) -> tuple[list[dict], list[dict]]:
    """Fargate per service at its desired count (the steady state), split by capacity provider; and
    each autoscaled service's monthly cost at its minimum and maximum capacity."""
    by_id = {r["id"]: r for r in resources}
    clusters = _of_type(resources, "AWS::ECS::Cluster")
    targets = {
        t["properties"]["ResourceId"].rsplit("/", 1)[-1]: t["properties"]
        for t in _of_type(resources, "AWS::ApplicationAutoScaling::ScalableTarget")
        if t["properties"].get("ServiceNamespace") == "ecs"
    }
    items, scaling = [], []
    for service in _of_type(resources, "AWS::ECS::Service"):
        props = service["properties"]
        task = by_id[props["TaskDefinition"]["Ref"]]["properties"]
        name = _short(props["ServiceName"], prefix)
        strategy = _service_strategy(service, clusters[0] if clusters else None)
        items += _task_lines(task, props.get("DesiredCount", 1), strategy, p, name, hours)
        target = targets.get(props["ServiceName"])
        if target:
            at = {
                end: sum(i["monthly"] for i in _task_lines(task, target[key], strategy, p, name, hours))
                for end, key in (("min", "MinCapacity"), ("max", "MaxCapacity"))
            }
            scaling.append(
                {
                    "service": name,
                    "desired_count": props.get("DesiredCount", 1),
                    "min_capacity": target["MinCapacity"],
                    "max_capacity": target["MaxCapacity"],
                    "monthly_at_min": at["min"],
                    "monthly_at_max": at["max"],
                }
            )
    return items, scaling


def _container_insights(resources: list[dict], p: dict, u: dict) -> list[dict]:
    items = []
    services = len(_of_type(resources, "AWS::ECS::Service"))
    for cluster in _of_type(resources, "AWS::ECS::Cluster"):
        settings = {s["Name"]: s["Value"] for s in cluster["properties"].get("ClusterSettings") or []}
        if settings.get("containerInsights", "disabled") == "disabled":
            continue
        name = cluster["properties"]["ClusterName"]
        metrics = (
            u["container_insights_metrics_per_cluster"]
            + services * u["container_insights_metrics_per_service"]
        )
        items += [
            _item(
                "compute",
                name,
                f"Container Insights metrics ({services} services)",
                metrics,
                "metric-month",
                p["cloudwatch"]["custom_metric_month"],
            ),
            _item(
                "compute",
                name,
                "Container Insights performance logs",
                u["container_insights_gb_per_month"],
                "GB ingested",
                p["cloudwatch"]["logs_ingested_gb"],
            ),
        ]
    return items


def _gp3_baseline(p: dict, gb: float) -> dict:
    for tier in p["gp3_baseline"]:
        if tier["below_gb"] is None or gb < tier["below_gb"]:
            return tier
    raise PriceMissing("the price table's gp3_baseline has no tier without an upper bound")


def _rds(resources: list[dict], p: dict, u: dict, hours: float) -> list[dict]:
    items = []
    for db in _of_type(resources, "AWS::RDS::DBInstance"):
        props = db["properties"]
        name, cls = props["DBInstanceIdentifier"], props["DBInstanceClass"]
        factor = p["multi_az_factor"] if props.get("MultiAZ") else 1
        az = "Multi-AZ" if factor > 1 else "Single-AZ"
        gb = float(props["AllocatedStorage"])
        if props.get("StorageType", "gp3") != "gp3":
            raise PriceMissing(f"the price table prices gp3 storage only, not {props['StorageType']!r}")
        base = _gp3_baseline(p, gb)
        iops = max(0, int(props.get("Iops") or base["iops"]) - base["iops"])
        mibps = max(
            0, int(props.get("StorageThroughput") or base["throughput_mibps"]) - base["throughput_mibps"]
        )
        backup = u["rds_database_gb"] * (
            1 + props.get("BackupRetentionPeriod", 0) * u["rds_daily_change_percent"] / 100
        )
        rate = _price(p["instance_hour"], cls, "RDS instance class")
        items += [
            _item("data", name, f"RDS {cls} {az}", hours * factor, "instance-hour", rate),
            _item("data", name, f"gp3 storage {gb:g} GB ({az})", gb * factor, "GB-month", p["gp3_gb_month"]),
            _item(
                "data",
                name,
                f"gp3 IOPS above the {base['iops']} included",
                iops * factor,
                "IOPS-month",
                p["gp3_iops_month"],
            ),
            _item(
                "data",
                name,
                f"gp3 throughput above the {base['throughput_mibps']} MiB/s included",
                mibps * factor,
                "MiBps-month",
                p["gp3_mibps_month"],
            ),
            _item(
                "data",
                name,
                f"backups beyond the free {gb:g} GB ({backup:g} GB kept)",
                max(0.0, backup - gb),
                "GB-month",
                p["backup_gb_month"],
            ),
        ]
        days = props.get("PerformanceInsightsRetentionPeriod") or 0
        if props.get("EnablePerformanceInsights"):
            paid = days > p["performance_insights_free_days"]
            vcpus = _price(p["vcpus"], cls, "RDS vCPU count") if paid else 0
            items.append(
                _item(
                    "data",
                    name,
                    f"Performance Insights, {days} days ({'paid' if paid else 'free'})",
                    vcpus * hours * factor,
                    "vCPU-hour",
                    p["performance_insights_vcpu_hour"],
                )
            )
    return items


def _redis(resources: list[dict], p: dict, u: dict, hours: float) -> list[dict]:
    items = []
    for group in _of_type(resources, "AWS::ElastiCache::ReplicationGroup"):
        props = group["properties"]
        nodes, node = int(props.get("NumCacheClusters", 1)), props["CacheNodeType"]
        kept = props.get("SnapshotRetentionLimit", 0) * u["redis_snapshot_gb"]
        items += [
            _item(
                "data",
                props["ReplicationGroupId"],
                f"ElastiCache {node} x {nodes} nodes",
                nodes * hours,
                "node-hour",
                _price(p["node_hour"], node, "ElastiCache node type"),
            ),
            _item(
                "data",
                props["ReplicationGroupId"],
                f"snapshots ({props.get('SnapshotRetentionLimit', 0)} kept)",
                kept,
                "GB-month",
                p["backup_gb_month"],
            ),
        ]
    return items


def _efs(resources: list[dict], p: dict, u: dict) -> list[dict]:
    items = []
    for fs in _of_type(resources, "AWS::EFS::FileSystem"):
        props = fs["properties"]
        name = next((t["Value"] for t in props.get("FileSystemTags") or [] if t["Key"] == "Name"), fs["id"])
        lifecycle = any("TransitionToIA" in rule for rule in props.get("LifecyclePolicies") or [])
        cold = u["efs_gb"] * (u["efs_infrequent_access_percent"] / 100 if lifecycle else 0)
        items += [
            _item(
                "data", name, "EFS Standard storage", u["efs_gb"] - cold, "GB-month", p["standard_gb_month"]
            ),
            _item(
                "data",
                name,
                "EFS Infrequent Access storage",
                cold,
                "GB-month",
                p["infrequent_access_gb_month"],
            ),
        ]
        mode = props.get("ThroughputMode", "bursting")
        if mode == "elastic":
            items += [
                _item(
                    "data",
                    name,
                    "EFS elastic throughput, reads",
                    u["efs_elastic_read_gb_per_month"],
                    "GB",
                    p["elastic_read_gb"],
                ),
                _item(
                    "data",
                    name,
                    "EFS elastic throughput, writes",
                    u["efs_elastic_write_gb_per_month"],
                    "GB",
                    p["elastic_write_gb"],
                ),
            ]
        elif mode == "provisioned":
            items.append(
                _item(
                    "data",
                    name,
                    "EFS provisioned throughput",
                    float(props.get("ProvisionedThroughputInMibps", 0)),
                    "MiBps-month",
                    p["provisioned_mibps_month"],
                )
            )
        if (props.get("BackupPolicy") or {}).get("Status") == "ENABLED":
            items.append(
                _item("data", name, "AWS Backup of EFS", u["efs_gb"], "GB-month", p["backup_gb_month"])
            )
    return items


def _dag_sync_lists(resources: list[dict], hours: float) -> float:
    """ListObjectsV2 calls of the DAG sync program: one a cycle (under 1,000 keys), a cycle every
    DAG_SYNC_BACKOFF_MIN..MAX seconds (the mean)."""
    for task in _of_type(resources, "AWS::ECS::TaskDefinition"):
        for container in task["properties"].get("ContainerDefinitions") or []:
            env = {e["Name"]: e["Value"] for e in container.get("Environment") or []}
            if "DAG_SYNC_BACKOFF_MIN" in env and "DAG_SYNC_BACKOFF_MAX" in env:
                mean = (float(env["DAG_SYNC_BACKOFF_MIN"]) + float(env["DAG_SYNC_BACKOFF_MAX"])) / 2
                return hours * 3600 / mean
    return 0.0


def _log_buckets(plan: dict[str, list[dict]]) -> set[str]:
    """Ids of the buckets that receive access logs only: S3 server access logging's destinations and
    the ALB's access-log bucket (their cost is the logs they keep, not the task logs and DAGs)."""
    everything = [r for layer in plan.values() for r in layer]
    buckets = _of_type(everything, "AWS::S3::Bucket")
    out = set()
    for b in buckets:
        target = (b["properties"].get("LoggingConfiguration") or {}).get("DestinationBucketName")
        if isinstance(target, dict):
            out.add(target.get("Ref"))
    for lb in _of_type(everything, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
        attrs = {a["Key"]: a["Value"] for a in lb["properties"].get("LoadBalancerAttributes") or []}
        if attrs.get("access_logs.s3.enabled") == "true":
            out |= {
                b["id"]
                for b in buckets
                if b["properties"].get("BucketName") == attrs.get("access_logs.s3.bucket")
            }
    return out - {None}


def _days_kept(bucket: dict) -> int:
    """Days an object stays billed: its lifecycle's expiration (a year without one), and on a
    versioned bucket the days the expired (now noncurrent) version is kept after it."""
    rules = [
        r
        for r in (bucket.get("LifecycleConfiguration") or {}).get("Rules") or []
        if r.get("ExpirationInDays")
    ]
    if not rules:
        return 365
    rule = min(rules, key=lambda r: r["ExpirationInDays"])
    days = int(rule["ExpirationInDays"])
    if (bucket.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        days += int((rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays") or 0)
    return days


def _access_logs(layer: str, resources: list[dict], logs: set[str], p: dict, u: dict) -> list[dict]:
    """Each access-log bucket of ``layer``: the logs it keeps until its lifecycle removes them
    (delivery is free; the steady state: a month's logs times the months kept)."""
    items = []
    for b in _of_type(resources, "AWS::S3::Bucket"):
        if b["id"] in logs:
            days = _days_kept(b["properties"])
            items.append(
                _item(
                    layer,
                    b["properties"].get("BucketName", b["id"]),
                    f"access logs stored ({days} days' worth)",
                    u["access_logs_gb_per_month"] * days / 30,
                    "GB-month",
                    p["standard_gb_month"],
                )
            )
    return items


def _s3(data: list[dict], compute: list[dict], p: dict, u: dict, hours: float, logs: set[str]) -> list[dict]:
    buckets = len([b for b in _of_type(data, "AWS::S3::Bucket") if b["id"] not in logs])
    if not buckets:
        return []
    what = f"S3 ({buckets} buckets)"
    return [
        _item("data", what, "Standard storage", u["s3_storage_gb"], "GB-month", p["standard_gb_month"]),
        _item(
            "data",
            what,
            "PUT/LIST requests (task logs)",
            u["s3_put_requests_per_month"] / 1000,
            "1,000 requests",
            p["put_list_per_1000"],
        ),
        _item(
            "data",
            what,
            "LIST requests (DAG sync cycles)",
            _dag_sync_lists(compute, hours) / 1000,
            "1,000 requests",
            p["put_list_per_1000"],
        ),
        _item(
            "data",
            what,
            "GET requests",
            u["s3_get_requests_per_month"] / 1000,
            "1,000 requests",
            p["get_per_1000"],
        ),
    ]


def _secrets(resources: list[dict], p: dict, u: dict) -> list[dict]:
    secrets = len(_of_type(resources, "AWS::SecretsManager::Secret"))
    if not secrets:
        return []
    return [
        _item("data", "Secrets Manager", f"{secrets} secrets", secrets, "secret-month", p["secret_month"]),
        _item(
            "data",
            "Secrets Manager",
            "API calls",
            u["secrets_api_calls_per_month"] / 10000,
            "10,000 calls",
            p["per_10000_calls"],
        ),
    ]


def _kms(resources: list[dict], p: dict, u: dict) -> list[dict]:
    keys = _of_type(resources, "AWS::KMS::Key")
    if not keys:
        return []
    rotated = sum(1 for k in keys if k["properties"].get("EnableKeyRotation"))
    extra = min(u["kms_key_age_years"] * p["rotation_month_per_year"], p["rotation_month_cap"])
    return [
        _item("kms", "KMS", f"{len(keys)} customer-managed keys", len(keys), "key-month", p["key_month"]),
        _item(
            "kms",
            "KMS",
            f"rotated key versions ({rotated} keys, {u['kms_key_age_years']:g} years old)",
            rotated,
            "key-month",
            extra,
        ),
        _item(
            "kms",
            "KMS",
            "requests",
            u["kms_requests_per_month"] / 10000,
            "10,000 requests",
            p["per_10000_requests"],
        ),
    ]


def _endpoints(resources: list[dict], p: dict, data_gb: float, hours: float, region: str) -> list[dict]:
    items = []
    for endpoint in _of_type(resources, "AWS::EC2::VPCEndpoint"):
        props = endpoint["properties"]
        service = props["ServiceName"].removeprefix(f"com.amazonaws.{region}.")
        if props.get("VpcEndpointType", "Gateway") == "Interface":
            azs = len(props.get("SubnetIds") or [])
            items.append(
                _item(
                    "endpoints",
                    service,
                    f"interface endpoint x {azs} AZs",
                    azs * hours,
                    "AZ-hour",
                    p["interface_az_hour"],
                )
            )
        else:
            items.append(_item("endpoints", service, "gateway endpoint", hours, "hour", p["gateway_hour"]))
    if any(i["unit"] == "AZ-hour" for i in items):
        items.append(
            _item("endpoints", "interface endpoints", "data processed", data_gb, "GB", p["interface_data_gb"])
        )
    return items


def _alb(resources: list[dict], p: dict, u: dict, hours: float) -> list[dict]:
    items = []
    for lb in _of_type(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
        name = lb["properties"]["Name"]
        items += [
            _item("alb", name, "load balancer hours", hours, "hour", p["hour"]),
            _item(
                "alb",
                name,
                f"LCUs ({u['alb_lcu']:g} on average)",
                u["alb_lcu"] * hours,
                "LCU-hour",
                p["lcu_hour"],
            ),
        ]
    return items


def _cloudwatch(plan: dict[str, list[dict]], p: dict, u: dict) -> list[dict]:
    everything = [r for layer in plan.values() for r in layer]
    vended = _flow_log_groups(everything)
    groups = [g for g in _of_type(everything, "AWS::Logs::LogGroup") if g["id"] not in vended]
    alarms = _of_type(everything, "AWS::CloudWatch::Alarm")
    dashboards = len(_of_type(everything, "AWS::CloudWatch::Dashboard"))
    retention = max((g["properties"].get("RetentionInDays", 30) for g in groups), default=30)
    ingested = u["logs_ingested_gb_per_month"]
    custom = {
        (a["properties"]["Namespace"], a["properties"]["MetricName"], repr(a["properties"].get("Dimensions")))
        for a in alarms
        if not a["properties"]["Namespace"].startswith("AWS/")
    }
    fast = sum(1 for a in alarms if a["properties"].get("Period", 60) < 60)
    where = "CloudWatch"
    return [
        _item(
            "monitoring",
            where,
            f"logs ingested ({len(groups)} log groups)",
            ingested,
            "GB",
            p["logs_ingested_gb"],
        ),
        _item(
            "monitoring",
            where,
            f"logs stored ({retention} days' worth, uncompressed)",
            ingested * retention / 30,
            "GB-month",
            p["logs_stored_gb_month"],
        ),
        _item(
            "monitoring",
            where,
            f"custom metrics ({len(custom)} alarmed + {u['custom_metrics_extra']} more)",
            len(custom) + u["custom_metrics_extra"],
            "metric-month",
            p["custom_metric_month"],
        ),
        _item(
            "monitoring",
            where,
            "metric API requests (PutMetricData)",
            u["metric_api_requests_per_month"] / 1000,
            "1,000 requests",
            p["api_per_1000"],
        ),
        _item(
            "monitoring",
            where,
            "alarms (standard resolution)",
            len(alarms) - fast,
            "alarm-month",
            p["alarm_month"],
        ),
        _item(
            "monitoring",
            where,
            "alarms (high resolution)",
            fast,
            "alarm-month",
            p["high_resolution_alarm_month"],
        ),
        _item("monitoring", where, "dashboards", dashboards, "dashboard-month", p["dashboard_month"]),
    ]


def _flow_log_groups(resources: list[dict]) -> set[str]:
    """Ids of the log groups the flow logs deliver to (priced as vended logs, not as our own)."""
    return {
        (f["properties"].get("LogGroupName") or {}).get("Ref")
        for f in _of_type(resources, "AWS::EC2::FlowLog")
        if isinstance(f["properties"].get("LogGroupName"), dict)
    } - {None}


def _flow_logs(resources: list[dict], p: dict, u: dict) -> list[dict]:
    flows = _of_type(resources, "AWS::EC2::FlowLog")
    if not flows:
        return []
    retention = {
        g["id"]: g["properties"].get("RetentionInDays", 30)
        for g in _of_type(resources, "AWS::Logs::LogGroup")
    }
    days = max((retention.get(i, 30) for i in _flow_log_groups(resources)), default=30)
    gb = u["flow_logs_gb_per_month"] * len(flows)
    return [
        _item(
            "network",
            "VPC flow logs",
            f"{len(flows)} flow logs, ingested",
            gb,
            "GB",
            p["vended_logs_ingested_gb"],
        ),
        _item(
            "network",
            "VPC flow logs",
            f"stored ({days} days' worth, uncompressed)",
            gb * days / 30,
            "GB-month",
            p["logs_stored_gb_month"],
        ),
    ]


def _sqs(plan: dict[str, list[dict]], p: dict, u: dict) -> list[dict]:
    items = []
    for layer, resources in plan.items():
        queues = _of_type(resources, "AWS::SQS::Queue")
        if queues:
            items.append(
                _item(
                    layer,
                    "SQS",
                    f"{len(queues)} queues, requests",
                    len(queues) * u["sqs_requests_per_queue_per_month"] / 1e6,
                    "million requests",
                    p["per_million_requests"],
                )
            )
    return items


def _zones(network: list[dict]) -> int:
    zones = {s["properties"].get("AvailabilityZone") for s in _of_type(network, "AWS::EC2::Subnet")}
    return len(zones - {None})


def _nat_alternative(
    plan: dict, items: list[dict], p: dict, data_gb: float, hours: float, total: float
) -> dict:
    """The same stack with one NAT gateway per AZ instead of the interface endpoints (the S3 gateway
    endpoint stays: it is free either way); the same data goes through the NAT gateways."""
    zones = _zones(plan.get("network", []))
    replaced = [i for i in items if i["layer"] == "endpoints" and i["unit"] in ("AZ-hour", "GB")]
    nat = [
        _item("network", "NAT gateways", f"NAT gateway x {zones} AZs", zones * hours, "hour", p["hour"]),
        _item(
            "network",
            "NAT gateways",
            f"public IPv4 address x {zones}",
            zones * hours,
            "hour",
            p["public_ipv4_hour"],
        ),
        _item("network", "NAT gateways", "data processed", data_gb, "GB", p["data_gb"]),
    ]
    replaced_total = sum(i["monthly"] for i in replaced)
    nat_total = sum(i["monthly"] for i in nat)
    return {
        "items": nat,
        "replaces": replaced_total,
        "monthly": nat_total,
        "total": total - replaced_total + nat_total,
        "nat_free_costs_more_by": replaced_total - nat_total,
    }


def estimate(plan: dict[str, list[dict]], context: dict, prices: dict, usage: dict) -> dict:
    """The monthly cost of ``plan`` (layer -> its planned resources, plan_layers' order).

    ``context``: environment, region, name_prefix, price_file. ``prices``: the price table (its
    regions, date, source, hours_per_month). ``usage``: the assumptions, without the cost_ prefix."""
    region = context["region"]
    if region not in prices["regions"]:
        raise PriceMissing(f"the price table ({context.get('price_file')}) has no prices for {region}")
    p, hours = prices["regions"][region], float(prices["hours_per_month"])
    empty: list[dict] = []
    data, compute = plan.get("data", empty), plan.get("compute", empty)
    # What goes through the interface endpoints (or the NAT gateways): the logs, and the API calls.
    data_gb = usage["logs_ingested_gb_per_month"] + usage["endpoint_other_gb_per_month"]
    fargate, scaling = _fargate(compute, p, context["name_prefix"], hours)
    logs = _log_buckets(plan)
    items = (
        _flow_logs(plan.get("network", empty), p["cloudwatch"], usage)
        + _kms(plan.get("kms", empty), p["kms"], usage)
        + _endpoints(plan.get("endpoints", empty), p["vpc_endpoints"], data_gb, hours, region)
        + _rds(data, p["rds_postgresql"], usage, hours)
        + _redis(data, p["elasticache_redis"], usage, hours)
        + _efs(data, p["efs"], usage)
        + _s3(data, compute, p["s3"], usage, hours, logs)
        + _access_logs("data", data, logs, p["s3"], usage)
        + _secrets(data, p["secrets_manager"], usage)
        + _alb(plan.get("alb", empty), p["alb"], usage, hours)
        + _access_logs("alb", plan.get("alb", empty), logs, p["s3"], usage)
        + fargate
        + _container_insights(compute, p, usage)
        + _cloudwatch(plan, p["cloudwatch"], usage)
        + _sqs(plan, p["sqs"], usage)
    )
    order = [*plan, *(i["layer"] for i in items if i["layer"] not in plan)]
    layers = {
        layer: sum(i["monthly"] for i in items if i["layer"] == layer) for layer in dict.fromkeys(order)
    }
    total = sum(layers.values())
    return {
        "environment": context["environment"],
        "region": region,
        "currency": prices["currency"],
        "prices": {
            "file": context.get("price_file", ""),
            "date": prices["date"],
            "source": " ".join(str(prices["source"]).split()),
            "hours_per_month": hours,
        },
        "steady_state": "every service at its desired_count, all month",
        "assumptions": dict(sorted(usage.items())),
        "items": items,
        "layers": layers,
        "total": total,
        "scaling": scaling,
        "nat_alternative": _nat_alternative(plan, items, p["nat_gateway"], data_gb, hours, total),
        "not_counted": _not_counted(data),
    }
