"""Run the deployed Airflow task definitions as local processes (issue 7).

Everything the containers get comes from what site.yml registered in the emulator: command,
environment, secrets (resolved from the emulated Secrets Manager by their ``valueFrom`` ARNs)
and health checks. Only these are changed, and :func:`container_env` is the one place that
changes them:

- endpoint host names inside the secrets (RDS, ElastiCache) -> 127.0.0.1 and the ports of the
  local PostgreSQL (TLS) and Redis (TLS + AUTH), which use the password / AUTH token of the
  secrets; the database URLs' ``sslrootcert`` (the image's RDS CA bundle) -> the proof's CA, which
  signed PostgreSQL's certificate for 127.0.0.1 (``sslmode=verify-full`` stays);
- ``AIRFLOW__CORE__EXECUTION_API_SERVER_URL``: the ALB's ``https://<domain>:8443/execution/`` ->
  the api-server directly, ``https://127.0.0.1:8080/execution/`` (TLS only: the api-server serves
  its per-task certificate), and ``AIRFLOW__API__SSL_CERT`` added for the containers that call it,
  pointing at that certificate (the Task SDK's client trusts certifi's CAs plus ``[api] ssl_cert``;
  on AWS they verify the ALB's certificate instead);
- paths: ``/opt/airflow/dags`` (EFS) -> a local folder, ``/opt/airflow`` (the image's home) -> the
  run's home folder (laid out as the image has it: :func:`image_home`), ``/tmp`` -> the task's own
  scratch folder (its ``TMPDIR``: the api-server's key and certificate among its files);
- the root file system: each container with ``readonlyRootFilesystem`` runs in a mount namespace of
  its own where every file system is read-only but its writable mounts (:func:`sandboxed`);
- added: ``AWS_ENDPOINT_URL`` (the emulator, so remote task logs really go to the emulated S3
  logs bucket) with dummy credentials (the task role), ``SSL_CERT_FILE`` (the local CA, as
  ElastiCache/RDS certificates verify against the image's CA store), ``PYTHONPATH`` (the
  image installs ``airflow_ecs_image``; here it is read from the repository).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT / "files" / "images" / "airflow"
E2E_VENV = ROOT / ".e2e-venv"
E2E_BIN = E2E_VENV / "bin"
IMAGE_PYTHON = "/opt/airflow-venv/bin/python"
DAGS_PATH = "/opt/airflow/dags"
IMAGE_HOME = "/opt/airflow"
READONLY_ROOT = Path(__file__).resolve().parent / "readonly_root.py"
API_PORT = 8080  # the api-server command's default port (the health check probes it)
REPORT = ROOT / "e2e-report.json"
REPORT_KEY = pytest.StashKey[dict]()  # the run's report, printed in the terminal summary


def render(data: dict) -> str:
    rows = [
        f"{'component':<14} {'healthy after':>13} {'PSS peak MiB':>12} {'task memory':>11} {'ratio':>6}",
    ]
    for name, c in data["components"].items():
        pss = c.get("pss_peak_mib")
        ratio = f"{c['task_memory_mib'] / pss:.1f}x" if pss else "-"
        healthy = f"{c['healthy_after_s']:.1f} s" if c.get("healthy_after_s") is not None else "-"
        rows.append(
            f"{name:<14} {healthy:>13} {pss if pss is not None else '-':>12} "
            f"{c['task_memory_mib']:>8} MiB {ratio:>6}"
        )
    up = data.get("upload_to_visible")
    if up:
        rows.append(
            f"upload -> visible ({len(up['seconds'])} DAGs, {up.get('delivery', 'poll')}): "
            f"p50 {up['p50']:.1f} s, p95 {up['p95']:.1f} s, "
            f"max {max(up['seconds']):.1f} s  {up['seconds']}"
        )
    events = data.get("event_mode") or {}
    for kind in ("new", "changed", "deleted"):
        if kind in events:
            figures = events[kind]
            rows.append(
                f"event mode, {kind} ({len(figures['seconds'])} DAGs): p50 {figures['p50']:.1f} s, "
                f"p95 {figures['p95']:.1f} s"
            )
    for key in sorted(k for k in events if k not in ("new", "changed", "deleted")):
        rows.append(f"event mode, {key}: {events[key]}")
    if "poll_mode_fallback_s" in data:
        rows.append(f"poll-mode fallback: {data['poll_mode_fallback_s']} s")
    if "dag_processor_idle_cpu" in data:
        rows.append(f"dag-processor at idle: {data['dag_processor_idle_cpu']}")
    for name, run in (data.get("runs") or {}).items():
        rows.append(f"run {name}: {run}")
    rows.append(f"changed endpoints/paths: {sorted(data.get('changed_env', {}))}")
    rows.append(f"total {data.get('total_seconds', '?')} s; report {REPORT}")
    return "\n".join(rows)


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.5):
    """Poll ``check`` until it returns something truthy; its value, or AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# ---- image environment ---------------------------------------------------------------------


def image_environment(dockerfile: Path = IMAGE_DIR / "Dockerfile") -> dict[str, str]:
    """The ``ENV`` of the image's final stage, as the container starts with it."""
    text = dockerfile.read_text()
    final = text.rsplit("\nFROM ", 1)[-1]
    joined = re.sub(r"\\\n", " ", final)
    env: dict[str, str] = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            for word in shlex.split(line[4:]):
                name, _, value = word.partition("=")
                env[name] = value
    return env


# ---- TLS ----------------------------------------------------------------------------------


def make_tls(folder: Path) -> dict[str, Path]:
    """A self-signed CA and a server certificate for 127.0.0.1/localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "airflow-e2e local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths["key"].chmod(0o600)
    return paths


# ---- processes ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.monotonic)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None


class Processes:
    """Every process the run starts, each in its own process group; ``stop_all`` ends them."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict, cwd: Path | None = None, **kw) -> Proc:
        log_path = self.logs / f"{name}.log"
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kw,
            )
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, timeout: float = 60, group: bool = True) -> None:
        """SIGTERM to the process group (``group=False``: to the main process only, as ECS signals a
        container's PID 1), then SIGKILL to what is left of the group once it has exited."""
        if proc.popen.poll() is None:
            try:
                (os.killpg if group else os.kill)(proc.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # leftovers of the group
            os.killpg(proc.popen.pid, signal.SIGKILL)
        if proc.popen.poll() is None:
            proc.popen.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)


# ---- memory ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(p) for p in (task / "children").read_text().split()]
    return kids


def process_tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(_children(current))
    return seen


def pss_kib(pid: int) -> int:
    """Proportional set size of ``pid`` and all its descendants (KiB)."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid``'s process tree so far, the children it reaped included."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime (fields 14-17)
    return total / os.sysconf("SC_CLK_TCK")


# ---- task definitions -> local processes -----------------------------------------------


def _pairs(items: list[dict], key: str = "value") -> dict[str, str]:
    return {item["name"]: item[key] for item in items or []}


def rewrite_endpoint(url: str, ports: dict[str, int], ca_file: Path | None = None) -> str:
    """A postgresql/redis URL with its host:port replaced by 127.0.0.1:<local port> and its
    ``sslrootcert`` (if any) by ``ca_file``."""
    parts = urlsplit(url)
    scheme = parts.scheme.removeprefix("db+").split("+")[0]  # postgresql+psycopg2, db+postgresql, rediss
    kind = "postgresql" if scheme.startswith("postgres") else "redis" if scheme.startswith("redis") else None
    if kind is None:
        return url
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{ports[kind]}" if userinfo else f"127.0.0.1:{ports[kind]}"
    query = parts.query
    if ca_file is not None and "sslrootcert=" in query:
        pairs = [(k, str(ca_file) if k == "sslrootcert" else v) for k, v in parse_qsl(query)]
        query = urlencode(pairs, safe="/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def certifi_bundle() -> str:
    """The public CAs (certifi) alone: what a client trusts without the proof's or the api-server's."""
    import certifi

    return certifi.where()


def query_value(url: str, name: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(name)


@dataclass
class Local:
    """Where the stand-ins live: ports, folders, the emulator URL."""

    emulator_url: str
    dags: Path
    home: Path
    ca_file: Path
    ports: dict[str, int]
    api_cert: Path | None = None  # the api-server's per-task certificate (its AIRFLOW__API__SSL_CERT)
    tasks: Path | None = None  # where each task's own folder (its scratch volumes) is made
    task: Path | None = None  # one task's own folder, None for the shared view

    def for_task(self, name: str) -> Local:
        """The view of one task (``name``): its own /tmp and scratch volumes under ``tasks``."""
        assert self.tasks is not None
        (self.tasks / name).mkdir(parents=True, exist_ok=True)
        return replace(self, task=self.tasks / name)

    @property
    def tmp(self) -> Path | None:
        return self.task / "tmp" if self.task else None

    def path(self, value: str) -> str:
        """A container path as the local run has it (DAGs -> local, the image's home -> the run's
        home, ``/tmp`` -> the task's own)."""
        for root, local in ((DAGS_PATH, self.dags), (IMAGE_HOME, self.home), ("/tmp", self.tmp)):
            if local is not None and (value == root or value.startswith(root + "/")):
                return str(local) + value[len(root) :]
        return value


def image_home(home: Path) -> None:
    """The run's home folder as the image's /opt/airflow is (files/images/airflow/Dockerfile): the
    folders it makes, its empty airflow.cfg and the FAB config file, owned by the run."""
    for folder in ("dags", "logs", "plugins"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(IMAGE_DIR / "airflow.cfg", home)
    shutil.copy(IMAGE_DIR / "airflow_ecs_image" / "webserver_config.py", home)


def writable_binds(container: dict, local: Local) -> list[tuple[Path, Path]]:
    """(source, target) of each writable mount of a container: a scratch volume is an empty folder
    of the task mounted where the local run has that path; a writable EFS mount (the DAG sync's)
    is the shared DAGs folder mounted onto itself."""
    assert local.task is not None
    binds = []
    for mount in container.get("mountPoints") or []:
        if mount.get("readOnly"):
            continue
        target = Path(local.path(mount["containerPath"]))
        own = mount["containerPath"] in (DAGS_PATH, "/tmp")  # already the task's (or the shared EFS)
        source = target if own else local.task / mount["sourceVolume"]
        for folder in {source, target}:
            folder.mkdir(parents=True, exist_ok=True)
        binds.append((source, target))
    return binds


def sandboxed(argv: list[str], container: dict, local: Local, hostname: str | None = None) -> list[str]:
    """``argv`` as the container runs it: in a mount namespace where the root file system is read-only
    (``readonlyRootFilesystem``) but the container's writable mounts, and, with ``hostname``, in a
    UTS namespace of its own under that host name (each Fargate task has its own)."""
    wrapper = ["unshare", "--mount", "--propagation", "private"]
    if hostname:
        wrapper.append("--uts")
    if not container.get("readonlyRootFilesystem"):
        raise AssertionError(f"{container['name']} does not set readonlyRootFilesystem")
    wrapper += [sys_python(), str(READONLY_ROOT)]
    if hostname:
        wrapper += ["--hostname", hostname]
    for source, target in writable_binds(container, local):
        wrapper += ["--bind", f"{source}:{target}"]
    return [*wrapper, "--", *argv]


def sys_python() -> str:
    """The machine's Python (what :func:`sandboxed` runs the wrapper with)."""
    return shutil.which("python3") or "/usr/bin/python3"


def inside(pid: int, argv: list[str]) -> list[str]:
    """``argv`` run inside the namespaces of the process ``pid`` (a health check in its container)."""
    return ["nsenter", "--mount", "--uts", "--wd", "-t", str(pid), *argv]


def container_env(
    container: dict, secret_values: dict[str, str], local: Local, dockerfile: Path = IMAGE_DIR / "Dockerfile"
) -> tuple[dict, dict]:
    """The environment a container starts with (image ENV, then the definition's environment and
    secrets), with the local changes; returns (env, changes: name -> (deployed, local))."""
    env = image_environment(dockerfile)
    env.update(_pairs(container.get("environment")))
    for name, arn in _pairs(container.get("secrets"), "valueFrom").items():
        env[name] = secret_values[arn]
    deployed = dict(env)
    roots = {}
    for name, value in list(env.items()):
        if "://" in value and (name.endswith(("_CONN", "_URL", "_BACKEND")) or "SQL_ALCHEMY" in name):
            env[name] = rewrite_endpoint(value, local.ports, local.ca_file)
            if query_value(value, "sslrootcert"):
                roots[query_value(value, "sslrootcert")] = query_value(env[name], "sslrootcert")
        env[name] = local.path(env[name])
    if "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" in env:
        env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"https://127.0.0.1:{API_PORT}/execution/"
        if local.api_cert is not None and "AIRFLOW__API__SSL_CERT" not in env:
            env["AIRFLOW__API__SSL_CERT"] = str(local.api_cert)
    env["AIRFLOW_HOME"] = str(local.home)
    if local.tmp is not None:
        env["TMPDIR"] = str(local.tmp)
    env["PATH"] = f"{E2E_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    env.update(
        PYTHONPATH=str(IMAGE_DIR),
        AWS_ENDPOINT_URL=local.emulator_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        SSL_CERT_FILE=str(local.ca_file),
        HOME=str(local.home),
        LANG="C.UTF-8",
    )
    changes = {k: (deployed.get(k), v) for k, v in env.items() if deployed.get(k) != v}
    for before, after in roots.items():
        changes["sslrootcert (in the database URLs)"] = (before, after)
    return env, changes


def local_argv(argv: list[str]) -> list[str]:
    """A container's command with the image's Python replaced by the e2e venv's."""
    out = [str(E2E_BIN / "python") if word == IMAGE_PYTHON else word for word in argv]
    if out and "/" not in out[0] and (E2E_BIN / out[0]).exists():  # the program only, not its arguments
        out[0] = str(E2E_BIN / out[0])  # (`airflow celery worker` must keep its `celery`)
    return out


def health_argv(container: dict) -> list[str]:
    command = container["healthCheck"]["command"]
    assert command[0] == "CMD", command
    return local_argv(command[1:])


# ---- PostgreSQL and Redis ------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    assert found, f"PostgreSQL's {name} not found under /usr/lib/postgresql (apt-get install postgresql)"
    return str(found[-1])


def start_postgres(procs: Processes, folder: Path, tls: dict[str, Path], sql_url: str) -> tuple[Proc, int]:
    """A PostgreSQL cluster (TLS) with the role and database of ``sql_url``, as the postgres user."""
    parts = urlsplit(sql_url)
    user, password, database = (unquote(v) for v in (parts.username, parts.password, parts.path.lstrip("/")))
    folder.mkdir(parents=True, exist_ok=True)
    data, sock = folder / "data", folder / "sock"
    sock.mkdir(exist_ok=True)
    for name in ("cert", "key"):
        (folder / f"server.{name}").write_bytes(tls[name].read_bytes())
    (folder / "server.key").chmod(0o600)
    subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
    folder_parent = folder.parent
    while folder_parent != folder_parent.parent:  # postgres must be able to reach the folder
        folder_parent.chmod(folder_parent.stat().st_mode | 0o011)
        folder_parent = folder_parent.parent
    runuser = shutil.which("runuser", path="/usr/sbin:/usr/bin:/sbin:/bin")
    assert runuser, "runuser (util-linux) is needed to run PostgreSQL as the postgres user"
    as_pg = [runuser, "-u", "postgres", "--"]
    subprocess.run(
        [*as_pg, _pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    hba = data / "pg_hba.conf"
    hba.write_text(
        "local all postgres trust\n"
        "hostssl all all 127.0.0.1/32 scram-sha-256\n"
        "hostnossl all all 0.0.0.0/0 reject\n"
    )
    port = free_port()
    proc = procs.start(
        "postgres",
        [
            *as_pg,
            _pg_bin("postgres"),
            "-D", str(data),
            "-p", str(port),
            "-k", str(sock),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "ssl=on",
            "-c", f"ssl_cert_file={folder / 'server.cert'}",
            "-c", f"ssl_key_file={folder / 'server.key'}",
            "-c", "max_connections=300",
            "-c", "fsync=off",
        ],
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )  # fmt: skip
    psql = [
        *as_pg,
        _pg_bin("psql"),
        "-h",
        str(sock),
        "-p",
        str(port),
        "-U",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
    ]

    def ready():
        assert proc.alive(), proc.tail()
        return subprocess.run([*psql, "-c", "select 1"], capture_output=True).returncode == 0

    wait_for(ready, 60, "PostgreSQL")
    quoted = password.replace("'", "''")
    subprocess.run(
        [*psql, "-c", f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{quoted}'"], check=True, capture_output=True
    )
    subprocess.run(
        [*psql, "-c", f'CREATE DATABASE "{database}" OWNER "{user}"'], check=True, capture_output=True
    )
    return proc, port


def start_redis(procs: Processes, folder: Path, tls: dict[str, Path], broker_url: str) -> tuple[Proc, int]:
    """redis-server on loopback: TLS only, ``requirepass`` = the AUTH token of ``broker_url``."""
    token = unquote(urlsplit(broker_url).password)
    assert '"' not in token and "\\" not in token, "the AUTH token must be quotable in redis.conf"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                "port 0",
                f"tls-port {port}",
                f"tls-cert-file {tls['cert']}",
                f"tls-key-file {tls['key']}",
                f"tls-ca-cert-file {tls['ca']}",
                "tls-auth-clients no",
                f'requirepass "{token}"',
                'save ""',
                "appendonly no",
                f"dir {folder}",
                "",
            ]
        )
    )
    proc = procs.start("redis", ["redis-server", str(conf)], env={"PATH": "/usr/bin:/bin"})
    wait_for(lambda: (proc.alive() or _fail(proc)) and port_open(port), 30, "Redis")
    return proc, port


def _fail(proc: Proc):
    raise AssertionError(f"{proc.name} exited {proc.popen.returncode}:\n{proc.tail()}")
