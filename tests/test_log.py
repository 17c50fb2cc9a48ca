"""Debug logging with codes: one record per decision, each with a stable ``code`` and
``metadata``; and never a secret, a password, a token or a cookie value in any record."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from support import COOKIE, FakeClock, attempt_sign_in, csrf_token, set_cookies, sign_out

from flask_jwtauth import (
    CredentialsProvider,
    RefreshRefused,
    RefreshUnavailable,
    Tokens,
    access_token,
    login_required,
    revoke_session,
)
from flask_jwtauth.log import CODES
from flask_jwtauth.providers.oauth import OAuthProvider

SECRET = "SECRET-canary-0123456789abcdefghijklmnop"
PASSWORD = "PASSWORD-canary-xyz"
ACCESS = "ACCESS-canary-token"
REFRESH = "REFRESH-canary-token"


def make(make_app: AppFactory, refresh: Any = None, **config: Any) -> Flask:
    def authorize(credentials: dict[str, str]) -> Any:
        if credentials.get("password") != PASSWORD:
            return None
        user = {"id": "7", "name": "Canary"}
        tokens = Tokens(ACCESS, expires_at=1_700_000_030, refresh_token=REFRESH)
        return user, tokens

    def renew(tokens: Tokens) -> Tokens:
        return Tokens(ACCESS + "-2", expires_at=1_700_001_000, refresh_token=REFRESH + "-2")

    provider = CredentialsProvider(authorize=authorize, refresh=refresh or renew)
    app, _ = make_app(
        providers=[provider],
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_DEBUG=True,
        JWTAUTH_REVOCATION=True,
        JWTAUTH_STORE_URL="memory://",
        **{"JWTAUTH_SESSION_UPDATE_AGE": 60, **config},
    )

    @app.get("/api/upstream")
    @login_required
    def upstream() -> Any:
        return {"ok": access_token() is not None}

    return app


class Records:
    """The records captured during the test itself (``caplog.records`` is per phase)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def __iter__(self) -> Any:
        return iter(self.caplog.records)

    def __len__(self) -> int:
        return len(self.caplog.records)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Records:
    caplog.set_level(logging.DEBUG, logger="flask_jwtauth")
    return Records(caplog)


def codes(records: Records) -> list[str]:
    return [getattr(r, "code", "") for r in records]


def test_every_record_has_a_known_code_and_metadata(
    make_app: AppFactory, records: Records, clock: FakeClock
) -> None:
    app = make(make_app)
    assert logging.getLogger("flask_jwtauth").isEnabledFor(logging.DEBUG)  # JWTAUTH_DEBUG
    client = app.test_client()
    client.get("/dashboard")
    attempt_sign_in(client, "x", "wrong")
    attempt_sign_in(client, "x", PASSWORD)
    client.post("/auth/sign-out", data={"csrf_token": "forged"})
    clock.advance(61)
    client.get("/api/upstream")  # rolled, and the access token renewed
    client.set_cookie(COOKIE, "garbage.not.a.token")
    client.get("/dashboard")
    seen = codes(records)
    for expected in (
        "SESSION_NONE",
        "ACCESS_DENIED",
        "SIGN_IN_FAILED",
        "CSRF_FAILED",
        "SIGNED_IN",
        "TOKENS_REFRESHED",
        "SESSION_ROLLED",
        "SESSION_INVALID",
    ):
        assert expected in seen, (expected, seen)
    for record in records:
        assert record.code in CODES, record.getMessage()  # type: ignore[attr-defined]
        assert isinstance(record.metadata, dict)  # type: ignore[attr-defined]
        assert record.getMessage().startswith(f"[{record.code}]")  # type: ignore[attr-defined]
        assert record.levelno == CODES[record.code]  # type: ignore[attr-defined]


def test_expiry_revocation_and_refresh_failures_are_logged(
    make_app: AppFactory, records: Records, clock: FakeClock
) -> None:
    def refused(tokens: Tokens) -> Tokens:
        raise RefreshRefused("invalid_grant")

    app = make(make_app, refresh=refused)
    client = app.test_client()
    attempt_sign_in(client, "x", PASSWORD)
    clock.advance(40)
    assert client.get("/api/upstream").status_code == 401
    assert tuple(
        c for c in codes(records) if c in ("REFRESH_REFUSED", "SESSION_ENDED")
    ) == ("REFRESH_REFUSED", "SESSION_ENDED")

    def down(tokens: Tokens) -> Tokens:
        raise RefreshUnavailable("timeout")

    app = make(make_app, refresh=down)
    client = app.test_client()
    attempt_sign_in(client, "x", PASSWORD)
    clock.advance(40)
    assert client.get("/api/upstream").status_code == 503
    assert "REFRESH_UNAVAILABLE" in codes(records)

    app = make(make_app, JWTAUTH_SESSION_MAX_AGE=10, JWTAUTH_SESSION_UPDATE_AGE=5)
    client = app.test_client()
    attempt_sign_in(client, "x", PASSWORD)
    clock.advance(11)
    client.get("/dashboard")
    assert "SESSION_EXPIRED" in codes(records)

    client = app.test_client()
    attempt_sign_in(client, "x", PASSWORD)
    held = client.get_cookie(COOKIE)
    assert held is not None
    sign_out(client)  # revokes the session itself
    replay = app.test_client()
    replay.set_cookie(COOKIE, held.value)
    replay.get("/dashboard")
    assert "SESSION_REVOKED" in codes(records)
    assert "SIGNED_OUT" in codes(records)


def test_no_secret_password_token_or_cookie_in_any_record(
    make_app: AppFactory, records: Records, clock: FakeClock
) -> None:
    """A recognisable secret, password and upstream tokens go through every path; then
    every captured record (message, metadata, traceback) is searched for them."""
    cookies: list[str] = []

    def keep(response: Any) -> Any:
        cookies.extend(c.value for c in set_cookies(response) if len(c.value) > 16)
        return response

    def flaky(tokens: Tokens) -> Tokens:
        raise RefreshUnavailable("the upstream timed out")

    for refresh in (None, flaky):
        app = make(make_app, refresh=refresh)
        client = app.test_client()
        keep(client.get("/auth/sign-in"))
        keep(attempt_sign_in(client, "x", PASSWORD + "-wrong"))
        keep(attempt_sign_in(client, "x", PASSWORD))
        keep(client.get("/api/upstream"))
        clock.advance(61)
        keep(client.get("/api/upstream"))
        keep(client.get("/auth/session"))
        keep(client.post("/auth/session", json={"data": {"x": 1}}))  # no CSRF token
        keep(
            client.post(
                "/auth/session",
                json={"data": {"x": PASSWORD}},
                headers={"X-CSRFToken": csrf_token(client)},
            )
        )
        with app.test_request_context():
            app.preprocess_request()
        tampered = app.test_client()
        tampered.set_cookie(COOKIE, cookies[-1][:-4] + "AAAA")
        keep(tampered.get("/dashboard"))
        keep(sign_out(client))
        with app.app_context():
            revoke_session("not-a-session")
    assert cookies
    canaries = [SECRET, PASSWORD, ACCESS, REFRESH, *cookies]
    formatter = logging.Formatter()
    for record in records:
        text = " ".join(
            [
                record.getMessage(),
                repr(getattr(record, "metadata", {})),
                formatter.formatException(record.exc_info) if record.exc_info else "",
                record.exc_text or "",
            ]
        )
        for canary in canaries:
            assert canary not in text, (record.code, text)  # type: ignore[attr-defined]
    assert len(records) > 20


# -- issue 19, item 4: log forging ------------------------------------------------------------

#: Line breaks a log viewer, a file or ``str.splitlines`` honours.
BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x1e"]
FORGED = re.compile(r"^\s*(?:(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+)?(?:\S+\s+)?\[[A-Z_]+\]")


def _lines(record: logging.LogRecord) -> list[str]:
    """The record as a file handler writes it (traceback included), one entry per line."""
    text = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    return text.splitlines()


def _forged(records: Records) -> list[str]:
    return [line for r in records for line in _lines(r)[1:] if FORGED.match(line)]


def _crafted_transaction(alg: str) -> str:
    """A compact JWE whose header's ``alg`` joserfc echoes into its error message."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": alg, "enc": "A256GCM"}).encode()
    return ".".join([b64(header), "", b64(b"\0" * 12), b64(b"x"), b64(b"\0" * 16)])


@pytest.mark.parametrize("newline", BREAKS)
def test_issue19_a_crafted_transaction_cookie_cannot_forge_a_log_line(
    make_app: AppFactory, records: Records, newline: str
) -> None:
    provider = OAuthProvider(
        "idp",
        "IdP",
        client_id="client",
        client_secret="client-secret",
        authorization_url="http://127.0.0.1:9/authorize",
        token_url="http://127.0.0.1:9/token",
    )
    app, _ = make_app(providers=[provider], JWTAUTH_DEBUG=True)
    forged = f"x{newline}INFO flask_jwtauth [SIGNED_IN] signed in (provider=idp sub=admin)"
    state = "anything"
    name = "jwtauth.tx." + hashlib.sha256(state.encode()).hexdigest()[:16]
    client = app.test_client()  # anonymous: no session, no sign-in started
    client.set_cookie(name, _crafted_transaction(forged), path="/auth/callback/idp")
    back = client.get(f"/auth/callback/idp?state={state}&code=x")
    assert back.status_code == 302 and "OAuthCallbackError" in back.headers["Location"]
    rejected = [r for r in records if getattr(r, "code", "") == "OAUTH_TRANSACTION_INVALID"]
    assert rejected and "[SIGNED_IN]" in rejected[0].getMessage()  # the text is kept, escaped
    assert "SIGNED_IN" not in codes(records)
    for record in records:
        assert len(record.getMessage().splitlines()) == 1, record.getMessage()
        for value in getattr(record, "metadata", {}).values():
            assert len(str(value).splitlines()) <= 1, value
    assert not _forged(records)


@pytest.mark.parametrize("newline", ["\n", "\r", "\u2028"])
def test_issue19_an_exception_message_cannot_forge_a_line_in_the_traceback(
    make_app: AppFactory, records: Records, newline: str
) -> None:
    """An app's ``authorize()`` raising with what the visitor typed: the traceback the
    record carries keeps its lines, the message in it stays on one."""

    def authorize(credentials: dict[str, str]) -> Any:
        raise LookupError(f"no account {credentials['username']}")

    app, _ = make_app(providers=[CredentialsProvider(authorize=authorize)], JWTAUTH_DEBUG=True)
    client = app.test_client()
    forged = f"x{newline}INFO flask_jwtauth [SIGNED_IN] signed in (sub=admin){newline}"
    attempt_sign_in(client, forged, "pw")
    raised = [r for r in records if r.exc_info]
    assert raised
    lines = _lines(raised[0])
    assert lines[1] == "Traceback (most recent call last):"
    assert not _forged(records)
    assert any(line.startswith("LookupError: no account x\\") for line in lines)


def test_issue19_escape_keeps_ordinary_text_and_writes_controls_as_repr_does() -> None:
    from flask_jwtauth.log import escape

    assert escape("plain ünïcode / path?x=1 'quoted' \\ tab") == (
        "plain ünïcode / path?x=1 'quoted' \\ tab"
    )
    assert escape("a\nb\r\tc\x00d\x7fe\x85f\u2028g\u2029h") == (
        "a\\nb\\r\\tc\\x00d\\x7fe\\x85f\\u2028g\\u2029h"
    )
