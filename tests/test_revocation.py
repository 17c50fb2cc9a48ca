"""Ending sessions early, on every store: memory, SQLite (embedded), Redis (a real server);
across processes; when the store goes down; from code and from the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from redis_server import RedisServer, redis_server  # noqa: F401  (the fixture)
from support import COOKIE, SECRET, sign_in

from flask_jwtauth import revoke_session, revoke_user, session_revoked

StoreFactory = Callable[[], str]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/jwtauth.db"
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


def revocable(make_app: AppFactory, url: str, **config: Any) -> Flask:
    app, _ = make_app(JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL=url, **config)

    @app.get("/api/whoami")
    def whoami() -> Any:
        from flask_jwtauth import get_token

        token = get_token()
        return {"sid": token and token["sid"]}

    return app


def test_a_replayed_cookie_is_refused_after_sign_out(make_app: AppFactory, store_url: str) -> None:
    app = revocable(make_app, store_url)
    client = app.test_client()
    sign_in(client)
    stolen = client.get_cookie(COOKIE)
    assert stolen is not None
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    assert client.post("/auth/sign-out", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie(COOKIE, stolen.value)
    response = thief.get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "SessionRevoked"
    assert any(h.startswith(f"{COOKIE}=;") for h in response.headers.getlist("Set-Cookie"))


def test_revoke_one_session_and_every_session_of_a_user(
    make_app: AppFactory, store_url: str, clock: Any
) -> None:
    app = revocable(make_app, store_url)
    laptop, phone, other = app.test_client(), app.test_client(), app.test_client()
    sign_in(laptop, "ann")
    sign_in(phone, "ann")
    sign_in(other, "bob")
    revoked: list[str] = []
    session_revoked.connect(lambda sender, token: revoked.append(token["sub"]), app, weak=False)
    sid = laptop.get("/api/whoami").get_json()["sid"]
    with app.app_context():
        revoke_session(sid)
    assert laptop.get("/api/me").status_code == 401
    assert phone.get("/api/me").status_code == 200
    with app.app_context():
        revoke_user("1")  # ann: sign out everywhere
    assert phone.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200
    assert revoked == ["1", "1"]
    clock.advance(1)
    sign_in(phone, "ann")  # a session started afterwards lives
    assert phone.get("/api/me").status_code == 200


def test_the_session_id_survives_re_issues(
    make_app: AppFactory, store_url: str, clock: Any
) -> None:
    app = revocable(make_app, store_url, JWTAUTH_SESSION_UPDATE_AGE=0)
    client = app.test_client()
    sign_in(client)
    first = client.get("/api/whoami").get_json()["sid"]
    clock.advance(5)
    assert client.get("/api/whoami").get_json()["sid"] == first  # rolled, same session
    with app.app_context():
        revoke_session(first)
    assert client.get("/api/me").status_code == 401


PEER = """
import sys
from flask import Flask
from flask_jwtauth import JWTAuth, login_required
app = Flask("peer")
app.config.update(
    JWTAUTH_SECRET=sys.argv[1], JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL=sys.argv[2]
)
JWTAuth(app)
app.add_url_rule("/api/me", "me", login_required(lambda: {"ok": True}))
client = app.test_client()
client.set_cookie("jwtauth.session-token", sys.argv[3])
for line in sys.stdin:
    print(client.get("/api/me").status_code, flush=True)
"""


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_another_process_sees_a_revocation_within_a_second(
    make_app: AppFactory, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.db"
    else:
        url = request.getfixturevalue("redis_server").url
    import time as real_time

    from support import FakeClock

    clock: FakeClock = request.getfixturevalue("clock")
    clock.now = real_time.time()  # the peer runs on the real clock
    app = revocable(make_app, url)
    client = app.test_client()
    sign_in(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    peer = subprocess.Popen(
        [sys.executable, "-c", PEER, SECRET, url, cookie.value],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert peer.stdin is not None and peer.stdout is not None

        def ask() -> str:
            peer.stdin.write("go\n")  # type: ignore[union-attr]
            peer.stdin.flush()  # type: ignore[union-attr]
            return peer.stdout.readline().strip()  # type: ignore[union-attr]

        assert ask() == "200"
        token = client.get("/auth/csrf").get_json()["csrfToken"]
        client.post("/auth/sign-out", data={"csrf_token": token})
        revoked_at = time.monotonic()
        # The peer may reuse its last verdict for half a second: poll, within the bound.
        while ask() != "401":
            assert time.monotonic() - revoked_at < 1.0, "the peer still accepts the session"
            time.sleep(0.05)
        assert time.monotonic() - revoked_at < 1.0
    finally:
        peer.kill()
        peer.communicate()  # closes the pipes


def test_store_down_fails_closed_then_recovers(
    make_app: AppFactory,
    redis_server: RedisServer,
) -> None:
    app = revocable(make_app, redis_server.url, JWTAUTH_STORE_TIMEOUT=0.3)
    client = app.test_client()
    sign_in(client)
    redis_server.stop()
    started = time.monotonic()
    api = client.get("/api/me")
    assert time.monotonic() - started < 0.3 + 0.7
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.get_json()["error"] == "ServiceUnavailable"
    page = client.get("/dashboard")
    assert page.status_code == 503 and "unavailable" in page.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is not None  # nothing the user had is lost
    redis_server.start()
    assert client.get("/api/me").status_code == 200  # no restart of the app


def test_store_down_fails_open_when_asked(
    make_app: AppFactory,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = revocable(
        make_app, redis_server.url, JWTAUTH_STORE_TIMEOUT=0.3, JWTAUTH_STORE_FAIL_OPEN=True
    )
    client = app.test_client()
    sign_in(client)
    redis_server.stop()
    assert client.get("/api/me").status_code == 200
    assert "not checked for revocation" in caplog.text


def test_revocation_without_a_store_url_uses_sqlite_in_the_instance_folder(
    tmp_path: Path,
) -> None:
    from flask_jwtauth import JWTAuth

    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(JWTAUTH_SECRET=SECRET, JWTAUTH_REVOCATION=True)
    JWTAuth(app)
    assert (tmp_path / "instance" / "jwtauth.db").is_file()


def test_cli_revoke(make_app: AppFactory, tmp_path: Path) -> None:
    app = revocable(make_app, f"sqlite:///{tmp_path}/cli.db")
    client = app.test_client()
    sign_in(client)
    sid = client.get("/api/whoami").get_json()["sid"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jwtauth", "revoke", sid])
    assert result.exit_code == 0, result.output
    assert client.get("/api/me").status_code == 401
    sign_in(client)
    result = runner.invoke(args=["jwtauth", "revoke", "--user", "1"])
    assert result.exit_code == 0 and "every session" in result.output
    assert client.get("/api/me").status_code == 401
    assert runner.invoke(args=["jwtauth", "revoke"]).exit_code != 0


def test_revoke_without_revocation_says_how(make_app: AppFactory) -> None:
    app, _ = make_app()
    with app.app_context(), pytest.raises(RuntimeError, match="JWTAUTH_REVOCATION"):
        revoke_session("x")
