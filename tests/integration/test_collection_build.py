"""The collection as users get it: `ansible-galaxy collection build`, installed from the tarball,
documented by `ansible-doc` from the installed copy.

galaxy.yml's build_ignore keeps what only this repository's development uses (virtualenvs,
Makefile and tools/, CI, benchmarks, reports, plan exports, build outputs, caches) out of the
tarball; tests/ ship, as the ansible-collections projects ship theirs. Offline throughout: the
install takes the tarball with --no-deps --offline, and the Galaxy server is a closed loopback
port, so a stray download fails at once instead of reaching the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTION = ("pathwai", "airflow_ecs")
# Left out by build_ignore (galaxy.yml): no file in the tarball starts with one of these.
DEVELOPMENT_ONLY = (
    ".venv/",
    ".gate-venv/",
    ".e2e-venv/",
    "collections/",
    "Makefile",
    "tools/",
    ".ci/",
    ".github/",
    "benchmarks/",
    "reports/",
    "plan-",
)
# What users and the shipped tests need, each checked-in file of it in the tarball.
SHIPPED_TREES = (
    "plugins/",
    "roles/",
    "meta/",
    "playbooks/",
    "policies/",
    "inventories/",
    "local_aws/",
    "tests/",
)
SHIPPED_FILES = ("README.md", "CHANGELOG.md", "site.yml", "requirements.txt", "requirements-gate.txt")


def _run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (
        f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done


def _checkout_files() -> tuple[set[str], set[str]]:
    """(checked-in files, files git would add: checked-in plus untracked and not ignored)."""

    def listing(*options: str) -> set[str]:
        out = subprocess.run(
            ["git", "ls-files", *options], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return set(out.stdout.splitlines())

    return listing(), listing("--cached", "--others", "--exclude-standard")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The tarball built from this checkout and the collection installed from it, in a tmp dir."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an installed copy): the tarball is compared with `git ls-files`")
    tmp = tmp_path_factory.mktemp("collection")
    config = tmp / "ansible.cfg"
    config.write_text("[defaults]\n")  # not the checkout's ansible.cfg: its collections_path is ./collections
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_COLLECTIONS_PATH=str(tmp / "installed"),  # the installed copy only
        ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/",  # nothing listens there: no download can happen
        ANSIBLE_NOCOLOR="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    _run(
        [str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", str(tmp / "dist")],
        env,
        tmp,
    )
    (tarball,) = (tmp / "dist").glob(f"{'-'.join(COLLECTION)}-*.tar.gz")
    install = ["collection", "install", str(tarball), "-p", str(tmp / "installed"), "--no-deps", "--offline"]
    _run([str(BIN / "ansible-galaxy"), *install], env, tmp)
    with tarfile.open(tarball) as archive:
        names = {m.name for m in archive.getmembers() if not m.isdir()}
    return {
        "tarball": tarball,
        "names": names,
        "env": env,
        "cwd": tmp,
        "installed": tmp / "installed" / "ansible_collections" / COLLECTION[0] / COLLECTION[1],
    }


def test_tarball_leaves_development_files_out(built: dict) -> None:
    names = built["names"]
    leaked = sorted(n for n in names if n.startswith(DEVELOPMENT_ONLY))
    assert not leaked, f"development-only files in the built collection: {leaked[:20]}"
    caches = sorted(n for n in names if "__pycache__/" in n or n.endswith(".pyc") or ".egg-info/" in n)
    assert not caches, f"caches or build metadata in the built collection: {caches[:20]}"
    # Nothing git would not add (venvs, build outputs, reports, scratch files are all ignored).
    _, addable = _checkout_files()
    stray = sorted(names - addable - {"MANIFEST.json", "FILES.json"})
    assert not stray, f"files in the built collection that are not part of the checkout: {stray[:20]}"
    size = built["tarball"].stat().st_size
    assert size < 2_000_000, f"the built collection is {size} bytes: something large is no longer ignored"


def test_tarball_ships_content_policies_and_tests(built: dict) -> None:
    names = built["names"]
    tracked, _ = _checkout_files()
    wanted = {n for n in tracked if n.startswith(SHIPPED_TREES) or n in SHIPPED_FILES}
    assert not sorted(wanted - names), (
        f"checked-in files missing from the built collection: {sorted(wanted - names)}"
    )
    for required in ("meta/runtime.yml", "policies/seed/no-nat.rego", "policies/gate/checkov-skips.yml"):
        assert required in names
    assert any(n.startswith("roles/gate/") for n in names) and any(n.startswith("tests/unit/") for n in names)


def test_gate_policy_dir_resolves_inside_the_installed_collection(built: dict) -> None:
    """roles/gate's default gate_policy_dir, "{{ role_path }}/../../policies", from the installed
    copy: role_path is <install>/roles/gate, so it must be the installed collection's policies/
    holding every file plan_gate reads."""
    role_path = built["installed"] / "roles" / "gate"
    defaults = yaml.safe_load((role_path / "defaults" / "main.yml").read_text())
    assert defaults["gate_policy_dir"] == "{{ role_path }}/../../policies"
    policy_dir = Path(defaults["gate_policy_dir"].replace("{{ role_path }}", str(role_path))).resolve()
    assert policy_dir == (built["installed"] / "policies").resolve()
    for name in ("gate/checkov-skips.yml", "gate/cfn-lint-ignore.yml", "gate/parliament-exceptions.yml"):
        assert yaml.safe_load((policy_dir / name).read_text()), f"{name} is empty in the installed copy"
    assert (policy_dir / "seed" / "no-nat.rego").read_text() == (
        ROOT / "policies/seed/no-nat.rego"
    ).read_text()


def test_ansible_doc_reads_a_module_from_the_installed_copy(built: dict) -> None:
    fqcn = "pathwai.airflow_ecs.kms_keys"
    done = _run([str(BIN / "ansible-doc"), "-j", fqcn], built["env"], built["cwd"])
    doc = json.loads(done.stdout)[fqcn]["doc"]
    assert Path(doc["filename"]).resolve() == (built["installed"] / "plugins/modules/kms_keys.py").resolve()
    assert doc["short_description"].startswith("Converge a set of customer-managed KMS keys")
    assert {"keys", "region"} <= set(doc["options"])


def test_ansible_doc_reads_a_role_from_the_installed_copy(built: dict) -> None:
    fqcn = "pathwai.airflow_ecs.kms"
    done = _run([str(BIN / "ansible-doc"), "-t", "role", "-j", fqcn], built["env"], built["cwd"])
    role = json.loads(done.stdout)[fqcn]
    assert Path(role["path"]).resolve() == built["installed"].resolve()
    options = role["entry_points"]["main"]["options"]
    assert {"kms_keys", "kms_deletion_window_days", "kms_enable_key_rotation"} <= set(options)
    assert options["airflow_env"]["required"] is True
