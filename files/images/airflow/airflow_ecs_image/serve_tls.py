"""Start an Airflow command with a TLS key and certificate made for this task alone.

``python -m airflow_ecs_image.serve_tls api-server`` writes a new EC P-256 key and a self-signed
certificate to the paths in ``AIRFLOW__API__SSL_KEY`` and ``AIRFLOW__API__SSL_CERT`` (Airflow
reads the same variables: ``[api] ssl_key`` / ``ssl_cert``), then replaces itself with
``airflow api-server``, which serves HTTPS with them. Nothing secret is in the image or the task
definition: the key exists only in this task's file system, readable by its user only.

Who trusts the certificate: the Application Load Balancer does not verify target certificates
(AWS's documented behaviour), so the ALB's HTTPS health checks and forwarded requests accept it;
the container's own health check (``airflow_ecs_image.healthcheck api-server``) verifies it
against the file, host name ``localhost`` included. Its names: ``localhost``, ``127.0.0.1`` and
the task's host name.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

CERT_VARIABLE = "AIRFLOW__API__SSL_CERT"
KEY_VARIABLE = "AIRFLOW__API__SSL_KEY"
VALID_DAYS = 3650  # the key dies with the task; only the task's own health check checks the dates


def _names() -> list:
    from cryptography import x509

    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    host = socket.gethostname()
    if host and host != "localhost":
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_certificate(cert_path: Path, key_path: Path) -> None:
    """A new key (mode 0600) and a self-signed server certificate for it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_names()), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    for path in (cert_path, key_path):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    os.chmod(key_path, 0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def main(argv: Sequence[str] | None = None, environ=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    cert, key = env.get(CERT_VARIABLE), env.get(KEY_VARIABLE)
    if not args or not cert or not key:
        print(
            f"usage: {CERT_VARIABLE}=<path> {KEY_VARIABLE}=<path> python -m airflow_ecs_image.serve_tls "
            "<airflow command...>",
            file=sys.stderr,
        )
        return 2
    make_certificate(Path(cert), Path(key))
    os.execvp("airflow", ["airflow", *args])  # noqa: S606 - the task definition's own command
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
