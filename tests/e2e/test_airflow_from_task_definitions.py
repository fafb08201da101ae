"""Issue 7: the task definitions site.yml registers run real Airflow 3.1 (``make e2e``).

site.yml against a fresh emulator; the registered task definitions and secrets are read back;
real PostgreSQL (TLS, reached with ``sslmode=verify-full`` against the proof's CA) and Redis (TLS +
AUTH) stand in for RDS and ElastiCache with the password and token of the secrets; db-migrate, then
every container runs as a local process with its entry point, command, environment and secrets
(changes: tests/e2e/stack.py, listed in the report) until its own health check passes. The
api-server serves HTTPS only, with the key and certificate its entry point made at start; the REST
client, the health check and the Celery tasks' Task Execution API calls verify that certificate.
Then DAGs go to the emulated S3 and are timed until the REST API (logged in from ALB headers) lists
them; one runs on the Celery worker, one defers to the triggerer, one is routed to a second Celery
queue and runs on the second worker pool. Report: e2e-report.json (repository root) and a printed
table.

The services are those of the deployed cluster (the compute table's rows and the DAG sync). Every
container (db-migrate included) runs as its definition says with ``readonlyRootFilesystem``: in a
mount namespace of its own where every file system is read-only but its writable mounts (each
scratch volume an empty folder of the task, the DAG sync's EFS mount); its health check runs in that
namespace. Each Celery worker pool also runs in a UTS namespace of its own (its own host name, as
each Fargate task has), so Celery's node names differ as they do on ECS; a second pool's log server
gets a free port (on ECS each task has its own network namespace).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatch
from pathlib import Path

import boto3
import pytest
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))

import stack  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PREFIX = "airflow-local"
DAGS_BUCKET = "pathwai-airflow3-dags-local"
DAGS_PREFIX = "local/"
REPORT = stack.REPORT
ADMIN = "admin@local.internal"  # inventories/local: compute_auth_admins
UPLOADS = 6
P95_LIMIT = 60.0

PLAIN_DAG = """
from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, catchup=False, tags=["e2e"])
def build():
    @task
    def hello():
        import socket
        print("e2e task ran on", socket.gethostname())
        return 42

    hello()


build()
"""

ROUTED_DAG = """
from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, catchup=False, tags=["e2e"])
def build():
    @task(queue="{queue}")
    def routed():
        import socket
        print("e2e routed task ran on", socket.gethostname())

    routed()


build()
"""

DEFERRABLE_DAG = """
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import dag


@dag(dag_id="{dag_id}", schedule=None, catchup=False, tags=["e2e"])
def build():
    DateTimeSensorAsync(
        task_id="wait_a_little",
        target_time="{{{{ (macros.datetime.utcnow() + macros.timedelta(seconds=5)).isoformat() }}}}",
    )


build()
"""


@pytest.fixture(scope="module")
def report(request):
    data: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "components": {}}
    began = time.monotonic()
    request.config.stash[stack.REPORT_KEY] = data  # printed in the terminal summary (conftest.py)
    yield data
    data["total_seconds"] = round(time.monotonic() - began, 1)
    REPORT.write_text(json.dumps(data, indent=2, default=str) + "\n")


@pytest.fixture(scope="module")
def deployed(request, report):
    url = os.environ.get("E2E_DEPLOYED_EMULATOR_URL")  # development: an emulator site.yml already built
    if not url:  # the session's stack (tests/conftest.py): site.yml's first run, shared with test_site
        shared = request.getfixturevalue("deployed_stack")
        report["site_yml_seconds"] = shared["seconds"]
        url = shared["emulator"].url
    else:  # a reused emulator: the DAGs of an earlier run would show at once and skew the timing
        s3 = boto3.client("s3", endpoint_url=url)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DAGS_BUCKET, Prefix=DAGS_PREFIX):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=DAGS_BUCKET, Key=item["Key"])
    ecs = boto3.client("ecs", endpoint_url=url)
    sm = boto3.client("secretsmanager", endpoint_url=url)
    arns = [
        a for page in ecs.get_paginator("list_services").paginate(cluster=PREFIX) for a in page["serviceArns"]
    ]
    services = sorted(arn.rsplit("/", 1)[-1].removeprefix(f"{PREFIX}-") for arn in arns)
    definitions = {}
    for family in [*services, "db-migrate"]:
        td = ecs.describe_task_definition(taskDefinition=f"{PREFIX}-{family}")["taskDefinition"]
        definitions[family] = td
    arns = {
        s["valueFrom"]
        for td in definitions.values()
        for c in td["containerDefinitions"]
        for s in c.get("secrets", [])
    }
    secrets = {arn: sm.get_secret_value(SecretId=arn)["SecretString"] for arn in arns}
    pools = {s: _queues(_container(definitions[s])) for s in services if _queues(_container(definitions[s]))}
    report["worker_pools"] = pools
    return {"url": url, "definitions": definitions, "secrets": secrets, "services": services, "pools": pools}


def _queues(container: dict) -> list[str]:
    """The Celery queues of a worker pool's container (``--queues a,b``), or [] for other services."""
    command = list(container.get("command") or [])
    return command[command.index("--queues") + 1].split(",") if "--queues" in command else []


def _container(td: dict) -> dict:
    assert len(td["containerDefinitions"]) >= 1
    essential = [c for c in td["containerDefinitions"] if c.get("essential", True)]
    assert len(essential) == 1, [c["name"] for c in td["containerDefinitions"]]
    return essential[0]


def _secret(deployed, td, name):
    arn = {s["name"]: s["valueFrom"] for s in _container(td).get("secrets", [])}[name]
    return deployed["secrets"][arn]


@pytest.fixture(scope="module")
def running(deployed, report, tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    procs = stack.Processes(base / "logs")
    try:
        yield _boot(deployed, report, base, procs)
    finally:
        procs.stop_all()
        print(f"\nlogs of the run: {base / 'logs'}")


def _boot(deployed, report, base, procs):
    defs = deployed["definitions"]
    tls = stack.make_tls(base / "tls")
    sql_url = _secret(deployed, defs["scheduler"], "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    broker_url = _secret(deployed, defs["scheduler"], "AIRFLOW__CELERY__BROKER_URL")
    _, pg_port = stack.start_postgres(procs, base / "pg", tls, sql_url)
    _, redis_port = stack.start_redis(procs, base / "redis", tls, broker_url)
    for port in (stack.API_PORT, 8974, 8793):
        assert not stack.port_open(port), f"port {port} is taken: the containers' ports must be free"
    local = stack.Local(
        emulator_url=deployed["url"],
        dags=base / "dags",
        home=base / "home",
        ca_file=tls["ca"],
        ports={"postgresql": pg_port, "redis": redis_port},
        tasks=base / "tasks",
    )
    # The api-server's certificate, made by its entry point at start (the deployed definition says where).
    api_container = _container(defs["api-server"])
    api_cert = {e["name"]: e["value"] for e in api_container.get("environment", [])}.get(
        "AIRFLOW__API__SSL_CERT"
    )
    assert api_cert and api_container.get("entryPoint"), "the deployed api-server does not serve TLS"
    local.api_cert = stack.Path(local.for_task("api-server").path(api_cert))
    local.dags.mkdir()
    stack.image_home(local.home)
    changed: dict = {}
    tasks = {s: local.for_task(s) for s in [*deployed["services"], "db-migrate"]}

    def env_of(service):
        dockerfile = (
            stack.ROOT / "files" / "sidecar" / "Dockerfile" if service == "dag-sync" else None
        ) or stack.IMAGE_DIR / "Dockerfile"
        env, changes = stack.container_env(
            _container(defs[service]), deployed["secrets"], tasks[service], dockerfile
        )
        for name, (before, after) in changes.items():
            if name in ("PATH", "HOME", "LANG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                continue
            secretish = any(w in name for w in ("CONN", "BROKER", "BACKEND", "KEY", "SECRET"))
            changed.setdefault(name, {"deployed": "<secret>" if secretish else before, "local": after})
        return env

    # 1. the one-off migration, exactly its command
    migrate = _container(defs["db-migrate"])
    began = time.monotonic()
    done = stack.subprocess.run(
        stack.sandboxed(stack.local_argv(["airflow", *migrate["command"]]), migrate, tasks["db-migrate"]),
        env=env_of("db-migrate"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report["db_migrate_seconds"] = round(time.monotonic() - began, 1)

    # 2. every service, then its own health check until it passes; each worker pool under a host
    # name of its own, the pools after the first with a free log-server port
    services, pools = deployed["services"], deployed["pools"]
    started = {}
    envs = {}
    for service in services:
        container = _container(defs[service])
        envs[service] = env_of(service)
        entry = container.get("entryPoint") or ["airflow"]  # the image's ENTRYPOINT unless the definition's
        argv = stack.local_argv(
            [*entry, *container["command"]] if service != "dag-sync" else ["airflow-dag-sync"]
        )
        if service in pools and list(pools).index(service) > 0:
            port = str(stack.free_port())
            changed.setdefault(
                f"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT ({service})",
                {"deployed": "8793", "local": port},
            )
            envs[service]["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = port
        hostname = f"{service}-task" if service in pools else None
        argv = stack.sandboxed(argv, container, tasks[service], hostname)
        started[service] = procs.start(service, argv, envs[service], cwd=local.home)
        if service == "api-server":  # the others trust its certificate: it must exist before they start
            stack.wait_for(
                lambda: local.api_cert.exists() or not started["api-server"].alive(),
                60,
                "the api-server's certificate",
            )
            assert started["api-server"].alive(), started["api-server"].tail()
        report["components"][service] = {
            "task_memory_mib": int(defs[service]["memory"]),
            "command": argv,
        }
    report["changed_env"] = changed

    def healthy(service):
        proc, container = started[service], _container(defs[service])
        # the check runs inside the task's namespaces (its read-only root, its host name), as on ECS
        argv = stack.inside(proc.popen.pid, stack.health_argv(container))
        last = {}

        def check():
            if not proc.alive():
                raise AssertionError(f"{service} exited {proc.popen.returncode}:\n{proc.tail()}")
            done = stack.subprocess.run(argv, env=envs[service], capture_output=True, text=True, timeout=60)
            last["out"] = done.stdout[-500:] + done.stderr[-500:]
            return done.returncode == 0

        try:
            stack.wait_for(check, 300, f"{service} health check {argv}", every=1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nlast: {last.get('out')}\nlog:\n{proc.tail()}") from None
        return round(time.monotonic() - proc.started, 1)

    with ThreadPoolExecutor(len(services)) as pool:
        results = dict(zip(services, pool.map(healthy, services), strict=True))
    for service, seconds in results.items():
        report["components"][service]["healthy_after_s"] = seconds

    sampler = _Sampler({s: started[s].popen.pid for s in services})
    sampler.start()
    return {
        "procs": started,
        "processes": procs,  # the fixture stops them all, those a later test starts again included
        "local": local,
        "envs": envs,
        "sampler": sampler,
        "defs": defs,
        "tls": tls,
    }


class _Sampler(threading.Thread):
    """PSS of each component's process tree every second; keeps the peak."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(1.0)

    def sample(self):
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak[name], stack.pss_kib(pid))


# ---- the REST API, logged in the way the deployment does --------------------------------


def _segment(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def _api(running) -> requests.Session:
    env = running["envs"]["api-server"]
    header = {"alg": "ES256", "kid": "e2e", "exp": int(time.time()) + 3600}
    if env.get("AIRFLOW_ECS_AUTH_ALB_ARN"):
        header["signer"] = env["AIRFLOW_ECS_AUTH_ALB_ARN"]
    claims = {"sub": "e2e-admin", "email": ADMIN, "name": "E2E Admin"}
    base = f"https://127.0.0.1:{stack.API_PORT}"
    cert = str(running["local"].api_cert)  # the api-server's own, made at its start
    answer = requests.get(
        f"{base}/auth/login/?next={base}/",
        headers={
            "x-amzn-oidc-identity": claims["sub"],
            "x-amzn-oidc-data": f"{_segment(header)}.{_segment(claims)}.c2ln",
        },
        allow_redirects=False,
        timeout=30,
        verify=cert,
    )
    assert answer.status_code == 302, (answer.status_code, answer.text[:500])
    token = answer.cookies.get("_token")
    assert token, f"no _token cookie: {answer.headers}"
    session = requests.Session()
    # REQUESTS_CA_BUNDLE in the environment would win over session.verify (requests reads it for
    # every request that names no `verify`): the session trusts the api-server's certificate only.
    session.trust_env = False
    session.verify = cert
    session.headers["Authorization"] = f"Bearer {token}"
    session.base = base  # type: ignore[attr-defined]
    return session


@pytest.fixture(scope="module")
def api(running):
    return _api(running)


def _get(api, path):
    return api.get(api.base + path, timeout=30)


def _upload(url: str, dag_id: str, source: str) -> float:
    s3 = boto3.client("s3", endpoint_url=url)
    s3.put_object(Bucket=DAGS_BUCKET, Key=f"{DAGS_PREFIX}{dag_id}.py", Body=source.encode())
    return time.monotonic()


def test_every_component_is_healthy(deployed, running, report):
    assert len(deployed["pools"]) >= 2, f"the local inventory deploys two worker pools: {deployed['pools']}"
    for service in deployed["services"]:
        assert running["procs"][service].alive(), service
        assert report["components"][service]["healthy_after_s"] > 0


PROBE = """
import errno, os, sys
for path in sys.argv[1:]:
    try:
        with open(os.path.join(path, ".e2e-write-probe"), "w"):
            pass
    except OSError as exc:
        print(path, errno.errorcode[exc.errno])
    else:
        os.unlink(os.path.join(path, ".e2e-write-probe"))
        print(path, "writable")
"""


def test_every_container_runs_on_a_read_only_root(deployed, running):
    """Inside each running task's mount namespace: the image's home, the DAGs (but for the DAG sync)
    and the rest of the file system refuse writes (EROFS); the container's writable mounts accept
    them."""
    for service in deployed["services"]:
        container = _container(deployed["definitions"][service])
        assert container["readonlyRootFilesystem"] is True and container["user"], service
        local = running["local"].for_task(service)
        writable = {str(target) for _, target in stack.writable_binds(container, local)}
        places = sorted({str(local.home), str(local.dags), str(stack.ROOT), "/etc", *writable})
        argv = stack.inside(running["procs"][service].popen.pid, [stack.sys_python(), "-c", PROBE, *places])
        done = stack.subprocess.run(argv, capture_output=True, text=True, timeout=60)
        said = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
        expected = {place: "writable" if place in writable else "EROFS" for place in places}
        assert said == expected, (service, said, done.stderr[-2000:])


def test_uploaded_dags_become_visible_through_the_api(deployed, running, api, report):
    dag_sync_env = {
        c["name"]: c["value"] for c in _container(deployed["definitions"]["dag-sync"])["environment"]
    }
    assert "DAG_SYNC_INTERVAL" not in dag_sync_env or dag_sync_env["DAG_SYNC_INTERVAL"] == "30"
    seconds = []
    for index in range(UPLOADS):
        dag_id = f"e2e_deferrable_{index}" if index == UPLOADS - 1 else f"e2e_celery_{index}"
        template = DEFERRABLE_DAG if index == UPLOADS - 1 else PLAIN_DAG
        uploaded = _upload(deployed["url"], dag_id, template.format(dag_id=dag_id))

        def visible(dag_id=dag_id):
            assert running["procs"]["dag-sync"].alive()
            return _get(api, f"/api/v2/dags/{dag_id}").status_code == 200

        stack.wait_for(visible, 180, f"{dag_id} in /api/v2/dags", every=0.5)
        seconds.append(round(time.monotonic() - uploaded, 1))
    listed = {d["dag_id"] for d in _get(api, "/api/v2/dags?limit=100").json()["dags"]}
    assert {f"e2e_celery_{i}" for i in range(UPLOADS - 1)} <= listed
    report["upload_to_visible"] = {
        "seconds": seconds,
        "delivery": "event (SQS)" if dag_sync_env.get("DAG_SYNC_QUEUE_URL") else "poll",
        "sync_interval": dag_sync_env.get("DAG_SYNC_INTERVAL", "30 (program default)"),
        "sync_jitter": dag_sync_env.get("DAG_SYNC_JITTER", "10 (program default)"),
        "sync_backoff": [dag_sync_env.get(f"DAG_SYNC_BACKOFF_{m}", "default") for m in ("MIN", "MAX")],
    }
    _percentiles(report["upload_to_visible"])
    assert report["upload_to_visible"]["p95"] <= P95_LIMIT, report["upload_to_visible"]


def _percentiles(figures: dict) -> None:
    ordered = sorted(figures["seconds"])
    figures["p50"] = statistics.median(ordered)
    figures["p95"] = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _run(api, dag_id: str, timeout: float = 240) -> dict:
    assert api.patch(api.base + f"/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=30).ok
    answer = api.post(api.base + f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None}, timeout=30)
    assert answer.status_code == 200, answer.text
    run_id = answer.json()["dag_run_id"]
    began = time.monotonic()

    def finished():
        state = _get(api, f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = stack.wait_for(finished, timeout, f"run {run_id} of {dag_id}", every=1)
    tis = _get(api, f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    return {
        "state": state,
        "seconds": round(time.monotonic() - began, 1),
        "tasks": {
            t["task_id"]: {"state": t["state"], "hostname": t["hostname"], "queue": t["queue"]} for t in tis
        },
        "run_id": run_id,
    }


def _remote_log(deployed, running, dag_id: str, run_id: str, name: str, text: str) -> str:
    """A task log (``name``: a pattern) Airflow wrote to the emulated S3 logs bucket (remote logging
    as deployed), polled until it holds ``text``: the handler uploads when the task's logger closes,
    after the state is reported."""
    folder = running["envs"]["worker"]["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"]
    bucket, _, prefix = folder.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", endpoint_url=deployed["url"])
    key = f"{prefix}/dag_id={dag_id}/run_id={run_id}/"
    found = {}

    def written():
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/dag_id={dag_id}/")
        for o in listed.get("Contents", []):
            if o["Key"].startswith(key):
                body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode(errors="replace")
                found[o["Key"].removeprefix(key)] = body
        return next(
            (body for found_name, body in found.items() if fnmatch(found_name, name) and text in body), ""
        )

    try:
        return stack.wait_for(written, 60, f"{text!r} in s3://{bucket}/{key}{name}", every=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; found {sorted(found)}") from None


def test_the_api_server_speaks_only_tls_with_its_own_certificate(running, report):
    """The api-server's port refuses plain HTTP and certificates it does not know, and answers HTTPS
    verified against the certificate made at its start; the Task Execution API URL every caller
    uses is https (the Celery task test below runs through it)."""
    cert = str(running["local"].api_cert)
    health = f"127.0.0.1:{stack.API_PORT}/api/v2/monitor/health"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://{health}", timeout=10)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://{health}", timeout=10, verify=stack.certifi_bundle())
    assert requests.get(f"https://{health}", timeout=10, verify=cert).status_code == 200
    context = ssl.create_default_context(cafile=cert)
    with (
        socket.create_connection(("127.0.0.1", stack.API_PORT), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        report["api_server_tls"] = {"version": tls.version(), "cipher": tls.cipher()[0]}
    assert report["api_server_tls"]["version"] in ("TLSv1.2", "TLSv1.3"), report["api_server_tls"]
    callers = {
        s: env for s, env in running["envs"].items() if "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" in env
    }
    assert {"worker", "triggerer"} <= set(callers), sorted(callers)
    for service, env in callers.items():
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("https://"), service
        assert env["AIRFLOW__API__SSL_CERT"] == cert, service


VERIFY_DB = """
import os, sys
import psycopg2
try:
    psycopg2.connect(os.environ["E2E_DB_URL"]).close()
except psycopg2.OperationalError as exc:
    print(" ".join(str(exc).split())[:400])
    sys.exit(1)
print("connected")
"""


def test_airflow_reaches_postgresql_with_verify_full_against_the_proofs_ca(running, tmp_path):
    """Airflow's database URL (as deployed: sslmode=verify-full; sslrootcert -> the proof's CA) connects;
    the same URL with another CA, or naming a host the certificate does not cover, is refused."""
    url = running["envs"]["scheduler"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "", 1)
    assert stack.query_value(url, "sslmode") == "verify-full"
    assert stack.query_value(url, "sslrootcert") == str(running["tls"]["ca"])
    other_ca = stack.make_tls(tmp_path / "other")["ca"]

    def connect(candidate: str) -> tuple[int, str]:
        done = stack.subprocess.run(
            [str(stack.E2E_BIN / "python"), "-c", VERIFY_DB],
            env={"E2E_DB_URL": candidate, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.returncode, (done.stdout + done.stderr).strip()[-400:]

    assert connect(url) == (0, "connected")
    code, said = connect(url.replace(str(running["tls"]["ca"]), str(other_ca)))
    assert code == 1 and "certificate verify failed" in said, said
    # The same server under a name its certificate does not carry (hostaddr: no DNS look-up).
    renamed = url.replace("@127.0.0.1:", "@db.invalid:").replace("?", "?hostaddr=127.0.0.1&", 1)
    code, said = connect(renamed)
    assert code == 1 and "does not match host name" in said, said


def test_a_task_runs_on_the_celery_worker(deployed, running, api, report):
    result = _run(api, "e2e_celery_0")
    report.setdefault("runs", {})["e2e_celery_0"] = result
    assert result["state"] == "success", (result, running["procs"]["worker"].tail())
    assert result["tasks"]["hello"]["state"] == "success"
    assert result["tasks"]["hello"]["queue"] == "default"
    worker_log = running["procs"]["worker"].log.read_text(errors="replace")
    assert "e2e_celery_0" in worker_log, "the Celery worker never received the task"
    _remote_log(
        deployed, running, "e2e_celery_0", result["run_id"], "task_id=hello/attempt=1.log", "e2e task ran on"
    )


def test_a_deferrable_task_resumes_through_the_triggerer(deployed, running, api, report):
    dag_id = f"e2e_deferrable_{UPLOADS - 1}"
    result = _run(api, dag_id)
    report.setdefault("runs", {})[dag_id] = result
    assert result["state"] == "success", (result, running["procs"]["triggerer"].tail())
    worker_log = running["procs"]["worker"].log.read_text(errors="replace")
    assert "final_state=deferred" in worker_log, "the task never deferred"
    trigger_log = "task_id=wait_a_little/attempt=1.log.trigger.*.log"  # the triggerer's, by trigger id
    _remote_log(deployed, running, dag_id, result["run_id"], trigger_log, "Trigger fired event")


def test_a_task_routed_to_the_second_queue_runs_on_the_second_pool(deployed, running, api, report):
    """A task with ``queue=<the second pool's queue>`` runs on that pool's worker, not the first's."""
    first, second = list(deployed["pools"])[:2]
    queue = deployed["pools"][second][0]
    _upload(deployed["url"], "e2e_routed", ROUTED_DAG.format(dag_id="e2e_routed", queue=queue))
    stack.wait_for(
        lambda: _get(api, "/api/v2/dags/e2e_routed").status_code == 200, 180, "e2e_routed", every=0.5
    )
    result = _run(api, "e2e_routed")
    report.setdefault("runs", {})["e2e_routed"] = result
    assert result["state"] == "success", (result, running["procs"][second].tail())
    assert result["tasks"]["routed"]["queue"] == queue
    assert result["tasks"]["routed"]["hostname"] == f"{second}-task", result
    assert "e2e_routed" in running["procs"][second].log.read_text(errors="replace")
    assert "e2e_routed" not in running["procs"][first].log.read_text(errors="replace")


IDLE_WINDOW = 30.0


def test_the_dag_processors_cpu_at_idle_is_reported(deployed, running, report):
    """What the dag-processor's refresh settings (refresh_interval, min_file_process_interval) cost
    when nothing changes: its CPU over a quiet window, against its task's vCPU."""
    pid = running["procs"]["dag-processor"].popen.pid
    env = {e["name"]: e["value"] for e in _container(deployed["definitions"]["dag-processor"])["environment"]}
    before, began = stack.cpu_seconds(pid), time.monotonic()
    threading.Event().wait(IDLE_WINDOW)  # a measuring window, not a wait for a condition
    used = stack.cpu_seconds(pid) - before
    share = used / (time.monotonic() - began)
    vcpu = int(deployed["definitions"]["dag-processor"]["cpu"]) / 1024
    report["dag_processor_idle_cpu"] = {
        "window_s": IDLE_WINDOW,
        "cpu_s": round(used, 2),
        "percent_of_one_vcpu": round(100 * share, 1),
        "percent_of_task": round(100 * share / vcpu, 1),
        "refresh_interval": env.get("AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"),
        "bundle_refresh_check_interval": env.get("AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL"),
        "min_file_process_interval": env.get(
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL", "30 (Airflow's default)"
        ),
        "dag_files": len(list(running["local"].dags.rglob("*.py"))),
    }
    assert share / vcpu < 0.5, report["dag_processor_idle_cpu"]


def test_task_memory_is_at_least_twice_the_measured_pss(running, report):
    sampler = running["sampler"]
    sampler.sample()
    sampler.stopped.set()
    problems = []
    for service in sampler.pids:
        pss_mib = round(sampler.peak[service] / 1024)
        component = report["components"][service]
        component["pss_peak_mib"] = pss_mib
        if component["task_memory_mib"] < 2 * pss_mib:
            problems.append(
                f"{service}: task memory {component['task_memory_mib']} MiB < 2 x PSS {pss_mib} MiB"
            )
    assert not problems, problems


# ---- event-mode delivery (issue 18): S3 -> SQS -> dag-sync, timed concurrently ----------------

EVENT_NEW, EVENT_CHANGED, EVENT_DELETED = 10, 5, 3
EVENT_NEW_P95, EVENT_CHANGED_P95 = 15.0, 10.0
POLL_LIMIT = 60.0
EVENT_DAG = """
from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, catchup=False, tags=["e2e"], description="{version}")
def build():
    @task
    def hello():
        return 42

    hello()


build()
"""


def _event_mode(running) -> bool:
    return bool(running["envs"]["dag-sync"].get("DAG_SYNC_QUEUE_URL"))


def _upload_all(url: str, sources: dict[str, str]) -> dict[str, float]:
    """Every DAG put at once (one thread each); dag_id -> when its PutObject returned."""
    with ThreadPoolExecutor(len(sources)) as pool:
        times = pool.map(lambda item: _upload(url, *item), sources.items())
        return dict(zip(sources, times, strict=True))


def _until(api, started: dict[str, float], done, limit: float) -> list[float]:
    """Seconds from each start until ``done(answer)`` holds for its /api/v2/dags/<id>, all polled
    in turns (one GET each, ~0.1 s), so each figure is within a turn of the truth."""
    pending, seconds = dict(started), {}
    deadline = time.monotonic() + limit
    while pending and time.monotonic() < deadline:
        for dag_id in list(pending):
            if done(_get(api, f"/api/v2/dags/{dag_id}")):
                seconds[dag_id] = round(time.monotonic() - pending.pop(dag_id), 1)
    assert not pending, f"not done within {limit} s: {sorted(pending)} (done: {seconds})"
    return sorted(seconds.values())


def _figures(seconds: list[float]) -> dict:
    figures = {"seconds": seconds}
    _percentiles(figures)
    return figures


def _described(version: str):
    return lambda answer: answer.status_code == 200 and answer.json().get("description") == version


def _gone(answer) -> bool:
    return answer.status_code == 404 or (answer.status_code == 200 and answer.json().get("is_stale") is True)


def test_event_mode_new_changed_and_deleted_dags_within_the_bounds(deployed, running, api, report):
    assert _event_mode(running), "the local inventory deploys event mode (airflow_dags_delivery: event)"
    ids = [f"e2e_event_{i}" for i in range(EVENT_NEW)]
    started = _upload_all(deployed["url"], {d: EVENT_DAG.format(dag_id=d, version="v1") for d in ids})
    new = _figures(_until(api, started, _described("v1"), 120))
    changed_ids = ids[:EVENT_CHANGED]
    started = _upload_all(deployed["url"], {d: EVENT_DAG.format(dag_id=d, version="v2") for d in changed_ids})
    changed = _figures(_until(api, started, _described("v2"), 120))
    s3 = boto3.client("s3", endpoint_url=deployed["url"])
    started = {}
    for dag_id in ids[-EVENT_DELETED:]:
        s3.delete_object(Bucket=DAGS_BUCKET, Key=f"{DAGS_PREFIX}{dag_id}.py")
        started[dag_id] = time.monotonic()
    deleted = _figures(_until(api, started, _gone, 120))
    report["event_mode"] = {
        "queue": running["envs"]["dag-sync"]["DAG_SYNC_QUEUE_URL"].rsplit("/", 1)[-1],
        "dag_processor_refresh_interval": running["envs"]["dag-processor"].get(
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"
        ),
        "new": new,
        "changed": changed,
        "deleted": deleted,
    }
    assert new["p95"] <= EVENT_NEW_P95, report["event_mode"]
    assert changed["p95"] <= EVENT_CHANGED_P95, report["event_mode"]
    assert deleted["p95"] <= EVENT_NEW_P95, report["event_mode"]


def test_event_mode_a_lost_notification_is_repaired_by_the_full_reconcile(deployed, running, api, report):
    """The event of an upload is deleted from the queue before the program can see it: a delivery
    delay on the queue holds it back, PurgeQueue deletes it. Only the next full listing (every
    DAG_SYNC_RECONCILE_INTERVAL) can bring the DAG."""
    env = running["envs"]["dag-sync"]
    sqs = boto3.client("sqs", endpoint_url=deployed["url"])
    url, reconcile = env["DAG_SYNC_QUEUE_URL"], float(env["DAG_SYNC_RECONCILE_INTERVAL"])
    held = ["ApproximateNumberOfMessagesDelayed"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "900"})
    try:
        started = {
            "e2e_event_lost": _upload(
                deployed["url"], "e2e_event_lost", EVENT_DAG.format(dag_id="e2e_event_lost", version="lost")
            )
        }
        stack.wait_for(
            lambda: (
                int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=held)["Attributes"][held[0]]) >= 1
            ),
            30,
            "the upload's event held in the queue",
        )
        sqs.purge_queue(QueueUrl=url)
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    (seconds,) = _until(api, started, _described("lost"), reconcile + 60)
    report.setdefault("event_mode", {})["lost_event_repaired_s"] = seconds
    report["event_mode"]["reconcile_interval_s"] = reconcile
    assert seconds <= reconcile + EVENT_NEW_P95, report["event_mode"]


def test_event_mode_keeps_the_mass_delete_guard(deployed, running, report):
    """Every DAG deleted from S3 at once: the events may delete locally at most the guard's share
    (DAG_SYNC_MAX_DELETE_FRACTION, 0.5) since the last full cycle and leave the rest to it (which
    refuses); the objects are put back afterwards."""
    s3 = boto3.client("s3", endpoint_url=deployed["url"])
    fraction = float(running["envs"]["dag-sync"].get("DAG_SYNC_MAX_DELETE_FRACTION", 0.5))
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DAGS_BUCKET, Prefix=DAGS_PREFIX)
        for o in page.get("Contents", [])
    ]
    bodies = {k: s3.get_object(Bucket=DAGS_BUCKET, Key=k)["Body"].read() for k in keys}
    dags = running["local"].dags
    before = len(list(dags.rglob("*.py")))
    log = running["procs"]["dag-sync"].log
    seen = len(log.read_text(errors="replace").splitlines())

    def deferred():
        lines = log.read_text(errors="replace").splitlines()[seen:]
        return [json.loads(x) for x in lines if x.startswith("{") and '"event_deletes_deferred"' in x]

    try:
        s3.delete_objects(Bucket=DAGS_BUCKET, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
        stack.wait_for(deferred, 60, "event deletions deferred to the full cycle's guard", every=0.5)
        after = len(list(dags.rglob("*.py")))
        report.setdefault("event_mode", {})["mass_delete"] = {
            "files": before,
            "kept": after,
            "share": fraction,
        }
        assert after >= before - int(before * fraction), report["event_mode"]["mass_delete"]
        assert running["procs"]["dag-sync"].alive()
    finally:
        for key, body in bodies.items():
            s3.put_object(Bucket=DAGS_BUCKET, Key=key, Body=body)
    stack.wait_for(lambda: len(list(dags.rglob("*.py"))) >= before, 60, "the DAGs put back", every=0.5)


# ---- issue 19: secrets rotation on the running stack (helpers: tests/e2e/rotation.py) ----------

# `slow` runs across the roll (its worker finishes it before stopping, and the api-server, rolled
# last, still checks its token). `after` is queued during the roll with a token the api-server does
# not check the same way until it is rolled too (the JWT rotation's window, README "Secrets
# rotation"): refused, it is retried until the roll is over.
SPAN_DAG = """
import time
from datetime import timedelta

from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, catchup=False, tags=["e2e"])
def build():
    @task
    def slow():
        time.sleep(10)
        return 1

    @task(retries=8, retry_delay=timedelta(seconds=15))
    def after(value):
        return value

    after(slow())


build()
"""


def test_each_secret_kind_rotates_under_the_running_stack(deployed, running, report):
    """playbooks/rotate_secrets.yml rotates every kind at once against the deployed emulator while a
    DAG run is under way; then AWS's part is played on the stand-ins in the order the run made it
    happen (rotation.py): RDS takes the new password, ElastiCache accepts the new token beside the
    old one, the services are rolled with their secrets read anew (one roll for the run's four),
    `airflow rotate-fernet-key` runs as the one-off task, ElastiCache keeps only the new token. A
    later run drops the old Fernet key; a process started with the secrets as they are then (the
    new key alone) still reads a Variable and a Connection written before the rotation. At the end
    PostgreSQL and Redis accept only the new credentials, the spanning run and a new one succeed,
    and every component passed its own health check after the roll."""
    import rotation

    url, local = deployed["url"], running["local"]
    defs = deployed["definitions"]
    containers = {s: _container(defs[s]) for s in deployed["services"]}
    readers = [s for s in deployed["services"] if containers[s].get("secrets")]
    figures = report.setdefault("rotation", {})
    roller = rotation.Roller(running, containers)
    began = time.monotonic()
    try:
        api = _api(running)
        variable = api.post(
            api.base + "/api/v2/variables", json={"key": "e2e_rotation", "value": "kept"}, timeout=30
        )
        assert variable.status_code in (200, 201), variable.text
        connection = {
            "connection_id": "e2e_rotation",
            "conn_type": "generic",
            "extra": json.dumps({"region": "kept"}),
        }
        created = api.post(api.base + "/api/v2/connections", json=connection, timeout=30)
        assert created.status_code in (200, 201), created.text
        shorts = ("db_master_password", "redis_auth_token", "fernet_key", "jwt_secret", "api_secret_key")
        old = {s: rotation.secret(url, s) for s in shorts}
        _upload(url, "e2e_rotation_span", SPAN_DAG.format(dag_id="e2e_rotation_span"))
        with ThreadPoolExecutor(1) as background:  # the run, while the DAG syncs
            run = background.submit(rotation.playbook, url, ["db", "redis", "fernet", "jwt"], True)
            stack.wait_for(
                lambda: _get(api, "/api/v2/dags/e2e_rotation_span").status_code == 200, 180, "span DAG"
            )
            assert api.patch(
                api.base + "/api/v2/dags/e2e_rotation_span", json={"is_paused": False}, timeout=30
            ).ok
            span = api.post(
                api.base + "/api/v2/dags/e2e_rotation_span/dagRuns", json={"logical_date": None}, timeout=30
            )
            assert span.status_code == 200, span.text
            span_run = f"/api/v2/dags/e2e_rotation_span/dagRuns/{span.json()['dag_run_id']}"
            slow = f"{span_run}/taskInstances/slow"
            stack.wait_for(lambda: _get(api, slow).json().get("state") == "running", 120, "the spanning task")
            done = run.result()
        assert done.returncode == 0, done.stdout[-4000:]
        figures["playbook_actions"] = [
            line.strip() for line in done.stdout.splitlines() if ": rotate (" in line
        ]
        new = {s: rotation.secret(url, s) for s in shorts}
        assert all(new[s] != old[s] for s in shorts)
        new_key, old_key = new["fernet_key"].split(",")
        assert old_key == old["fernet_key"]
        assert rotation.accepted_token_digests(url) == [rotation.digest(new["redis_auth_token"])]

        # AWS's part, in the run's order: ModifyDBInstance; ROTATE; the rolls; the one-off
        # re-encryption; SET.
        rotation.rds_applies_password(local, "airflow", new["db_master_password"])
        rotation.elasticache_rotates(local, old["redis_auth_token"], new["redis_auth_token"])
        assert rotation.redis_accepts(local, old["redis_auth_token"])  # both while the tasks move over
        assert rotation.redis_accepts(local, new["redis_auth_token"])
        values = rotation.reread(url, deployed["secrets"])
        figures["roll_healthy_after_s"] = roller.roll(readers, values)
        # The api-server, rolled last so that the spanning task could finish against it, made a new
        # certificate at start; the Execution API's callers read theirs at start (on ECS they trust the
        # ALB's, which does not change): the proof starts them once more.
        callers = [
            s
            for s in readers
            if s != "api-server" and "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" in running["envs"][s]
        ]
        figures["callers_restarted_after_s"] = roller.roll(callers, values, last=())
        rotation.reencrypt(_container(defs["db-migrate"]), values, local)
        rotation.elasticache_sets(local, new["redis_auth_token"])
        assert rotation.redis_accepts(local, new["redis_auth_token"])
        assert not rotation.redis_accepts(local, old["redis_auth_token"])
        sql = running["envs"]["scheduler"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert rotation.url_password(sql) == new["db_master_password"]
        assert rotation.db_accepts(sql)
        assert not rotation.db_accepts(rotation.with_password(sql, old["db_master_password"]))

        def span_done():
            state = _get(api, span_run).json()["state"]
            return state if state in ("success", "failed") else None

        api = _api(running)  # signed in again: the old session's token was signed with the old JWT secret
        assert stack.wait_for(span_done, 300, "the run spanning the rotation", every=1) == "success"
        tries = {
            t["task_id"]: t["try_number"]
            for t in _get(api, f"{span_run}/taskInstances").json()["task_instances"]
        }
        figures["span_run_tries"] = tries
        assert tries["slow"] == 1, tries  # ran across the roll without a retry

        # A later run drops the old Fernet key (the re-encryption is recorded on the secret).
        dropped = rotation.playbook(url, ["fernet"], False)
        assert dropped.returncode == 0 and "fernet: drop_old_key" in dropped.stdout, dropped.stdout[-3000:]
        assert rotation.secret(url, "fernet_key") == new_key
        after_drop = rotation.reread(url, deployed["secrets"])
        assert rotation.airflow_reads(_container(defs["db-migrate"]), after_drop, local) == {
            "variable": "kept",
            "connection_extra": {"region": "kept"},
        }
        result = _run(api, "e2e_celery_1")
        assert result["state"] == "success", (result, running["procs"]["worker"].tail())
        for service in deployed["services"]:
            assert running["procs"][service].alive(), service
    finally:  # the rolled processes keep running for the tests after this one (the fixture stops them)
        figures["seconds"] = round(time.monotonic() - began, 1)


def test_poll_mode_fallback_within_60_s(deployed, running, report):
    """airflow_dags_delivery: poll, in the same run: the event-mode DAG sync stopped, the same
    program started without DAG_SYNC_QUEUE_URL; a DAG uploaded right after its first listing is
    timed to the REST API (one full polling period, the worst case). It runs after the rotation
    test, which rolled the api-server (new JWT secret, new certificate): a new login."""
    api = _api(running)
    env = {
        k: v
        for k, v in running["envs"]["dag-sync"].items()
        if k not in ("DAG_SYNC_QUEUE_URL", "DAG_SYNC_RECONCILE_INTERVAL")
    }
    procs = stack.Processes(running["procs"]["dag-sync"].log.parent / "poll-mode")
    procs.stop(running["procs"]["dag-sync"])
    try:
        poller = procs.start(
            "dag-sync-poll", report["components"]["dag-sync"]["command"], env, running["local"].home
        )
        stack.wait_for(
            lambda: '"event": "cycle"' in poller.tail(100_000) or not poller.alive(), 120, "its first cycle"
        )
        assert poller.alive(), poller.tail()
        started = {
            "e2e_poll_mode": _upload(
                deployed["url"], "e2e_poll_mode", EVENT_DAG.format(dag_id="e2e_poll_mode", version="poll")
            )
        }
        (seconds,) = _until(api, started, _described("poll"), POLL_LIMIT + 60)
    finally:
        procs.stop_all()
    report["poll_mode_fallback_s"] = seconds
    assert seconds <= POLL_LIMIT, seconds
