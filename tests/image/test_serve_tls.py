"""The api-server's per-task TLS (issue 15): serve_tls makes a key and self-signed certificate at
start, and the api-server health check probes HTTPS, verifying against that certificate - against a
real TLS server on loopback serving it."""

from __future__ import annotations

import ssl
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from airflow_ecs_image import healthcheck, serve_tls
from airflow_ecs_image.healthcheck import Unhealthy
from cryptography import x509


def _https_server(cert: Path, key: Path):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            return None

        def do_GET(self) -> None:
            body = b'{"metadatabase": {"status": "healthy"}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def made(tmp_path):
    cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    serve_tls.make_certificate(cert, key)
    return cert, key


def test_the_key_is_private_and_the_certificate_names_localhost(made):
    cert, key = made
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    names = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)][:1] == ["127.0.0.1"]
    assert parsed.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_each_start_makes_a_new_key(made, tmp_path):
    cert, key = made
    first = key.read_bytes()
    serve_tls.make_certificate(cert, key)
    assert key.read_bytes() != first


def test_the_https_health_check_verifies_the_certificate_file(made, tmp_path):
    cert, key = made
    server = _https_server(cert, key)
    port = server.server_port
    try:
        assert "healthy" in healthcheck.http_check(f"https://localhost:{port}/health", 5, str(cert))
        other_cert, other_key = tmp_path / "other" / "cert.pem", tmp_path / "other" / "key.pem"
        serve_tls.make_certificate(other_cert, other_key)
        with pytest.raises(Unhealthy, match="CERTIFICATE_VERIFY_FAILED"):
            healthcheck.http_check(f"https://localhost:{port}/health", 5, str(other_cert))
        with pytest.raises(Unhealthy, match="CERTIFICATE_VERIFY_FAILED"):  # the system CAs do not know it
            healthcheck.http_check(f"https://localhost:{port}/health", 5)
    finally:
        server.shutdown()
        server.server_close()


def test_the_api_server_probe_follows_the_certificate_variable():
    assert healthcheck.api_server_probe({}) == ("http://localhost:8080/api/v2/monitor/health", None)
    assert healthcheck.api_server_probe({"AIRFLOW__API__SSL_CERT": "/tmp/tls/cert.pem"}) == (
        "https://localhost:8080/api/v2/monitor/health",
        "/tmp/tls/cert.pem",
    )


def test_a_missing_certificate_file_is_a_one_line_reason(tmp_path):
    with pytest.raises(Unhealthy, match="cannot read the certificate"):
        healthcheck.http_check("https://localhost:9/health", 1, str(tmp_path / "absent.pem"))


def test_serve_tls_writes_the_files_then_runs_airflow(tmp_path):
    """The module as the container runs it, with a stand-in ``airflow`` on PATH that prints its argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "airflow"
    fake.write_text(f"#!{sys.executable}\nimport sys; print('ran', *sys.argv[1:])\n")
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PYTHONPATH": str(Path(serve_tls.__file__).parents[1]),
        "AIRFLOW__API__SSL_CERT": str(tmp_path / "t" / "cert.pem"),
        "AIRFLOW__API__SSL_KEY": str(tmp_path / "t" / "key.pem"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "airflow_ecs_image.serve_tls", "api-server"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ran api-server"
    assert (tmp_path / "t" / "cert.pem").exists() and (tmp_path / "t" / "key.pem").exists()
    missing = subprocess.run(
        [sys.executable, "-m", "airflow_ecs_image.serve_tls", "api-server"],
        env={k: v for k, v in env.items() if k != "AIRFLOW__API__SSL_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2 and "usage" in missing.stderr
