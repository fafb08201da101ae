# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""Checkov (its own venv: it pins boto3 and networkx apart from ours) on the Terraform-plan rendering,
every check that applies to the plan's resource types, graph checks (CKV2_*) included. A failed check
fails the gate unless the checked-in skip list names it for this environment, with a reason.

Offline by construction (checkov 3.3.30; each switch, and the call it stops):
- --skip-download (main.py sets bc_integration.skip_download; BC_SKIP_MAPPING=TRUE would too, left
  out so that each switch here is the only one stopping its call, and the proof shows it): bc_integration
  .get_platform_run_config -> get_public_run_config, the GET of the checkov-ID mapping and
  guidelines from the Prisma Cloud / Bridgecrew API (api0.prismacloud.io, www.bridgecrew.cloud);
  get_prisma_build_policies; and the policy-metadata, custom-policies, suppressions, repo-config,
  fixes and vulnerabilities integrations (each is_valid() requires not skip_download).
- CKV_SKIP_PACKAGE_UPDATE_CHECK=true: the PyPI version check (GET pypi.org/pypi/checkov/json) that
  checkov.common.util.banner runs at import, before any argument is read.
- No API key: BC_API_KEY, PRISMA_API_URL and every other inherited BC_*/CKV_*/CHECKOV_*/PRISMA_* variable
  removed, HOME set to an empty directory (platform_key.read_key reads ~/.bridgecrew/credentials), so
  setup_bridgecrew_credentials, the Prisma login, the run-config download and every persist_*/upload
  after the scan never run; --skip-results-upload says the same for the uploads.
- --framework terraform_plan: none of the runners that call out (sca_package/sca_image vulnerability
  lookups, secrets verification, github/gitlab/bitbucket configuration fetches, terraform module
  registry downloads) is loaded; --download-external-modules false for the registry all the same.
- The working directory is the same empty directory: no .checkov.yaml from the caller's checkout or
  home can add a framework, an API key or a repo id."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

TOOL = "checkov"
OFFLINE_ARGS = [
    "--framework",
    "terraform_plan",
    "--skip-download",
    "--skip-results-upload",
    "--download-external-modules",
    "false",
]
OFFLINE_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
DROPPED_ENV_PREFIXES = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")


def offline_env(base: dict[str, str], home: str) -> dict[str, str]:
    """``base`` without any vendor setting, with the offline switches on and HOME at ``home``."""
    env = {k: v for k, v in base.items() if not k.startswith(DROPPED_ENV_PREFIXES)}
    env.update(OFFLINE_ENV, HOME=home, LOG_LEVEL="WARNING")
    return env


def applies(entry: dict, env: str, resource: str | None = None) -> bool:
    """Whether a skip entry covers ``env`` (and ``resource``, when given and the entry names resources)."""
    in_env = "all" in entry["environments"] or env in entry["environments"]
    return in_env and (resource is None or not entry.get("resources") or resource in entry["resources"])


def _reports(output: str) -> list[dict]:
    parsed = json.loads(output)
    return parsed if isinstance(parsed, list) else [parsed]


class Scan:
    """Checkov started on ``plan`` in the background (the gate runs the in-process tools meanwhile)."""

    def __init__(self, plan: dict, executable: str, timeout: int = 600):
        self._work = tempfile.TemporaryDirectory(prefix="plan-gate-")
        self._timeout = timeout
        self.began = time.monotonic()
        path = os.path.join(self._work.name, "tfplan.json")
        try:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(plan, handle)
            self._proc = subprocess.Popen(
                [executable, "--file", path, "--output", "json", *OFFLINE_ARGS],
                cwd=self._work.name,
                env=offline_env(dict(os.environ), self._work.name),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except BaseException:
            self._work.cleanup()
            raise

    def abort(self) -> None:
        """Stop Checkov (another tool could not run) and remove its directory."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        self._work.cleanup()

    def reports(self) -> list[dict]:
        """Wait for Checkov; its JSON reports (one per framework)."""
        try:
            out, err = self._proc.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            raise RuntimeError(f"checkov took more than {self._timeout} s") from None
        finally:
            self._work.cleanup()
        if self._proc.returncode not in (0, 1):
            raise RuntimeError(f"checkov exited {self._proc.returncode}: {err.strip()[-2000:]}")
        try:
            return _reports(out)
        except ValueError as e:
            raise RuntimeError(f"checkov printed no JSON report ({e}): {err.strip()[-2000:]}") from e


def run(plan: dict, env: str, skips: dict[str, dict], executable: str, timeout: int = 600) -> dict:
    """Scan ``plan`` and judge it (see ``judge``)."""
    return judge(Scan(plan, executable, timeout).reports(), env, skips, managed_count(plan))


def managed_count(plan: dict) -> int:
    return sum(1 for r in plan.get("resource_changes", []) if r.get("mode", "managed") == "managed")


def judge(reports: list[dict], env: str, skips: dict[str, dict], expected: int) -> dict:
    """Failures not skipped for ``env`` fail; skip entries that matched nothing are warned. A plan
    with ``expected`` resources of which Checkov read none fails (nothing was judged)."""
    failures, skipped, used, passed, parse_errors, read = [], [], set(), 0, 0, 0
    for report in reports:
        results = report.get("results", {})
        summary = report.get("summary", report)  # a run that found nothing prints the summary alone
        passed += summary.get("passed", 0)
        parse_errors += summary.get("parsing_errors", 0)
        read += summary.get("resource_count", 0)
        skipped += [
            f"{c['check_id']} {c['resource']}: suppressed inline" for c in results.get("skipped_checks", [])
        ]
        for check in results.get("failed_checks", []):
            check_id, resource = check["check_id"], check["resource"]
            entry = skips.get(check_id)
            if entry and applies(entry, env, resource):
                used.add(check_id)
                skipped.append(f"{check_id} {resource}: {entry['reason']}")
            else:
                failures.append(f"{TOOL} {check_id} {resource}: {check['check_name']}")
    if expected and not read:
        failures.append(
            f"{TOOL} no-resource tfplan.json: checkov read none of the plan's {expected} resources"
        )
    if parse_errors:
        failures.append(
            f"{TOOL} parsing-error tfplan.json: checkov could not parse the plan ({parse_errors})"
        )
    stale = [
        f"{TOOL} {cid} skip-list: no resource fails it in {env}; drop it or narrow its environments"
        for cid, entry in sorted(skips.items())
        if applies(entry, env) and cid not in used
    ]
    return {
        "failures": failures,
        "warnings": stale,
        "skipped": skipped,
        "summary": {
            env: {"passed": passed, "failed": len(failures), "skipped": len(skipped), "resources": read}
        },
    }
