"""Container health checks: ``python -m airflow_ecs_image.healthcheck <component>``.

Exit 0 when healthy, 1 otherwise with a one-line reason on stderr. Standard library only:
the HTTP checks do not import Airflow (a health check runs every 30 s in every container).

==============  ==========================================================================
api-server      GET http://localhost:8080/api/v2/monitor/health -> 200; with
                ``AIRFLOW__API__SSL_CERT`` set (the api-server serves TLS,
                ``airflow_ecs_image.serve_tls``): https://, the certificate verified
                against that file and the host name ``localhost``
scheduler       GET http://localhost:8974/health -> 200 (needs
                ``AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=True``; port from
                ``AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT``)
dag-processor   ``airflow jobs check --job-type DagProcessorJob --local``
triggerer       ``airflow jobs check --job-type TriggererJob --local``
worker          ``celery --app airflow.providers.celery.executors.celery_executor.app
                inspect ping -d celery@<hostname>``
==============  ==========================================================================

``AIRFLOW_ECS_HEALTHCHECK_TIMEOUT`` (seconds, default 20) bounds each check; keep the task
definition's healthCheck timeout above it.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

API_SERVER_PATH = "localhost:8080/api/v2/monitor/health"
API_SERVER_URL = f"http://{API_SERVER_PATH}"
SCHEDULER_PORT = 8974
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
DEFAULT_TIMEOUT = 20.0
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer", "worker")


class Unhealthy(Exception):
    """The check failed; the message is the one-line reason."""


def _timeout(environ) -> float:
    try:
        return float(environ.get("AIRFLOW_ECS_HEALTHCHECK_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT


def one_line(text: str, limit: int = 300) -> str:
    """The last non-empty line of a command's output, shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def http_check(url: str, timeout: float, cafile: str | None = None) -> str:
    """GET ``url`` (http or https on localhost); https verifies the server against ``cafile``."""
    if not url.startswith(("http://localhost:", "https://localhost:")):
        raise Unhealthy(f"refusing to probe {url}")
    context = None
    if url.startswith("https://"):
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise Unhealthy(f"cannot read the certificate {cafile}: {exc}") from exc
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            status = response.status
            body = response.read(2000)
    except urllib.error.HTTPError as exc:
        body = exc.read(300) if exc.fp else b""
        raise Unhealthy(f"{url} answered {exc.code} {one_line(body.decode(errors='replace'))}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unhealthy(f"{url} unreachable: {reason}") from exc
    if status != 200:
        raise Unhealthy(f"{url} answered {status}")
    return body.decode(errors="replace")


def command_check(argv: Sequence[str], timeout: float) -> None:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise Unhealthy(f"{argv[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise Unhealthy(f"{' '.join(argv)} timed out after {timeout:g}s") from exc
    if done.returncode != 0:
        reason = one_line(done.stderr) or one_line(done.stdout) or "no output"
        raise Unhealthy(f"{' '.join(argv)} exited {done.returncode}: {reason}")


def api_server_probe(environ) -> tuple[str, str | None]:
    """The api-server health URL and the certificate to verify it with (None: plain HTTP)."""
    cert = (environ.get("AIRFLOW__API__SSL_CERT") or "").strip()
    return (f"https://{API_SERVER_PATH}", cert) if cert else (API_SERVER_URL, None)


def scheduler_url(environ) -> str:
    port = (environ.get("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT") or "").strip()
    return f"http://localhost:{int(port) if port.isdigit() else SCHEDULER_PORT}/health"


def worker_nodename() -> str:
    """Celery's default node name, ``celery@%h`` (%h = socket.gethostname(), like Celery itself)."""
    return f"celery@{socket.gethostname()}"


def command_for(component: str) -> list[str]:
    """The command a subprocess-based check runs (exposed for tests and documentation)."""
    if component == "dag-processor":
        return ["airflow", "jobs", "check", "--job-type", "DagProcessorJob", "--local"]
    if component == "triggerer":
        return ["airflow", "jobs", "check", "--job-type", "TriggererJob", "--local"]
    if component == "worker":
        return ["celery", "--app", CELERY_APP, "inspect", "ping", "-d", worker_nodename(), "--timeout", "10"]
    raise ValueError(component)


def check(component: str, environ=None) -> None:
    """Raise Unhealthy (one-line reason) unless ``component`` is healthy."""
    env = os.environ if environ is None else environ
    timeout = _timeout(env)
    if component == "api-server":
        url, cafile = api_server_probe(env)
        http_check(url, timeout, cafile)
    elif component == "scheduler":
        http_check(scheduler_url(env), timeout)
    elif component in ("dag-processor", "triggerer", "worker"):
        command_check(command_for(component), timeout)
    else:
        raise Unhealthy(f"unknown component {component!r} (one of: {', '.join(COMPONENTS)})")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(f"usage: python -m airflow_ecs_image.healthcheck {{{'|'.join(COMPONENTS)}}}", file=sys.stderr)
        return 1
    try:
        check(args[0])
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
