"""Ending sessions early, on every store: memory, SQLite (embedded), Redis (a real server);
across processes; when the store goes down; from code and from the CLI."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from redis_server import RedisServer, redis_server  # noqa: F401  (the fixture)
from support import COOKIE, SECRET, Clock, sign_in
from test_tokens import AuthJS, node_script

from flask_jwtauth import revoke_session, revoke_user, session_revoked
from flask_jwtauth.stores import MemoryStore
from flask_jwtauth.tokens import JWECodec

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


class Peer:
    """Another process of the same app (its own list, the real clock), asked over a pipe
    whether it lets the cookie in."""

    def __init__(self, url: str, cookie: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", PEER, SECRET, url, cookie],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def until(self, status: str, seconds: float) -> float:
        """Ask until the answer is ``status``; how long it took (fails past ``seconds``)."""
        started = time.monotonic()
        while (answer := self.ask()) != status:
            assert time.monotonic() - started < seconds, f"still {answer}, not {status}"
            time.sleep(0.05)
        return time.monotonic() - started

    def close(self) -> None:
        self.process.kill()
        self.process.communicate()  # closes the pipes


def _shared_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    return str(request.getfixturevalue("redis_server").url)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_process_started_after_the_revocation_refuses_it_at_once(
    make_app: AppFactory, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A fresh process loads the live list at its first request: no window at all."""
    url = _shared_url(kind, tmp_path, request)
    request.getfixturevalue("clock").now = time.time()  # the peer runs on the real clock
    app = revocable(make_app, url)
    client, other = app.test_client(), app.test_client()
    sign_in(client)
    sign_in(other, "bob")
    cookie, kept = client.get_cookie(COOKIE), other.get_cookie(COOKIE)
    assert cookie is not None and kept is not None
    sid = client.get("/api/whoami").get_json()["sid"]
    with app.app_context():
        revoke_session(sid)
    peer, bystander = Peer(url, cookie.value), Peer(url, kept.value)
    try:
        assert peer.ask() == "401"
        assert bystander.ask() == "200"
    finally:
        peer.close()
        bystander.close()


def test_a_process_refuses_while_the_redis_feed_is_down_then_recovers(
    make_app: AppFactory, redis_server: RedisServer, clock: Clock
) -> None:
    """Another process, on real time: its list is trusted for twice JWTAUTH_REVOCATION_SYNC
    (1 s) after the last good read, then 503 until Redis is back, with no restart."""
    clock.now = time.time()
    app = revocable(make_app, redis_server.url)
    client = app.test_client()
    sign_in(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    peer = Peer(redis_server.url, cookie.value)
    try:
        assert peer.ask() == "200"
        redis_server.stop()
        peer.until("503", 2.5)
        redis_server.start()
        peer.until("200", 2.0)
    finally:
        peer.close()


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_another_process_sees_a_revocation_within_a_second(
    make_app: AppFactory, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The peer reads the feed every half second: poll, within the 1 s bound."""
    url = _shared_url(kind, tmp_path, request)
    request.getfixturevalue("clock").now = time.time()  # the peer runs on the real clock
    app = revocable(make_app, url)
    client = app.test_client()
    sign_in(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    peer = Peer(url, cookie.value)
    try:
        assert peer.ask() == "200"
        token = client.get("/auth/csrf").get_json()["csrfToken"]
        client.post("/auth/sign-out", data={"csrf_token": token})
        assert peer.until("401", 1.0) < 1.0
    finally:
        peer.close()


def test_store_down_fails_closed_then_recovers(
    make_app: AppFactory, redis_server: RedisServer, clock: Clock
) -> None:
    """The list read last is trusted for twice JWTAUTH_REVOCATION_SYNC (the app's clock
    moves here); past that, 503 until the feed can be read again, with no restart."""
    app = revocable(make_app, redis_server.url, JWTAUTH_STORE_TIMEOUT=0.3)
    client = app.test_client()
    sign_in(client)
    assert client.get("/api/me").status_code == 200
    redis_server.stop()
    clock.advance(0.6)  # a read is due and fails: the list is still within its bound
    assert client.get("/api/me").status_code == 200
    clock.advance(0.6)  # past the bound
    started = time.monotonic()
    api = client.get("/api/me")
    assert time.monotonic() - started < 0.3 + 0.7
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.get_json()["error"] == "ServiceUnavailable"
    page = client.get("/dashboard")
    assert page.status_code == 503 and "unavailable" in page.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is not None  # nothing the user had is lost
    redis_server.start()
    clock.advance(0.6)  # the next read is due
    assert client.get("/api/me").status_code == 200  # no restart of the app


def test_store_down_fails_open_when_asked(
    make_app: AppFactory,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    clock: Clock,
) -> None:
    app = revocable(
        make_app, redis_server.url, JWTAUTH_STORE_TIMEOUT=0.3, JWTAUTH_STORE_FAIL_OPEN=True
    )
    client = app.test_client()
    sign_in(client)
    redis_server.stop()
    clock.advance(2)  # past the bound of the list read last
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


# -- Regression tests for issue 18, bugs 2, 4a and 8. -----------------------------------

QUICK_STORES = ["memory", "sqlite"]
AUTHJS_USER = {"name": "Ann", "email": "ann@example.com", "picture": None, "sub": "1"}


def _quick_store(kind: str, tmp_path: Path) -> str:
    return "memory://" if kind == "memory" else f"sqlite:///{tmp_path}/jwtauth.db"


def _authjs_minted(iat: float, lifetime: int = 30 * 24 * 3600) -> str:
    """A session token as Auth.js mints and re-issues it (same secret, same cookie name as
    the salt): no ``auth_time``, no ``sid``, ``iat`` set to the time of this encode, a new
    ``jti`` every time."""
    claims = {
        **AUTHJS_USER,
        "iat": int(iat),
        "exp": int(iat) + lifetime,
        "jti": str(uuid.uuid4()),
    }
    return JWECodec((SECRET.encode(),), COOKIE).encode(claims)


@pytest.mark.parametrize("kind", QUICK_STORES)
def test_issue18_revoke_user_binds_an_authjs_session_the_peer_reissues(
    make_app: AppFactory, clock: Clock, kind: str, tmp_path: Path
) -> None:
    """An Auth.js peer sharing the cookie mints sessions without ``auth_time`` and moves
    ``iat`` forward each time it re-issues the cookie. ``revoke_user(sub)`` must still hold:
    a session of that user without ``auth_time`` is refused while the revocation lives,
    whatever its ``iat`` (at least when that ``iat`` is later than the revocation): 401."""
    app = revocable(make_app, _quick_store(kind, tmp_path))
    client = app.test_client()
    client.set_cookie(COOKIE, _authjs_minted(clock.now))
    assert client.get("/api/me").status_code == 200  # an Auth.js session, accepted
    clock.advance(10)
    with app.app_context():
        revoke_user("1")
    assert client.get("/api/me").status_code == 401  # refused, as expected
    clock.advance(10)
    # The user reads their session on the Auth.js side: the peer re-issues the cookie.
    reissued = app.test_client()
    reissued.set_cookie(COOKIE, _authjs_minted(clock.now))
    response = reissued.get("/api/me")
    assert response.status_code == 401, response.get_json()


@pytest.mark.parametrize("kind", QUICK_STORES)
def test_issue18_revoke_user_binds_a_session_the_real_authjs_reissues(
    make_app: AppFactory, clock: Clock, kind: str, tmp_path: Path
) -> None:
    """The same with the real Auth.js (@auth/core's ``encode``, which stamps ``iat`` with the
    real time, after the revocation): the re-issued session, without ``auth_time``, is
    refused, 401."""
    authjs: AuthJS = node_script("authjs.mjs", "@auth/core/jwt.js", "@auth/core")
    clock.now = time.time() - 30  # the revocation happens before Auth.js's encode
    app = revocable(make_app, _quick_store(kind, tmp_path))
    with app.app_context():
        revoke_user("1")
    token: str = authjs(
        [{"op": "encode", "token": AUTHJS_USER, "secret": SECRET, "salt": COOKIE, "maxAge": 3600}]
    )[0]
    clock.now = time.time()
    client = app.test_client()
    client.set_cookie(COOKIE, token)
    response = client.get("/api/me")
    assert response.status_code == 401, response.get_json()


@pytest.mark.parametrize("kind", QUICK_STORES)
def test_issue18_a_sign_in_in_the_same_second_as_revoke_user_lives(
    make_app: AppFactory, clock: Clock, kind: str, tmp_path: Path
) -> None:
    """Change password, sign out everywhere, sign this browser in again: sign in at
    t=1000.3, ``revoke_user`` at 1000.5, sign in again through the real form at 1000.7.
    The first session is refused; the new one, which started after the revocation, is
    accepted (200), even within the same whole second."""
    app = revocable(make_app, _quick_store(kind, tmp_path))
    clock.now = 1_700_001_000.3
    old = app.test_client()
    sign_in(old)
    assert old.get("/api/me").status_code == 200
    clock.now = 1_700_001_000.5
    with app.app_context():
        revoke_user("1")
    assert old.get("/api/me").status_code == 401
    clock.now = 1_700_001_000.7
    new = app.test_client()
    sign_in(new)
    response = new.get("/api/me")
    assert response.status_code == 200, response.get_json()


def _memory_store_of(app: Flask) -> MemoryStore:
    """The app's store instance, found in ``app.extensions["jwtauth"]`` (there is no public
    way to hand JWTAuth a store object): a walk of the state's attributes (and of the dicts,
    lists and tuples among them), so that it does not depend on where the state keeps it."""
    seen: set[int] = set()
    todo: list[object] = [app.extensions["jwtauth"]]
    for _ in range(8):
        found: list[object] = []
        for item in todo:
            if id(item) in seen or isinstance(item, (str, bytes, int, float, type)):
                continue
            seen.add(id(item))
            if isinstance(item, MemoryStore):
                return item
            if isinstance(item, dict):
                found.extend(item.values())
            elif isinstance(item, (list, tuple, set, frozenset)):
                found.extend(item)
            else:
                found.extend(getattr(item, "__dict__", {}).values())
                for name in getattr(type(item), "__slots__", ()):
                    found.append(getattr(item, name, None))
        todo = found
    raise AssertionError("no MemoryStore in app.extensions['jwtauth']")


def test_issue18_a_revocation_made_here_is_refused_at_once_despite_a_lookup_in_flight(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revocation made in this process is refused at once (revocation.py: "one made here
    is refused at once"). Race: request A's revocation lookup has read "not revoked" from
    the store and is paused there; meanwhile ``revoke_session(sid)`` runs; then A finishes.
    The next request with the same cookie must be refused immediately (401), not accepted
    from a stale "not revoked" list that A's read brought in after the revocation.

    The store is wrapped by patching its feed read (``since``) on the app's MemoryStore
    instance (found through ``app.extensions["jwtauth"]``): JWTAuth takes no store object.
    Request A is the process's first use of the list, so it reads the feed."""
    app = revocable(make_app, "memory://")
    client = app.test_client()
    sign_in(client)  # no session lookup yet: nothing cached
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    sid = JWECodec((SECRET.encode(),), COOKIE).decode(cookie.value)["sid"]
    store = _memory_store_of(app)
    armed, entered, release = threading.Event(), threading.Event(), threading.Event()

    def paused(method: Callable[..., Any]) -> Callable[..., Any]:
        def read(*args: Any, **kwargs: Any) -> Any:
            answer = method(*args, **kwargs)  # what the store says now: "not revoked"
            if armed.is_set():
                armed.clear()
                entered.set()
                assert release.wait(5), "the test never released the lookup"
            return answer

        return read

    monkeypatch.setattr(store, "since", paused(store.since))
    answers: list[int] = []
    in_flight = app.test_client()
    in_flight.set_cookie(COOKIE, cookie.value)
    armed.set()
    thread_a = threading.Thread(target=lambda: answers.append(in_flight.get("/api/me").status_code))
    thread_a.start()
    try:
        assert entered.wait(5), "request A never read the revocation feed"
        with app.app_context():
            revoke_session(sid)
    finally:
        release.set()
        thread_a.join(5)
    assert answers and answers[0] in (200, 401)  # A started before the revocation: either
    response = client.get("/api/me")
    assert response.status_code == 401, response.get_json()


def test_a_verdict_kept_in_this_process_goes_stale_with_the_apps_clock(
    make_app: AppFactory, clock: Clock
) -> None:
    """The list's entries expire by the app's clock: once a test moves it past the
    revocation's life, the same session (no ``auth_time``, same id) is let in at
    once, not half a second of real time later."""
    app = revocable(make_app, "memory://", JWTAUTH_SESSION_MAX_AGE=60)
    with app.app_context():
        revoke_user("1")
    clock.advance(1)

    def minted() -> str:
        claims = {**AUTHJS_USER, "iat": clock.now, "exp": clock.now + 60, "jti": "one-session"}
        return JWECodec((SECRET.encode(),), COOKIE).encode(claims)

    client = app.test_client()
    client.set_cookie(COOKIE, minted())
    assert client.get("/api/me").status_code == 401  # revoked
    clock.advance(3600)  # the revocation entry has long expired
    client.set_cookie(COOKIE, minted())
    assert client.get("/api/me").status_code == 200


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_revocations_survive_a_rotation_of_the_secret(
    make_app: AppFactory,
    clock: Clock,
    tmp_path: Path,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The default store prefix follows the first secret: putting a new secret first used
    to hide every revocation made before (a revoked cookie re-encrypted later would live
    again). Revocations are now also read under the older secrets' prefixes."""
    if kind == "redis":
        url = request.getfixturevalue("redis_server").url
    else:
        url = f"sqlite:///{tmp_path}/store.db"
    new = "rotated-secret-Hq7Lm3Vx9Rt2Bz6Nc4Kw8Pj5"
    before = revocable(make_app, url)
    client = before.test_client()
    sign_in(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    with before.test_request_context():
        revoke_user("1")
    after = revocable(make_app, url, JWTAUTH_SECRET=[new, SECRET])
    replay = after.test_client()
    replay.set_cookie(COOKIE, cookie.value)
    assert replay.get("/api/me").status_code == 401
    clock.advance(1)
    fresh = after.test_client()
    sign_in(fresh)
    assert fresh.get("/api/me").status_code == 200  # signed in after the revocation
