"""ECS task scale-in protection for the Celery worker.

A thread in the worker's main process looks every few seconds at how many tasks the worker
holds (Celery's own bookkeeping, ``celery.worker.state``, which the main process keeps for
every pool, prefork included) and tells the ECS agent:

- tasks in hand and not protected (or protection due for renewal):
  ``PUT $ECS_AGENT_URI/task-protection/v1/state`` ``{"ProtectionEnabled": true, "ExpiresInMinutes": N}``
- no task in hand and protected: the same PUT with ``{"ProtectionEnabled": false}``.

While protected, service auto scaling and deployments leave the ECS task alone, so scale-in
never hits a worker in the middle of an Airflow task (Fargate would kill it 120 s after
SIGTERM). Protection is renewed when half of ``ExpiresInMinutes`` has passed, so a worker
that dies without saying goodbye is unprotected again at most N minutes later.

The agent (aws/amazon-ecs-agent, ``tmds/handlers/taskprotection/v1``) answers 200 with
``{"protection": {"ProtectionEnabled": ..., "ExpirationDate": ..., "TaskArn": ...}}`` on
success, 200 with ``{"failure": {"Arn", "Reason", "Detail"}}`` when ECS refused the change
(e.g. a standalone task: TASK_NOT_VALID), and 4xx/5xx with ``{"error": {"Code", "Message"}}``
otherwise (403 when the task has no task role). It rejects unknown request fields.

Settings (environment):

``ECS_AGENT_URI``                          injected by ECS; unset: no-op, logged once
``AIRFLOW_ECS_PROTECTION_POLL_SECONDS``    default 5
``AIRFLOW_ECS_PROTECTION_EXPIRES_MINUTES`` default 60 (1..2880)

Errors from the endpoint are logged and retried at the next poll; they never reach Celery.
On warm shutdown the thread keeps its state while the running tasks finish (Celery waits
for them); Celery then sends ``worker_shutdown`` and protection is switched off.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("airflow_ecs_image.scale_in_protection")

PATH = "/task-protection/v1/state"
DEFAULT_POLL_SECONDS = 5.0
DEFAULT_EXPIRES_MINUTES = 60
MIN_EXPIRES_MINUTES = 1
MAX_EXPIRES_MINUTES = 2880
REQUEST_TIMEOUT_SECONDS = 10.0


class ProtectionError(Exception):
    """The agent did not confirm the requested protection state."""


@dataclass(frozen=True)
class Settings:
    agent_uri: str | None
    poll_seconds: float = DEFAULT_POLL_SECONDS
    expires_minutes: int = DEFAULT_EXPIRES_MINUTES

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        agent_uri = (env.get("ECS_AGENT_URI") or "").strip().rstrip("/") or None
        poll = _number(env, "AIRFLOW_ECS_PROTECTION_POLL_SECONDS", DEFAULT_POLL_SECONDS, float)
        expires = _number(env, "AIRFLOW_ECS_PROTECTION_EXPIRES_MINUTES", DEFAULT_EXPIRES_MINUTES, int)
        if poll <= 0:
            log.warning(
                "AIRFLOW_ECS_PROTECTION_POLL_SECONDS=%s is not positive; using %s", poll, DEFAULT_POLL_SECONDS
            )
            poll = DEFAULT_POLL_SECONDS
        if not MIN_EXPIRES_MINUTES <= expires <= MAX_EXPIRES_MINUTES:
            clamped = min(max(expires, MIN_EXPIRES_MINUTES), MAX_EXPIRES_MINUTES)
            log.warning(
                "AIRFLOW_ECS_PROTECTION_EXPIRES_MINUTES=%s outside 1..2880; using %s", expires, clamped
            )
            expires = clamped
        return cls(agent_uri=agent_uri, poll_seconds=poll, expires_minutes=expires)


def _number(env, name, default, kind):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default


def protection_body(enabled: bool, expires_minutes: int) -> dict:
    """The request body the agent accepts (it refuses unknown fields)."""
    if enabled:
        return {"ProtectionEnabled": True, "ExpiresInMinutes": expires_minutes}
    return {"ProtectionEnabled": False}


def parse_response(status: int, payload: bytes) -> dict:
    """The ``protection`` object of a successful answer; ProtectionError for anything else."""
    try:
        document = json.loads(payload.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        document = {}
    if not isinstance(document, dict):
        document = {}
    if status == 200 and isinstance(document.get("protection"), dict):
        return document["protection"]
    if isinstance(document.get("failure"), dict):
        failure = document["failure"]
        raise ProtectionError(f"ECS refused: {failure.get('Reason')} {failure.get('Detail') or ''}".strip())
    if isinstance(document.get("error"), dict):
        error = document["error"]
        raise ProtectionError(f"HTTP {status} {error.get('Code')}: {error.get('Message')}")
    raise ProtectionError(f"HTTP {status} {payload[:200]!r}")


class AgentClient:
    """PUT the protection state to the ECS agent (standard library only)."""

    def __init__(self, agent_uri: str, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        if not agent_uri.startswith(("http://", "https://")):
            raise ValueError(f"ECS_AGENT_URI is not an http(s) URL: {agent_uri!r}")
        self.url = agent_uri.rstrip("/") + PATH
        self.timeout = timeout

    def put(self, enabled: bool, expires_minutes: int) -> dict:
        body = json.dumps(protection_body(enabled, expires_minutes)).encode()
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(self.url, data=body, method="PUT", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked in __init__
                return parse_response(response.status, response.read())
        except urllib.error.HTTPError as exc:
            return parse_response(exc.code, exc.read() or b"")
        except (urllib.error.URLError, OSError) as exc:
            raise ProtectionError(f"cannot reach the ECS agent: {exc}") from exc


def desired_call(busy: bool, protected: bool | None, renew_at: float | None, now: float) -> bool | None:
    """What to send this poll: True (protect/renew), False (unprotect) or None (nothing).

    ``protected`` is None when the last call failed and the agent's state is unknown.
    """
    if busy:
        if protected is not True or renew_at is None or now >= renew_at:
            return True
        return None
    if protected is not False:
        return False
    return None


def tasks_in_hand() -> int:
    """Tasks this worker holds: received (prefetched) or running, from the main process's state."""
    from celery.worker import state

    # reserved_requests holds every received request until it is done; active_requests the
    # ones a pool process has started. Both are updated in the main process.
    return max(len(state.reserved_requests), len(state.active_requests))


class Protector:
    """The poll loop; ``step()`` is one poll, ``start()`` runs it on a daemon thread."""

    def __init__(
        self,
        settings: Settings,
        count_tasks: Callable[[], int] = tasks_in_hand,
        client: AgentClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.count_tasks = count_tasks
        self.client = client or AgentClient(settings.agent_uri or "")
        self.clock = clock
        self.protected: bool | None = False  # an ECS task starts unprotected
        self.renew_at: float | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failing = False

    def step(self) -> bool | None:
        """One poll. Returns the state sent (True/False) or None when nothing was sent."""
        with self._lock:
            try:
                count = self.count_tasks()
            except Exception:
                log.exception("scale-in protection: cannot count the worker's tasks")
                return None
            now = self.clock()
            wanted = desired_call(count > 0, self.protected, self.renew_at, now)
            if wanted is None:
                return None
            try:
                answer = self.client.put(wanted, self.settings.expires_minutes)
            except Exception as exc:  # never let the endpoint break the worker
                self.protected = None
                log.warning(
                    "scale-in protection: setting ProtectionEnabled=%s failed (%s); retry in %ss",
                    wanted,
                    exc,
                    self.settings.poll_seconds,
                )
                self._failing = True
                return None
            self.protected = wanted
            self.renew_at = now + self.settings.expires_minutes * 30.0 if wanted else None
            if self._failing:
                log.info("scale-in protection: the ECS agent answers again")
                self._failing = False
            log.info(
                "scale-in protection: ProtectionEnabled=%s (%d task(s) in hand, expires %s)",
                wanted,
                count,
                answer.get("ExpirationDate"),
            )
            return wanted

    def run(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.settings.poll_seconds)

    def start(self) -> threading.Thread:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name="ecs-scale-in-protection", daemon=True)
            self._thread.start()
        return self._thread

    def stop(self, final: bool = True) -> None:
        """Stop polling; with ``final``, one last poll (unprotects when no task is left)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.poll_seconds + REQUEST_TIMEOUT_SECONDS + 1)
        if final:
            self.step()


# --- Celery wiring -------------------------------------------------------------------------

_protector: Protector | None = None
_noop_logged = False


def current() -> Protector | None:
    return _protector


def _on_worker_ready(sender=None, **kwargs) -> None:
    """worker_ready: the main process has started its pool and consumer."""
    global _protector, _noop_logged
    settings = Settings.from_env()
    if not settings.agent_uri:
        if not _noop_logged:
            log.info("scale-in protection: ECS_AGENT_URI is not set (not on ECS); protection is off")
            _noop_logged = True
        return
    try:
        _protector = Protector(settings)
    except ValueError as exc:
        log.warning("scale-in protection disabled: %s", exc)
        return
    _protector.start()
    log.info(
        "scale-in protection: polling every %ss, ExpiresInMinutes=%s, agent %s",
        settings.poll_seconds,
        settings.expires_minutes,
        settings.agent_uri,
    )


def _on_worker_shutting_down(sig=None, how=None, **kwargs) -> None:
    """SIGTERM/SIGINT: keep protection as it is; Celery lets the running tasks finish first."""
    if _protector is not None:
        log.info("scale-in protection: %s shutdown (%s); protection kept while tasks finish", how, sig)


def _on_worker_shutdown(sender=None, **kwargs) -> None:
    """After the pool stopped (no task left): one final poll switches protection off."""
    global _protector
    if _protector is not None:
        _protector.stop(final=True)
        _protector = None


def connect_worker_signals() -> None:
    """Connect the protector to a Celery worker's main-process signals (idempotent)."""
    from celery import signals

    signals.worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="airflow-ecs-protect-ready")
    signals.worker_shutting_down.connect(
        _on_worker_shutting_down, weak=False, dispatch_uid="airflow-ecs-protect-shutting-down"
    )
    signals.worker_shutdown.connect(
        _on_worker_shutdown, weak=False, dispatch_uid="airflow-ecs-protect-shutdown"
    )
