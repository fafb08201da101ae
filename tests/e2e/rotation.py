"""Issue 19 in the end-to-end proof: playbooks/rotate_secrets.yml runs against the deployed emulator
while this module plays AWS's part on the real stand-ins, as RDS, ElastiCache and ECS would:

- RDS: the master password the playbook gave ``ModifyDBInstance`` (the secret's ``AWSCURRENT``
  once promoted) becomes the PostgreSQL role's password (``ALTER ROLE``);
- ElastiCache: ``ROTATE`` adds the new token beside the old one (``ACL SETUSER default >new``),
  ``SET`` keeps only the new one (``resetpass``); the emulator's accepted tokens (their digests)
  say which step the run reached;
- ECS: a roll stops each task as ECS does (SIGTERM to the container's main process: a Celery
  worker finishes its running tasks first) and starts it again with its secrets read anew from the
  emulator, then waits for its own health check; the one-off ``airflow rotate-fernet-key`` task runs
  with the db migrate definition's environment.

No value is printed: assertions compare values, messages name secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import boto3
import stack

PLAYBOOK = "playbooks/rotate_secrets.yml"
PREFIX = "airflow/local"
NOTHING_DUE = dict.fromkeys(
    ["db_master_password", "redis_auth_token", "fernet_key", "jwt_secret", "api_secret_key"], 3650
)

CONNECT_DB = """
import os, sys
import psycopg2
try:
    psycopg2.connect(os.environ["E2E_DB_URL"]).close()
except psycopg2.OperationalError:
    sys.exit(1)
"""


def playbook(url: str, kinds: list[str], force: bool) -> subprocess.CompletedProcess:
    """ansible-playbook rotate_secrets.yml against the emulator at ``url`` (nothing else is due: the
    maximum ages are far away, so only ``force`` or a rotation under way acts)."""
    extra = {
        "rotate_secrets_kinds": kinds,
        "rotate_secrets_force": force,
        "rotate_secrets_max_age_days": NOTHING_DUE,
    }
    command = [str(Path(sys.executable).parent / "ansible-playbook"), PLAYBOOK, "-e", json.dumps(extra)]
    env = dict(
        os.environ, AWS_ENDPOINT_URL=url, ANSIBLE_CONFIG=str(stack.ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1"
    )
    return subprocess.run(command, cwd=stack.ROOT, env=env, capture_output=True, text=True, timeout=900)


def stop_after(url: str, action: str, nth: int = 1) -> None:
    """The emulator refuses every request after the ``nth`` answered ``action`` (a run stopped there)."""
    from local_aws.server import control_faults

    control_faults(url, "PUT", {"stop_after_writes": nth, "stop_on": action})


def faults_off(url: str) -> None:
    from local_aws.server import control_faults

    control_faults(url, "DELETE")


def secret(url: str, short: str, stage: str = "AWSCURRENT") -> str:
    sm = boto3.client("secretsmanager", endpoint_url=url)
    return sm.get_secret_value(SecretId=f"{PREFIX}/{short}", VersionStage=stage)["SecretString"]


def reread(url: str, arns) -> dict[str, str]:
    """The current value of each secret (by ARN), as a task started now would get it."""
    sm = boto3.client("secretsmanager", endpoint_url=url)
    return {arn: sm.get_secret_value(SecretId=arn)["SecretString"] for arn in arns}


def accepted_token_digests(url: str) -> list[str]:
    from local_aws.server import fetch_auth_tokens

    return fetch_auth_tokens(url)["airflow-local-redis"]


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ---- AWS's part on the stand-ins ----------------------------------------------------------


def _psql(local) -> list[str]:
    base = local.home.parent  # the run's folder: pg/sock is PostgreSQL's socket (stack.start_postgres)
    return [
        "runuser", "-u", "postgres", "--", stack._pg_bin("psql"), "-h", str(base / "pg" / "sock"),
        "-p", str(local.ports["postgresql"]), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
    ]  # fmt: skip


def rds_applies_password(local, user: str, password: str) -> None:
    quoted = password.replace("'", "''")
    sql = f"ALTER ROLE \"{user}\" PASSWORD '{quoted}'"
    subprocess.run([*_psql(local), "-c", sql], check=True, capture_output=True)


def _redis_cli(local, password: str, *command: str) -> subprocess.CompletedProcess:
    argv = ["redis-cli", "--tls", "--cacert", str(local.ca_file), "-h", "127.0.0.1", "-p",
            str(local.ports["redis"]), "--no-auth-warning", "-a", password, *command]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def elasticache_rotates(local, current: str, new: str) -> None:
    """ROTATE: the new token is accepted beside the current one."""
    assert _redis_cli(local, current, "ACL", "SETUSER", "default", f">{new}").stdout.strip() == "OK"


def elasticache_sets(local, new: str) -> None:
    """SET: only the new token is accepted."""
    done = _redis_cli(local, new, "ACL", "SETUSER", "default", "resetpass", f">{new}")
    assert done.stdout.strip() == "OK", done.stdout + done.stderr


def redis_accepts(local, token: str) -> bool:
    return _redis_cli(local, token, "PING").stdout.strip() == "PONG"


def db_accepts(url: str) -> bool:
    """Whether PostgreSQL accepts the (local) database URL ``url``: its user and password."""
    env = {"E2E_DB_URL": url.replace("+psycopg2", "", 1), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(stack.E2E_BIN / "python"), "-c", CONNECT_DB], env=env, capture_output=True, timeout=60
    )
    return done.returncode == 0


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0].split(":", 1)[0]
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}").geturl()


def url_password(url: str) -> str:
    return unquote(urlsplit(url).password or "")


# ---- ECS's part: a roll ---------------------------------------------------------------------


def local_secrets(container: dict, values: dict[str, str], local) -> dict[str, str]:
    """The container's secret variables with the values given, pointed at the stand-ins (as
    stack.container_env does)."""
    out = {}
    for item in container.get("secrets", []):
        value = values[item["valueFrom"]]
        if "://" in value:
            value = stack.rewrite_endpoint(value, local.ports, local.ca_file)
        out[item["name"]] = value
    return out


class Roller:
    """Restarts services of the running stand-in stack with new secret values, one roll at a time."""

    def __init__(self, running: dict, containers: dict[str, dict]):
        self.running = running
        self.containers = containers
        self.procs = running["processes"]  # the run's: its fixture stops what a roll started
        self.rolls = 0

    def roll(
        self, services: list[str], values: dict[str, str], last: tuple[str, ...] = ("api-server",)
    ) -> dict:
        """Every service of ``services`` stopped and started again with ``values`` (by ARN), the ones
        in ``last`` after the others; returns the seconds each took to be healthy again."""
        self.rolls += 1
        first = [s for s in services if s not in last]
        seconds = {}
        for group in (first, [s for s in services if s in last]):
            with ThreadPoolExecutor(max(1, len(group))) as pool:
                seconds.update(zip(group, pool.map(lambda s: self._restart(s, values), group), strict=True))
        return seconds

    def _restart(self, service: str, values: dict[str, str]) -> float:
        old = self.running["procs"][service]
        env = dict(self.running["envs"][service])
        env.update(local_secrets(self.containers[service], values, self.running["local"]))
        self.procs.stop(old, timeout=120, group=False)  # ECS signals the container's PID 1
        new = self.procs.start(
            f"{service}.roll{self.rolls}", list(old.popen.args), env, cwd=self.running["local"].home
        )
        self.running["procs"][service], self.running["envs"][service] = new, env
        # the check runs in the task's namespaces (its read-only root, a pool's host name)
        argv = stack.inside(new.popen.pid, stack.health_argv(self.containers[service]))

        def healthy():
            assert new.alive(), f"{service} exited after the roll:\n{new.tail()}"
            return subprocess.run(argv, env=env, capture_output=True, timeout=60).returncode == 0

        stack.wait_for(healthy, 300, f"{service} healthy after the roll", every=1)
        return round(time.monotonic() - new.started, 1)


READ_BACK = """
import json
from airflow.models import Connection, Variable

print(json.dumps({"variable": Variable.get("e2e_rotation"),
                  "connection_extra": Connection.get_connection_from_secrets("e2e_rotation").extra_dejson}))
"""


def airflow_reads(migrate: dict, values: dict[str, str], local) -> dict:
    """A Variable and a Connection read (decrypted) by a process started with ``values``: the db
    migrate definition's environment (the database URL and the Fernet keys)."""
    env, _ = stack.container_env(migrate, values, local)
    done = subprocess.run(
        [str(stack.E2E_BIN / "python"), "-c", READ_BACK], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def reencrypt(migrate: dict, values: dict[str, str], local) -> None:
    """The one-off task: ``airflow rotate-fernet-key`` with the db migrate definition's environment,
    on its read-only root (a task of its own)."""
    task = local.for_task("rotate-fernet-key")
    env, _ = stack.container_env(migrate, values, task)
    done = subprocess.run(
        stack.sandboxed(stack.local_argv(["airflow", "rotate-fernet-key"]), migrate, task),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
