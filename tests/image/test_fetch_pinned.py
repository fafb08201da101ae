"""The RDS CA bundle in the image (issue 15): fetched only when its SHA-256 is the pinned one, and put
where the composed database URLs look for it (sslrootcert)."""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_ecs_image import fetch_pinned
from airflow_ecs_image.fetch_pinned import PinError
from test_dockerfile import DOCKERFILE, instructions

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "global-bundle.pem"
    path.write_bytes(BUNDLE)
    return path.as_uri(), hashlib.sha256(BUNDLE).hexdigest()


def test_the_pinned_file_is_kept(source, tmp_path):
    url, digest = source
    assert fetch_pinned.fetch(url, digest.upper(), tmp_path / "out" / "ca.pem") == digest
    assert (tmp_path / "out" / "ca.pem").read_bytes() == BUNDLE


def test_a_changed_file_is_refused_naming_its_checksum(source, tmp_path):
    url, digest = source
    wrong = "0" * 64
    with pytest.raises(PinError, match=f"has SHA-256 {digest}, not the pinned {wrong}"):
        fetch_pinned.fetch(url, wrong, tmp_path / "ca.pem")
    assert not (tmp_path / "ca.pem").exists()


@pytest.mark.parametrize("pin", ["", "abc", "placeholder"])
def test_a_missing_pin_fails_the_build(source, tmp_path, pin):
    url, _ = source
    with pytest.raises(PinError, match="no SHA-256 pinned"):
        fetch_pinned.fetch(url, pin, tmp_path / "ca.pem")


def test_plain_http_is_refused(tmp_path):
    with pytest.raises(PinError, match="https only"):
        fetch_pinned.fetch("http://127.0.0.1:9/x.pem", "0" * 64, tmp_path / "ca.pem")


def test_the_command_line_exits_non_zero_on_an_empty_pin(source, tmp_path):
    url, _ = source
    done = subprocess.run(
        [sys.executable, "-m", "airflow_ecs_image.fetch_pinned", url, "", str(tmp_path / "ca.pem")],
        cwd=DOCKERFILE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "no SHA-256 pinned" in done.stderr


def test_the_image_puts_the_bundle_where_the_database_urls_look():
    data_filter = (ROOT / "plugins" / "filter" / "data.py").read_text()
    bundle_path = re.search(r'^RDS_CA_BUNDLE = "([^"]+)"$', data_filter, re.M).group(1)
    copies = [shlex.split(args) for name, args in instructions() if name == "COPY"]
    assert ["--from=build", "/src/rds-global-bundle.pem", bundle_path] in copies
    runs = " ".join(args for name, args in instructions() if name == "RUN")
    assert "airflow_ecs_image.fetch_pinned" in runs and "${RDS_CA_BUNDLE_SHA256}" in runs
    assert "sslmode=verify-full&sslrootcert={ca_bundle}" in data_filter
