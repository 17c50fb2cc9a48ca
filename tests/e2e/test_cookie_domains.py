"""A session cookie shared by two host names over HTTPS, in a real browser (seed 002's
``.example.com`` domain cookie): signed in on one host, signed in on the other, and never
readable by page scripts."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from werkzeug.serving import make_server

from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required

from .conftest import CHROMIUM, CHROMIUM_ARGS, _unavailable

SECRET = "e2e-domains-Qw8Er4Ty7Ui1Op5As2Df9Gh3Jk6Lz0Xc"
HOSTS = ("app.example.test", "auth.example.test")


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(h) for h in HOSTS]
                + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _app() -> Flask:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET, JWTAUTH_COOKIE_DOMAIN=".example.test")

    def authorize(credentials: dict[str, str]) -> dict[str, Any] | None:
        ok = credentials["username"] == "alice" and credentials["password"] == "pw"
        return {"id": "1", "name": "Alice"} if ok else None

    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return f"<h1 id=hello>Hello {current_user['name']}</h1>"

    return app


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[int]:
    cert, key = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, _app(), threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.browser
def test_a_leading_dot_domain_cookie_works_on_both_hosts(https_server: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed: pip install playwright")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no browser at {CHROMIUM}: apt-get install chromium")
    args = [
        *CHROMIUM_ARGS,
        "--ignore-certificate-errors",
        "--host-resolver-rules=MAP *.example.test 127.0.0.1",
    ]
    port = https_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            context = browser.new_context(ignore_https_errors=True)
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"https://{HOSTS[0]}:{port}/dashboard")
            assert "/auth/sign-in" in page.url
            page.fill("input[name=username]", "alice")
            page.fill("input[name=password]", "pw")
            page.click("button[type=submit]")
            page.wait_for_url(f"https://{HOSTS[0]}:{port}/dashboard")
            assert page.inner_text("#hello") == "Hello Alice"
            assert "session-token" not in page.evaluate("document.cookie")  # HttpOnly
            cookies = {c["name"]: c for c in context.cookies()}
            shared = cookies["__Secure-jwtauth.session-token"]
            assert shared["domain"] == ".example.test" and shared["secure"] and shared["httpOnly"]
            page.goto(f"https://{HOSTS[1]}:{port}/dashboard")  # the other host name
            assert page.url == f"https://{HOSTS[1]}:{port}/dashboard"
            assert page.inner_text("#hello") == "Hello Alice"
        finally:
            browser.close()
