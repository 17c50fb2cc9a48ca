"""Sign in by email link, against a real SMTP server (aiosmtpd, its own process)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from processes import free_port
from redis_server import RedisServer, redis_server  # noqa: F401 (fixture)
from smtp_server import SMTPServer, smtp_server  # noqa: F401 (fixture)
from support import FakeClock, csrf_token

from flask_jwtauth import ConfigurationError, EmailProvider, account_id
from flask_jwtauth.mailer import parse_server
from flask_jwtauth.providers.email import normalise_address
from flask_jwtauth.stores import MemoryStore, SQLiteStore, Store, open_store
from flask_jwtauth.verification import VerificationTokens

BASE = {"JWTAUTH_URL": "http://localhost", "JWTAUTH_STORE_URL": "memory://"}


def email_app(make_app: AppFactory, server: str, **config: Any) -> Flask:
    options = {k: config.pop(k) for k in ("per_address", "per_client", "send") if k in config}
    provider = EmailProvider(server if "send" not in options else None, **options)
    app, _ = make_app(providers=[provider], **{**BASE, **config})
    return app


def ask(client: FlaskClient, address: str, callback: str = "/dashboard") -> Any:
    token = csrf_token(client)
    return client.post(
        "/auth/sign-in/email",
        data={"csrf_token": token, "email": address, "callbackUrl": callback},
    )


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def link_in(message: EmailMessage) -> str:
    found = re.search(r"http://localhost/\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


def fields_of(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def confirm(client: FlaskClient, link: str) -> Any:
    """Open the link (the confirm page), then press its button."""
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return client.post("/auth/callback/email", data=form)


@pytest.fixture
def app(make_app: AppFactory, smtp_server: SMTPServer) -> Flask:  # noqa: F811
    return email_app(make_app, smtp_server.url)


def test_the_whole_flow_over_smtp(app: Flask, smtp_server: SMTPServer) -> None:  # noqa: F811
    client = app.test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert 'name="email" type="email"' in page
    sent = ask(client, "  Ann@Example.COM ")
    assert sent.status_code == 302
    assert sent.location == "/auth/verify-request?provider=email"
    check = client.get(sent.location)
    assert "Check your email" in check.get_data(as_text=True)
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Sign in to localhost"
    assert message["From"] == "no-reply@localhost"
    html = message.get_body(("html",))
    assert html is not None and "Sign in" in html.get_content()
    link = link_in(message)
    assert fields_of(link)["callbackUrl"] == "/dashboard"
    assert client.get("/api/me").status_code == 401
    signed_in = confirm(client, link)
    assert signed_in.status_code == 302 and signed_in.location == "/dashboard"
    user = client.get("/api/me").get_json()["user"]
    assert user["email"] == "ann@example.com"
    assert user["id"] == account_id("email", "ann@example.com")


def test_a_scanners_get_spends_nothing(app: Flask, smtp_server: SMTPServer) -> None:  # noqa: F811
    ask(app.test_client(), "ann@example.com")
    link = link_in(smtp_server.wait_for(1)[0])
    scanner = app.test_client()
    for _ in range(3):
        page = scanner.get(link)
        assert page.status_code == 200 and "Continue as" in page.get_data(as_text=True)
        assert scanner.get("/api/me").status_code == 401
    user = app.test_client()
    assert confirm(user, link).location == "/dashboard"
    assert user.get("/api/me").status_code == 200


@pytest.mark.parametrize("confirm_setting", [True, False])
def test_a_scanners_head_spends_nothing(
    make_app: AppFactory, confirm_setting: bool
) -> None:
    """Link scanners send HEAD too, and Flask answers a HEAD with the GET view: neither
    the link here nor at the Auth.js routes is spent by one, confirm page or not."""
    sent: list[tuple[Any, ...]] = []
    app = email_app(
        make_app,
        "",
        send=lambda *args: sent.append(args),
        JWTAUTH_EMAIL_CONFIRM=confirm_setting,
        JWTAUTH_AUTHJS_API_URL="/api/auth",
    )
    ask(app.test_client(), "ann@example.com")
    found = re.search(r"http://localhost/\S+", str(sent[0][2]))  # the text body's link
    assert found is not None
    link = found.group(0)
    path = urlsplit(link).path + "?" + urlsplit(link).query
    scanner = app.test_client()
    for where in (path, path.replace("/auth/callback/", "/api/auth/callback/")):
        head = scanner.head(where)
        assert head.status_code == 200, (where, head.status_code, head.headers.get("Location"))
        assert scanner.get("/api/me").status_code == 401
    user = app.test_client()
    done = confirm(user, link) if confirm_setting else user.get(path)
    assert done.location == "/dashboard"
    assert user.get("/api/me").status_code == 200


def test_a_link_works_once(app: Flask, smtp_server: SMTPServer) -> None:  # noqa: F811
    ask(app.test_client(), "ann@example.com")
    link = link_in(smtp_server.wait_for(1)[0])
    assert confirm(app.test_client(), link).location == "/dashboard"
    again = app.test_client()
    refused = confirm(again, link)
    assert refused.location.startswith("/auth/sign-in?error=Verification")
    assert again.get("/api/me").status_code == 401
    page = again.get(refused.location).get_data(as_text=True)
    assert "no longer valid" in page


def test_an_expired_link_is_refused(
    app: Flask,
    smtp_server: SMTPServer,  # noqa: F811
    clock: FakeClock,
) -> None:
    ask(app.test_client(), "ann@example.com")
    link = link_in(smtp_server.wait_for(1)[0])
    clock.advance(24 * 3600 + 1)
    client = app.test_client()
    assert confirm(client, link).location.startswith("/auth/sign-in?error=Verification")
    assert client.get("/api/me").status_code == 401


def test_max_age_is_a_setting(
    make_app: AppFactory,
    smtp_server: SMTPServer,  # noqa: F811
    clock: FakeClock,
) -> None:
    app = email_app(make_app, smtp_server.url, JWTAUTH_EMAIL_TOKEN_MAX_AGE=600)
    ask(app.test_client(), "ann@example.com")
    message = smtp_server.wait_for(1)[0]
    assert "within 10 minutes" in text_of(message)
    clock.advance(601)
    assert "error=Verification" in confirm(app.test_client(), link_in(message)).location


def test_tampered_and_cross_address_links_are_refused(
    app: Flask,
    smtp_server: SMTPServer,  # noqa: F811
) -> None:
    ask(app.test_client(), "ann@example.com")
    ask(app.test_client(), "bob@example.com")
    ann, bob = sorted(smtp_server.wait_for(2), key=lambda m: str(m["To"]))
    ann_link, bob_link = link_in(ann), link_in(bob)
    token = fields_of(ann_link)["token"]
    tampered = ann_link.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    crossed = ann_link.replace("ann%40example.com", "bob%40example.com")
    for bad in (tampered, crossed, ann_link.replace(token, "")):
        client = app.test_client()
        assert "error=Verification" in confirm(client, bad).location, bad
        assert client.get("/api/me").status_code == 401
    # Neither attempt spent the real links.
    for good, who in ((ann_link, "ann"), (bob_link, "bob")):
        client = app.test_client()
        assert confirm(client, good).location == "/dashboard"
        assert client.get("/api/me").get_json()["user"]["email"] == f"{who}@example.com"


def test_confirm_checks_csrf(app: Flask, smtp_server: SMTPServer) -> None:  # noqa: F811
    ask(app.test_client(), "ann@example.com")
    link = link_in(smtp_server.wait_for(1)[0])
    client = app.test_client()
    forged = client.post("/auth/callback/email", data={**fields_of(link), "csrf_token": "x"})
    assert "error=CSRF" in forged.location
    assert client.get("/api/me").status_code == 401
    assert confirm(client, link).location == "/dashboard"  # not spent


def test_without_confirm_the_get_signs_in(
    make_app: AppFactory,
    smtp_server: SMTPServer,  # noqa: F811
) -> None:
    app = email_app(make_app, smtp_server.url, JWTAUTH_EMAIL_CONFIRM=False)
    ask(app.test_client(), "ann@example.com")
    link = link_in(smtp_server.wait_for(1)[0])
    client = app.test_client()
    assert client.get(link).location == "/dashboard"
    assert client.get("/api/me").status_code == 200
    assert "error=Verification" in app.test_client().get(link).location


def test_unknown_addresses_are_refused_at_the_link_only(
    app: Flask,
    smtp_server: SMTPServer,  # noqa: F811
) -> None:
    auth = app.extensions["jwtauth"]
    known = {"ann@example.com"}
    auth.callbacks.sign_in = lambda **kw: kw["user"]["email"] in known

    answers = []
    for address in ("ann@example.com", "eve@example.com"):
        started = time.perf_counter()
        answer = ask(app.test_client(), address)
        answers.append((answer.status_code, answer.location, answer.get_data()))
        assert time.perf_counter() - started < 2
    assert answers[0] == answers[1]
    mails = {str(m["To"]): m for m in smtp_server.wait_for(2)}
    client = app.test_client()
    refused = confirm(client, link_in(mails["eve@example.com"]))
    assert refused.status_code == 403
    assert client.get("/api/me").status_code == 401
    assert confirm(client, link_in(mails["ann@example.com"])).location == "/dashboard"


def test_an_invalid_address_goes_back_to_the_form(app: Flask) -> None:
    client = app.test_client()
    answer = ask(client, "not an address")
    assert answer.location.startswith("/auth/sign-in?error=EmailSignin&code=invalid_email")
    page = client.get(answer.location).get_data(as_text=True)
    assert 'value="not an address"' in page
    assert "could not be sent" in page


def test_links_per_address_and_per_client_are_bounded(
    make_app: AppFactory,
    smtp_server: SMTPServer,  # noqa: F811
) -> None:
    app = email_app(make_app, smtp_server.url, per_address=2, per_client=3)
    client = app.test_client()
    assert ask(client, "ann@example.com").status_code == 302
    assert ask(client, "ANN@example.com").status_code == 302
    too_many = ask(client, "ann@example.com")
    assert too_many.status_code == 429 and too_many.headers["Retry-After"]
    assert ask(client, "bob@example.com").status_code == 429  # the client's fourth
    assert len(smtp_server.wait_for(2)) == 2


def test_a_server_that_is_down_answers_a_clear_page(make_app: AppFactory) -> None:
    app = email_app(make_app, f"smtp://127.0.0.1:{free_port()}?timeout=2")
    client = app.test_client()
    answer = ask(client, "ann@example.com")
    assert answer.location.startswith("/auth/sign-in?error=EmailSignin&code=send_failed")
    page = client.get(answer.location)
    assert page.status_code == 200
    assert "could not be sent" in page.get_data(as_text=True)
    as_json = client.post(
        "/auth/sign-in/email",
        json={"csrfToken": csrf_token(client), "email": "ann@example.com"},
    )
    assert as_json.status_code == 400 and as_json.get_json()["error"] == "EmailSignin"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word (a hung mail server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_a_hung_server_times_out(make_app: AppFactory, silent_server: int) -> None:
    app = email_app(make_app, f"smtp://127.0.0.1:{silent_server}?timeout=0.5")
    started = time.perf_counter()
    answer = ask(app.test_client(), "ann@example.com")
    assert time.perf_counter() - started < 3
    assert "error=EmailSignin" in answer.location


def test_smtp_login(make_app: AppFactory, tmp_path: Path) -> None:
    server = SMTPServer(tmp_path / "mail", login="mailer:s3cret")
    server.start()
    try:
        wrong = email_app(make_app, server.url.replace("s3cret", "nope"))
        assert "error=EmailSignin" in ask(wrong.test_client(), "ann@example.com").location
        right = email_app(make_app, server.url.replace("s3cret", "s3%63ret"))  # decoded
        assert ask(right.test_client(), "ann@example.com").status_code == 302
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()


def test_a_send_hook_replaces_smtp(make_app: AppFactory) -> None:
    sent: list[tuple[str, str, str, str | None]] = []
    app = email_app(make_app, "", send=lambda *args: sent.append(args))
    client = app.test_client()
    assert ask(client, "ann@example.com").status_code == 302
    to, subject, text, html = sent[0]
    assert subject == "Sign in to localhost"
    assert to == "ann@example.com" and "http://localhost/auth/callback/email?" in text
    assert html is not None and "&amp;token=" in html

    def broken(*args: Any) -> None:
        raise RuntimeError("the mail API is down")

    failing = email_app(make_app, "", send=broken)
    assert "code=send_failed" in ask(failing.test_client(), "ann@example.com").location


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com\t", "ann@example.com"),
        ("\uff41\uff4e\uff4e@example.com", "ann@example.com"),  # fullwidth letters
        ("ann@EXAMPLE.com.", "ann@example.com"),
        ("ann@bücher.de", "ann@xn--bcher-kva.de"),
        ("ann@localhost", "ann@localhost"),
    ],
)
def test_addresses_are_normalised_once(typed: str, expected: str) -> None:
    assert normalise_address(typed) == expected
    assert normalise_address(expected) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "ann", "ann@", "@example.com", "a@b@c.com", "ann smith@example.com",
     "ann@example.com,eve@example.com", "ann@exa mple.com", "ann\r\n@example.com",
     "ann@-example.com", "x" * 300 + "@example.com"],
)  # fmt: skip
def test_what_is_not_an_address(typed: str) -> None:
    assert normalise_address(typed) is None


def _store(kind: str, clock: FakeClock, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "memory":
        return MemoryStore(clock=clock)
    if kind == "sqlite":
        return SQLiteStore(str(tmp_path / "s.db"), clock=clock)
    server: RedisServer = request.getfixturevalue("redis_server")
    return open_store(server.url, prefix="t:")


@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
def test_tokens_are_hashed_one_use_and_bound(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = FakeClock()
    backend = _store(store, clock, tmp_path, request)
    tokens = VerificationTokens(backend, b"k" * 32, max_age=60, clock=clock)
    token = tokens.issue("ann@example.com")
    if isinstance(backend, MemoryStore):
        assert token not in repr(backend._data)
    assert not tokens.use("bob@example.com", token)
    assert tokens.use("ann@example.com", token)
    assert not tokens.use("ann@example.com", token)
    late = tokens.issue("ann@example.com")
    clock.advance(61)  # the app's clock: expired whatever the store's own clock says
    assert not tokens.use("ann@example.com", late)


@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
def test_racing_uses_of_one_link_sign_in_once(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = FakeClock()
    backend = _store(store, clock, tmp_path, request)
    tokens = VerificationTokens(backend, b"k" * 32, max_age=60, clock=clock)
    for _ in range(5):
        token = tokens.issue("ann@example.com")
        barrier = threading.Barrier(8)
        wins: list[bool] = []

        def use(
            token: str = token, barrier: threading.Barrier = barrier, wins: list[bool] = wins
        ) -> None:
            barrier.wait()
            wins.append(tokens.use("ann@example.com", token))

        threads = [threading.Thread(target=use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(wins) == [False] * 7 + [True]


def test_smtp_urls() -> None:
    plain = parse_server("smtp://u:p%40ss@mail.example.com")
    assert (plain.host, plain.port, plain.security, plain.password) == (
        "mail.example.com", 25, "plain", "p@ss"
    )  # fmt: skip
    assert parse_server("smtps://mail.example.com").port == 465
    assert parse_server("smtps://mail.example.com").security == "tls"
    assert parse_server("smtp+starttls://mail.example.com").port == 587
    assert parse_server("smtp://mail.example.com:2525?starttls=true").security == "starttls"
    assert parse_server("smtp://h?timeout=3").timeout == 3
    assert "p@ss" not in repr(plain)
    for bad in ("http://h", "smtp://", "smtp://h?timeout=0", "smtp://h:x"):
        with pytest.raises(ValueError):
            parse_server(bad)


def test_configuration_errors(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationError, match="JWTAUTH_URL"):
        make_app(providers=[EmailProvider("smtp://h")], JWTAUTH_STORE_URL="memory://")
    with pytest.raises(ConfigurationError, match="JWTAUTH_EMAIL_SERVER"):
        make_app(providers=[EmailProvider()], **BASE)
    with pytest.raises(ConfigurationError, match="JWTAUTH_EMAIL_SERVER"):
        make_app(providers=[EmailProvider("http://h")], **BASE)
    with pytest.raises(ConfigurationError, match="JWTAUTH_EMAIL_TOKEN_MAX_AGE"):
        make_app(providers=[EmailProvider("smtp://h")], JWTAUTH_EMAIL_TOKEN_MAX_AGE=0, **BASE)
