"""`make demo`: build the platform against the local AWS emulator, audit it, print a summary.

Starts the emulator on a free loopback port, runs site.yml -i inventories/local twice (the
second run must change nothing), then playbooks/validate.yml, prints what exists in the
emulated account, the run figures and the audit result, and stops the emulator; then prints
what the same stack would cost a month on AWS (playbooks/cost.yml).
Every run starts from an empty emulated account: safe to run twice.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_aws.server import fetch_calls  # noqa: E402

BIN = Path(sys.executable).parent
RECAP = re.compile(r"(localhost\s+: ok=\d+\s+changed=(\d+).*)")


def start_emulator(workdir: Path, tree: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """``python -m local_aws`` of the checkout ``tree`` on a free loopback port; (process, URL)."""
    url_file = workdir / "emulator.url"
    url_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "local_aws", "--url-file", str(url_file)],
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "emulator.log").open("a"),
    )
    deadline = time.monotonic() + 60
    while not url_file.exists() or not url_file.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the local AWS emulator of {tree} did not start; see {workdir / 'emulator.log'}")
        time.sleep(0.1)
    return process, url_file.read_text().strip()


def emulator_env(url: str) -> dict[str, str]:
    """This environment with AWS pointed at the emulator ``url`` (dummy credentials, no profile or
    session token of the user's), the checkout's ansible.cfg and this venv's bin/ first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_URL")}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def playbook(name: str, env: dict, *extra: str, quiet: bool = False) -> tuple[float, int]:
    """Run a playbook; return (wall seconds, tasks changed). ``quiet`` prints only the recap."""
    print(f"\n==> ansible-playbook {name} -i inventories/local {' '.join(extra)}", flush=True)
    started = time.monotonic()
    command = [str(BIN / "ansible-playbook"), "-i", "inventories/local", name, *extra]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE if quiet else None, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        if quiet:
            print(done.stdout[-5000:])
        raise SystemExit(f"{name} failed (exit {done.returncode})")
    recap = RECAP.findall(done.stdout or "")
    if quiet:
        print(recap[-1][0] if recap else "(no recap)")
    return elapsed, int(recap[-1][1]) if recap else -1


def inventory(url: str) -> list[tuple[str, int]]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    ec2, kms = session.client("ec2", endpoint_url=url), session.client("kms", endpoint_url=url)
    rds, cache = session.client("rds", endpoint_url=url), session.client("elasticache", endpoint_url=url)
    efs, s3 = session.client("efs", endpoint_url=url), session.client("s3", endpoint_url=url)
    secrets, logs = (
        session.client("secretsmanager", endpoint_url=url),
        session.client("logs", endpoint_url=url),
    )
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:airflow:env", "Values": ["local"]}])["Vpcs"]
    vpc_filter = [{"Name": "vpc-id", "Values": [v["VpcId"] for v in vpcs]}]
    endpoints = ec2.describe_vpc_endpoints(Filters=vpc_filter)["VpcEndpoints"]
    groups = ec2.describe_security_groups(Filters=vpc_filter)["SecurityGroups"]
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/airflow-local-")]
    return [
        ("VPCs (airflow:env=local)", len(vpcs)),
        ("subnets (private, data, alb x 2 AZs)", len(ec2.describe_subnets(Filters=vpc_filter)["Subnets"])),
        ("route tables", len(ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"])),
        ("security groups (incl. the emptied default)", len(groups)),
        (
            "interface endpoints, private DNS on",
            sum(e["VpcEndpointType"] == "Interface" and e.get("PrivateDnsEnabled", False) for e in endpoints),
        ),
        ("gateway endpoints (S3)", sum(e["VpcEndpointType"] == "Gateway" for e in endpoints)),
        ("customer-managed KMS keys", len(aliases)),
        (
            "RDS PostgreSQL instances (encrypted)",
            sum(i.get("StorageEncrypted", False) for i in rds.describe_db_instances()["DBInstances"]),
        ),
        (
            "Redis replication groups (TLS + AUTH)",
            sum(
                g.get("TransitEncryptionEnabled", False) and g.get("AuthTokenEnabled", False)
                for g in cache.describe_replication_groups()["ReplicationGroups"]
            ),
        ),
        (
            "EFS file systems (encrypted)",
            sum(f["Encrypted"] for f in efs.describe_file_systems()["FileSystems"]),
        ),
        ("EFS access points", len(efs.describe_access_points()["AccessPoints"])),
        ("S3 buckets", len(s3.list_buckets()["Buckets"])),
        (
            "secrets under airflow/local/",
            sum(x["Name"].startswith("airflow/local/") for x in secrets.list_secrets()["SecretList"]),
        ),
        (
            "log groups /ecs/airflow-local-*",
            len(logs.describe_log_groups(logGroupNamePrefix="/ecs/airflow-local-")["logGroups"]),
        ),
        *compute_rows(session, url),
        ("NAT gateways", len(ec2.describe_nat_gateways(Filter=vpc_filter)["NatGateways"])),
        (
            "internet gateways",
            len(
                ec2.describe_internet_gateways(
                    Filters=[{"Name": "attachment.vpc-id", "Values": [v["VpcId"] for v in vpcs]}]
                )["InternetGateways"]
            ),
        ),
    ]


def compute_rows(session, url: str) -> list[tuple[str, int]]:
    """Phase 3: the ALB and its listeners, IAM roles, services and their task definitions."""
    elbv2, ecs = session.client("elbv2", endpoint_url=url), session.client("ecs", endpoint_url=url)
    iam = session.client("iam", endpoint_url=url)
    albs = [lb for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["Scheme"] == "internal"]
    listeners = [
        listener
        for lb in albs
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    ]
    services = ecs.list_services(cluster="airflow-local")["serviceArns"] if albs else []
    families = ecs.list_task_definition_families(familyPrefix="airflow-local-", status="ACTIVE")["families"]
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("airflow-local-")]
    return [
        ("internal ALBs", len(albs)),
        (
            "HTTPS listeners, TLS 1.3 (443 OIDC, 8443 execution API)",
            sum(
                listener["Protocol"] == "HTTPS"
                and listener.get("SslPolicy", "").startswith("ELBSecurityPolicy-TLS13")
                for listener in listeners
            ),
        ),
        ("IAM roles (1 execution + 6 task roles)", len(roles)),
        ("ECS services (cluster airflow-local)", len(services)),
        ("task-definition families (incl. db-migrate)", len(families)),
    ]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="airflow-ecs-demo-") as tmp:
        workdir = Path(tmp)
        process, url = start_emulator(workdir)
        print(f"local AWS emulator: {url}")
        env = emulator_env(url)
        try:
            built, _ = playbook("site.yml", env)
            calls = len(fetch_calls(url, reset=True))
            rebuilt, rechanged = playbook("site.yml", env, quiet=True)
            recalls = fetch_calls(url, reset=True)
            report = workdir / "audit.json"
            audited, _ = playbook("playbooks/validate.yml", env, "-e", f"validate_report_file={report}")
            audit = json.loads(report.read_text())
            rows = inventory(url)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print("\n== pathwai.airflow_ecs demo (env local, emulated account) ==")
    width = max(len(name) for name, _ in rows) + 2
    for name, count in rows:
        print(f"  {name:<{width}}{count:>5}")
    print(f"  {'site.yml first run: wall time (s)':<{width}}{built:>5.0f}")
    print(f"  {'site.yml first run: AWS API calls':<{width}}{calls:>5}")
    print(f"  {'site.yml re-run: wall time (s)':<{width}}{rebuilt:>5.0f}")
    print(f"  {'site.yml re-run: tasks changed':<{width}}{rechanged:>5}")
    print(f"  {'site.yml re-run: AWS API calls':<{width}}{len(recalls):>5}")
    print(f"  {'site.yml re-run: AWS write calls':<{width}}{sum(c['write'] for c in recalls):>5}")
    print(f"  {'validate.yml wall time (s)':<{width}}{audited:>5.0f}")
    for source in ("plan", "live"):
        result = audit[source]
        verdict = "PASS" if result["passed"] else "FAIL"
        audited_count = sum(result["summary"].values())
        print(
            f"  audit {source:<5} {verdict}: {len(result['findings'])} findings over {audited_count}"
            f" resources, policies {', '.join(result['policies'])}"
        )
        for finding in result["findings"]:
            print(f"    - {finding}")
    # What the local stack would cost on AWS (playbooks/cost.yml: the inventory alone, no AWS call).
    playbook("playbooks/cost.yml", os.environ.copy(), quiet=True)
    print("\n" + (ROOT / "reports/cost-local.txt").read_text())
    return 0 if audit["plan"]["passed"] and audit["live"]["passed"] and rechanged == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
