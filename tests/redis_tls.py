"""TLS for the real redis-server processes of ``redis_server``: a throwaway CA and a server
certificate it signed (the processes' :class:`~redis_server.TLSFiles`), made with
``cryptography`` (a dependency of pyjwt[crypto]), and a check that the installed programs
speak TLS at all."""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from redis_topologies import CLI, RedisProcess, TLSFiles, require_redis_ha


def make_tls_files(
    directory: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> TLSFiles:
    """A CA, and a certificate it signed for ``names`` (host names or IP addresses), valid
    for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))

    def signed(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if ca:
            usage = dict.fromkeys(
                ["content_commitment", "key_encipherment", "data_encipherment"], False
            )
            usage |= dict.fromkeys(["key_agreement", "encipher_only", "decipher_only"], False)
            builder = builder.add_extension(
                x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, **usage),
                True,
            )
        else:
            auth = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), False)
            builder = builder.add_extension(x509.ExtendedKeyUsage(auth), False)
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = signed("flask_jwtauth test CA", ca_key, "flask_jwtauth test CA", ca_key, True)
    cert = signed("localhost", key, "flask_jwtauth test CA", ca_key, False)
    files = TLSFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = serialization.PrivateFormat.PKCS8
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, pem, serialization.NoEncryption())
    )
    return files


def require_redis_tls(files: TLSFiles, directory: Path) -> None:
    """redis-server and redis-cli built with TLS (Debian's link libssl): one answers a
    TLS PING from the other, or the tests skip (fail in CI) saying so."""
    require_redis_ha()
    probe = RedisProcess(directory, tls=files)
    try:
        probe.start()
        subprocess.run(
            [CLI, *files.cli_options(), "-p", str(probe.port), "PING"],
            check=True,
            capture_output=True,
            timeout=10,
        )
    except (AssertionError, subprocess.SubprocessError):
        reason = "redis-server or redis-cli does not speak TLS (built without it?)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required in CI)", pytrace=False)
        pytest.skip(reason)
    finally:
        probe.stop()
