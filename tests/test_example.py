"""The example app, every scenario, over HTTP with Flask's test client and a fake clock."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash
from werkzeug.test import TestResponse

import example
from example import db
from example.templating import clock_time
from example.upstream_tokens import ACCESS_TTL

if TYPE_CHECKING:
    from upstream_server import Upstream

pytest_plugins = ["upstream_server"]

COOKIE = "jwtauth.session-token"
START = 1_700_000_000.0


class FakeClock:
    """``clock.advance(11)`` instead of sleeping; the session and the backend both read it."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Running:
    app: Flask
    client: FlaskClient
    clock: FakeClock
    database: str
    sign_in_url: str

    def sign_in(
        self, username: str = "alice", password: str | None = None, callback_url: str = ""
    ) -> TestResponse:
        """Through the real form: read the CSRF token from the page, post it back."""
        page = self.client.get(self.sign_in_url).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "the sign-in page has no CSRF field"
        demo = {u.username: u.password for u in db.DEMO_USERS}
        return self.client.post(
            "/auth/sign-in/credentials",
            data={
                "username": username,
                "password": demo[username] if password is None else password,
                "csrf_token": match.group(1),
                "callbackUrl": callback_url,
            },
        )

    def session_cookie_set(self, response: TestResponse) -> bool:
        return any(
            h.startswith(f"{COOKIE}=") and "Max-Age=0" not in h
            for h in response.headers.getlist("Set-Cookie")
        )


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hash the demo passwords once; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("seed") / "users.sqlite3"
    assert db.init_db(str(path))
    return path


Start = Callable[..., Running]


@pytest.fixture
def start(tmp_path: Path, seeded_database: Path) -> Start:
    def factory(scenario: str = "default", **env: str) -> Running:
        database = tmp_path / f"{scenario}.sqlite3"
        shutil.copy(seeded_database, database)
        clock = FakeClock()
        environ = {
            "EXAMPLE_SCENARIO": scenario,
            "EXAMPLE_DATABASE": str(database),
            "EXAMPLE_DEMO_OIDC": "0",
            "EXAMPLE_DEMO_MAIL": "0",
            **env,
        }
        app = example.create_app({"TESTING": True}, clock=clock, environ=environ)
        sign_in_url = "/sign-in" if scenario == "seed000" else "/auth/sign-in"
        return Running(app, app.test_client(), clock, str(database), sign_in_url)

    return factory


def sign_in_redirect(response: TestResponse) -> dict[str, list[str]]:
    """The query of a redirect to the sign-in page (asserting that is what it is)."""
    assert response.status_code == 302, response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.path in ("/auth/sign-in", "/sign-in")
    return parse_qs(location.query)


# -- start-up ------------------------------------------------------------------------------


def test_first_run_creates_the_table_and_prints_the_demo_users_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "fresh" / "users.sqlite3"
    app = example.create_app(
        environ={
            "EXAMPLE_DATABASE": str(database),
            "EXAMPLE_DEMO_OIDC": "0",
            "EXAMPLE_DEMO_MAIL": "0",
        }
    )
    printed = capsys.readouterr().err
    assert "alice / alice-password" in printed
    assert "admin / admin-password  (role admin)" in printed
    assert "created with the demo users" in printed
    assert "session secret: generated for this instance" in printed
    secret_file = database.parent / "jwtauth-secret"
    assert secret_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert app.config["JWTAUTH_SECRET"] == secret_file.read_text().strip()
    assert app.config["JWTAUTH_THEME_APP_NAME"] == "JWTAuth Example"

    client = app.test_client()
    client.get("/")
    client.get("/auth/sign-in")
    assert capsys.readouterr().err == ""  # not per request

    secret = "example-Lk8Jh3Gf6Ds9Aq2Wz5Xc7Vb4Nm1Ty0Ru"
    example.create_app(
        environ={
            "EXAMPLE_DATABASE": str(database),
            "EXAMPLE_SECRET": secret,
            "EXAMPLE_DEMO_OIDC": "0",
            "EXAMPLE_DEMO_MAIL": "0",
        }
    )
    again = capsys.readouterr().err
    assert "created" not in again and "generated" not in again


def test_passwords_are_stored_hashed(start: Start) -> None:
    running = start()
    with closing(sqlite3.connect(running.database)) as conn:
        rows = dict(conn.execute("SELECT username, password_hash FROM users").fetchall())
    for user in db.DEMO_USERS:
        assert user.password not in rows[user.username]
        assert check_password_hash(rows[user.username], user.password)


def test_an_unknown_user_is_checked_against_a_dummy_hash(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = start()
    checked: list[str] = []

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(db, "check_password_hash", spy)
    assert db.authenticate(running.database, "nobody", "guess") is None
    assert checked == [db._dummy_hash()]
    alice = db.find_user(running.database, "alice")
    assert alice is not None
    # Same method and parameters as a real hash, so the check costs the same.
    assert checked[0].split("$")[0] == alice.password_hash.split("$")[0]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EXAMPLE_SCENARIO": "seed999"}, "use one of default, short-session, rolling"),
        ({"EXAMPLE_SESSION_MAX_AGE": "soon"}, "EXAMPLE_SESSION_MAX_AGE"),
        ({"EXAMPLE_SESSION_MAX_AGE": "0"}, "EXAMPLE_SESSION_MAX_AGE"),
    ],
)
def test_a_bad_environment_fails_at_start_naming_the_variable(
    env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        example.create_app(environ=env)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_an_unknown_scenario_prints_the_message_alone() -> None:
    """Through the real command: no traceback before the clear message."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "example", "routes"],
        cwd=Path(example.__file__).parent.parent,
        env={**__import__("os").environ, "EXAMPLE_SCENARIO": "nope"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "EXAMPLE_SCENARIO='nope' is not a scenario" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("alias", "seed"), [("short-session", "seed000"), ("rolling", "seed001")])
def test_scenarios_have_names_that_say_what_they_show(alias: str, seed: str) -> None:
    from example import scenarios

    assert scenarios.select({"EXAMPLE_SCENARIO": alias}) == scenarios.select(
        {"EXAMPLE_SCENARIO": seed}
    )


def test_the_max_age_override_caps_the_update_age(start: Start) -> None:
    running = start("seed001", EXAMPLE_SESSION_MAX_AGE="8")
    assert running.app.config["JWTAUTH_SESSION_MAX_AGE"] == 8
    assert running.app.config["JWTAUTH_SESSION_UPDATE_AGE"] == 2
    assert (
        start("seed000", EXAMPLE_SESSION_MAX_AGE="3").app.config["JWTAUTH_SESSION_UPDATE_AGE"]
        is None
    )


# -- default scenario: the pages -----------------------------------------------------------


def test_home_is_public_and_says_whether_you_are_signed_in(start: Start) -> None:
    running = start()
    page = running.client.get("/").get_data(as_text=True)
    assert "Not signed in" in page
    for link in ("/dashboard", "/admin", "/api-demo", "/api/me", "/auth/session", "/auth/sign-in"):
        assert f'href="{link}' in page
    running.sign_in()
    page = running.client.get("/").get_data(as_text=True)
    assert "Signed in" in page and "Alice Example" in page


def test_sign_in_page_is_the_packages_page_with_a_demo_hint(start: Start) -> None:
    page = start().client.get("/auth/sign-in?callbackUrl=/dashboard").get_data(as_text=True)
    # The package's page: the app's name once, as the brand (a link home), above "Sign in".
    assert "<h1>Sign in</h1>" in page and '<a href="/" rel="home"><span>JWTAuth Example' in page
    assert 'name="csrf_token"' in page and 'value="/dashboard"' in page
    assert 'id="demo-hint"' in page and "<code>alice-password</code>" in page
    assert page.count("<form") == 1


def test_round_trip_from_a_protected_page_back_to_it(start: Start) -> None:
    running = start()
    query = sign_in_redirect(running.client.get("/dashboard"))
    assert query == {"callbackUrl": ["/dashboard"]}

    response = running.sign_in(callback_url=query["callbackUrl"][0])
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"

    page = running.client.get("/dashboard").get_data(as_text=True)
    assert "Hello, Alice Example" in page
    # current_session, shaped by the session callback
    assert '"username": "alice"' in re.sub(r"<[^>]+>", "", page)
    assert "(in 30 d, unless re-issued)" in page
    assert 'id="reissued">not yet' in page


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(start: Start) -> None:
    running = start()
    message = "Sign in failed. Check the details you provided are correct."
    for username in ("alice", "mallory"):
        response = running.sign_in(username, password="nope")
        assert response.status_code == 302  # back to the sign-in page, which says why
        assert "error=CredentialsSignin" in response.headers["Location"]
        page = running.client.get(response.headers["Location"])
        assert message in page.get_data(as_text=True)
    assert running.client.get_cookie(COOKIE) is None


def test_admin_page_needs_the_role(start: Start) -> None:
    running = start()
    running.sign_in("alice")
    denied = running.client.get("/admin")
    assert denied.status_code == 403
    assert "Access denied" in denied.get_data(as_text=True)

    admin = start()
    admin.sign_in("admin")
    page = admin.client.get("/admin")
    assert page.status_code == 200
    assert "Welcome, Ada Admin" in page.get_data(as_text=True)


def test_api_me_is_json_and_a_json_401_without_a_session(start: Start) -> None:
    running = start()
    anonymous = running.client.get("/api/me")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"] == "SessionRequired"

    running.sign_in()
    me = running.client.get("/api/me")
    assert me.status_code == 200
    body = me.get_json()
    assert body["user"]["username"] == "alice" and body["user"]["email"] == "alice@example.com"
    assert "expires" in body


def test_api_demo_page_fetches_api_me(start: Start) -> None:
    running = start()
    page = running.client.get("/api-demo").get_data(as_text=True)
    assert 'id="api-result"' in page and 'data-url="/api/me"' in page
    with running.client.get("/static/api-demo.js") as script:  # a file response: close it
        assert "fetch(result.dataset.url" in script.get_data(as_text=True)


def test_sign_out_through_the_confirmation_page(start: Start) -> None:
    running = start()
    running.sign_in()
    page = running.client.get("/auth/sign-out").get_data(as_text=True)
    assert "Are you sure you want to sign out?" in page
    assert running.client.get("/dashboard").status_code == 200  # GET never signs out
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = running.client.post("/auth/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert running.client.get_cookie(COOKIE) is None
    sign_in_redirect(running.client.get("/dashboard"))


def test_a_short_session_expires_with_the_reason_and_the_page_to_return_to(
    start: Start,
) -> None:
    running = start(EXAMPLE_SESSION_MAX_AGE="3")
    running.sign_in()
    assert running.client.get("/dashboard").status_code == 200
    running.clock.advance(3)
    query = sign_in_redirect(running.client.get("/dashboard"))
    assert query == {"callbackUrl": ["/dashboard"], "error": ["SessionExpired"]}
    page = running.client.get("/auth/sign-in?callbackUrl=/dashboard&error=SessionExpired")
    assert "Your session has expired, please sign in again." in page.get_data(as_text=True)

    again = start(EXAMPLE_SESSION_MAX_AGE="3")
    again.sign_in()
    again.clock.advance(3)
    api = again.client.get("/api/me")
    assert api.status_code == 401 and api.get_json()["error"] == "SessionExpired"


# -- seed 000: a 10-second session, everything protected -----------------------------------


def test_seed000_protects_everything_but_static_files_sign_in_and_sign_up(
    start: Start,
) -> None:
    running = start("seed000")
    client = running.client
    for path in ("/", "/dashboard", "/api-demo"):
        assert sign_in_redirect(client.get(path))["callbackUrl"] == [path]
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me").get_json()["error"] == "SessionRequired"
    assert client.get("/sign-in").status_code == 200
    # Moved to /sign-in: the old address leads there.
    assert client.get("/auth/sign-in").headers["Location"] == "/sign-in"
    assert client.get("/sign-up").status_code == 200
    with client.get("/static/style.css") as static:
        assert static.status_code == 200
    assert client.get("/favicon.ico").status_code == 404  # public, merely absent
    # Static files are public by endpoint and by name, not "any path with a dot".
    for path in ("/api/export.csv", "/api/me.json", "/trpc/users.list"):
        assert client.get(path).status_code in (302, 401), path
    assert client.get("/api/export.csv").get_json()["error"] == "SessionRequired"
    assert sign_in_redirect(client.get("/report.pdf"))["callbackUrl"] == ["/report.pdf"]


def test_seed000_the_old_sign_in_address_signs_in_and_lands_home(start: Start) -> None:
    """Issue 21, item 5: ``/auth/sign-in`` (a bookmark from the default scenario) goes to
    ``/sign-in``, and signing in there lands on a page, not on a 404."""
    running = start("seed000")
    client = running.client
    moved = client.get("/auth/sign-in?callbackUrl=%2Fdashboard")
    assert moved.status_code == 302
    assert moved.headers["Location"] == "/sign-in?callbackUrl=%2Fdashboard"
    assert client.get("/auth/sign-in").headers["Location"] == "/sign-in"
    # What the guard made of it before: the sign-in page ignores a callbackUrl to itself.
    page = client.get("/sign-in?callbackUrl=%2Fauth%2Fsign-in").get_data(as_text=True)
    assert 'name="callbackUrl" value=""' in page
    landed = running.sign_in(callback_url="/auth/sign-in")
    assert landed.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_seed000_session_lasts_ten_seconds_whatever_the_activity(start: Start) -> None:
    running = start("seed000")
    response = running.sign_in(callback_url="/dashboard")
    assert response.headers["Location"] == "/dashboard"
    for _ in range(9):
        running.clock.advance(1)
        assert running.client.get("/").status_code == 200
    running.clock.advance(0.999)
    assert running.client.get("/api/me").status_code == 200
    running.clock.advance(0.001)
    query = sign_in_redirect(running.client.get("/dashboard"))
    assert query["error"] == ["SessionExpired"] and query["callbackUrl"] == ["/dashboard"]

    api = start("seed000")
    api.sign_in()
    api.clock.advance(10)
    response = api.client.get("/api/me")
    assert response.status_code == 401 and response.get_json()["error"] == "SessionExpired"


# -- seed 001: rolling sessions ------------------------------------------------------------


def test_seed001_reissues_after_the_update_age_and_shows_it(start: Start) -> None:
    running = start("seed001")
    running.sign_in()
    running.clock.advance(10)
    quiet = running.client.get("/dashboard")
    assert not running.session_cookie_set(quiet)
    assert 'id="reissued">not yet' in quiet.get_data(as_text=True)

    running.clock.advance(6)  # 16 s after sign-in: due
    assert running.session_cookie_set(running.client.get("/dashboard"))
    page = running.client.get("/dashboard").get_data(as_text=True)
    assert 'id="reissued">yes, last 16 s after sign-in' in page
    assert "(in 60 s, unless re-issued)" in page


def test_seed001_the_dashboard_shows_the_cookie_it_sends(start: Start) -> None:
    """Issue 21, item 4: the request that re-issues the session shows the new issue time
    and expiry, as ``/auth/session`` does next, not the cookie the request brought."""
    running = start("seed001")
    running.sign_in()
    running.clock.advance(26)  # due (15 s): this very request re-issues
    response = running.client.get("/dashboard")
    assert running.session_cookie_set(response)
    page = response.get_data(as_text=True)
    now = running.clock()
    issued = re.search(r'id="issued-at">([^<(]+)', page)
    assert issued is not None and issued.group(1).strip() == clock_time(now)
    assert f"{clock_time(now + 60)} (in 60 s, unless re-issued)" in page
    assert 'id="reissued">yes, last 26 s after sign-in' in page
    text = re.sub(r"<[^>]+>", "", page)
    shown = re.search(r'"expires": "([^"]+)"', text)
    session = running.client.get("/auth/session").get_json()
    assert shown is not None and shown.group(1) == session["expires"]

    running.clock.advance(5)  # not due: the page and the cookie agree as they are
    page = running.client.get("/dashboard").get_data(as_text=True)
    assert f"{clock_time(now + 60)} (in 55 s, unless re-issued)" in page


def test_the_reissue_line_fits_each_scenario(start: Start) -> None:
    """Issue 21, item 6: "a cookie rewritten because the backend token rotates" only where
    there is a backend; a static session says it is never re-issued."""
    static = start("seed000")
    static.sign_in()
    page = static.client.get("/dashboard").get_data(as_text=True)
    assert 'id="reissued">no: a static session is never re-issued' in page
    assert "rewritten" not in page
    rolling = start("seed001")
    rolling.sign_in()
    page = rolling.client.get("/dashboard").get_data(as_text=True)
    assert 'id="reissued">not yet: the first request 15 s or more after sign-in' in page
    assert "rewritten" not in page and "backend" not in page


def test_a_fresh_session_is_not_called_re_issued(start: Start) -> None:
    running = start()
    running.sign_in()
    page = running.client.get("/dashboard").get_data(as_text=True)
    assert 'id="reissued">not yet' in page and "last 0 s" not in page


def test_the_session_json_keeps_short_strings_whole(start: Start) -> None:
    running = start()
    running.sign_in()
    page = running.client.get("/dashboard").get_data(as_text=True)
    assert '<pre id="session-json" class="json">' in page
    assert '<span class="json-short">"alice@example.com"</span>' in page
    assert "<script" not in page.split('id="session-json"')[1]


def test_seed001_activity_keeps_the_session_idle_gaps_end_it(start: Start) -> None:
    running = start("seed001")
    running.sign_in()
    for _ in range(5):  # 250 s of activity, one request every 50 s
        running.clock.advance(50)
        assert running.client.get("/dashboard").status_code == 200
    running.clock.advance(60)
    assert sign_in_redirect(running.client.get("/dashboard"))["error"] == ["SessionExpired"]


# -- seed 002: upstream backend tokens -----------------------------------------------------


def test_seed002_sign_in_keeps_the_upstream_tokens_in_the_session(
    start: Start, upstream: Upstream
) -> None:
    running = start("seed002", EXAMPLE_UPSTREAM_URL=upstream.url)
    failed = running.sign_in(password="nope")
    assert "error=CredentialsSignin" in failed.headers["Location"]
    assert running.sign_in().status_code == 302
    body = running.client.get("/api/me").get_json()
    assert body["accessTokenExpires"] == START + ACCESS_TTL
    assert body["accessToken"].startswith("at_")
    assert "rt_" not in str(body)  # the refresh token never reaches the browser
    page = running.client.get("/dashboard").get_data(as_text=True)
    assert 'id="backend-check"><span class="badge ok">accepted' in page
    assert upstream.stats()["resource_calls"] == 1


def test_seed002_renews_the_access_token_when_due_with_no_refresh_code(
    start: Start, upstream: Upstream
) -> None:
    running = start("seed002", EXAMPLE_UPSTREAM_URL=upstream.url)
    running.sign_in()
    first = running.client.get("/api/me").get_json()

    running.clock.advance(ACCESS_TTL - 11)  # outside the 10-second margin
    unchanged = running.client.get("/api/me")
    assert unchanged.get_json()["accessToken"] == first["accessToken"]
    assert not running.session_cookie_set(unchanged)

    running.clock.advance(1)
    rotated = running.client.get("/api/me")
    body = rotated.get_json()
    assert body["accessToken"] != first["accessToken"]
    assert body["accessTokenExpires"] == running.clock() + ACCESS_TTL
    assert running.session_cookie_set(rotated)  # the new tokens are written back

    again = running.client.get("/api/me").get_json()  # and read from the cookie next time
    assert again["accessToken"] == body["accessToken"]
    page = running.client.get("/dashboard").get_data(as_text=True)
    assert "accepted" in page
    assert re.search(r'id="refresh-count">1 \(reuse detected: 0\)', page)
    assert upstream.stats()["refresh_grants"] == 1


def test_seed002_a_refused_refresh_ends_the_session(start: Start, upstream: Upstream) -> None:
    running = start("seed002", EXAMPLE_UPSTREAM_URL=upstream.url)
    running.sign_in()
    assert running.client.get("/api/me").status_code == 200
    upstream.revoke_user("alice")  # the upstream will refuse the refresh token
    running.clock.advance(ACCESS_TTL)
    response = running.client.get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "RefreshAccessTokenError"
    assert running.client.get_cookie(COOKIE) is None


def test_seed002_starts_its_own_upstream_beside_it(start: Start) -> None:
    running = start("seed002")
    service = running.app.extensions["example_upstream"]
    try:
        assert running.app.config["EXAMPLE_UPSTREAM_URL"] == service.url
        assert running.sign_in().status_code == 302
        assert running.client.get("/api/me").get_json()["accessToken"].startswith("at_")
    finally:
        service.stop()
    assert service.process.poll() is not None


# -- the demo OpenID provider ----------------------------------------------------------------


def test_the_demo_provider_signs_in_with_no_account_anywhere(start: Start) -> None:
    """The real oidc-provider-mock, started beside the example: its form, our callback."""
    running = start(EXAMPLE_DEMO_OIDC="1")
    demo = running.app.extensions["example_demo_oidc"]
    try:
        client = running.client
        page = client.get("/auth/sign-in").get_data(as_text=True)
        assert "Demo OpenID provider" in page and 'action="/auth/sign-in/demo"' in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        started = client.post(
            "/auth/sign-in/demo",
            data={"csrf_token": token.group(1), "callbackUrl": "/dashboard"},
        )
        assert started.status_code == 302
        assert started.headers["Location"].startswith(demo.url)
        # The user answers the provider's form (its "sub" field) in the browser.
        answered = requests.post(
            started.headers["Location"], data={"sub": "demo"}, allow_redirects=False, timeout=10
        )
        assert answered.status_code == 302
        back = urlsplit(answered.headers["Location"])
        assert back.path == "/auth/callback/demo"
        landed = client.get(f"{back.path}?{back.query}")
        assert landed.status_code == 302 and landed.headers["Location"] == "/dashboard"
        me = client.get("/api/me").get_json()
        assert me["user"]["name"] == "Demo User" and me["user"]["email"] == "demo@example.com"
        assert client.get("/dashboard").status_code == 200
    finally:
        demo.stop()
    assert demo.process.poll() is not None


def test_a_provider_account_without_a_name_is_greeted_by_its_user_name(start: Start) -> None:
    """Issue 21, item 1: a user name typed at the demo provider (no name, no email in its
    profile) is what the pages show, never "None"."""
    running = start(EXAMPLE_DEMO_OIDC="1")
    demo = running.app.extensions["example_demo_oidc"]
    try:
        client = running.client
        page = client.get("/auth/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        started = client.post(
            "/auth/sign-in/demo", data={"csrf_token": token.group(1), "callbackUrl": "/dashboard"}
        )
        answered = requests.post(
            started.headers["Location"], data={"sub": "bob"}, allow_redirects=False, timeout=10
        )
        back = urlsplit(answered.headers["Location"])
        assert client.get(f"{back.path}?{back.query}").status_code == 302
        dashboard = client.get("/dashboard").get_data(as_text=True)
        assert "Hello, bob" in dashboard and "None" not in dashboard.split("<pre")[0]
        assert "Signed in as <strong>bob</strong>" in dashboard
        home = client.get("/").get_data(as_text=True)
        assert "as bob." in home and "None" not in home
    finally:
        demo.stop()


def test_denying_at_the_demo_provider_lands_on_the_sign_in_page(start: Start) -> None:
    """Issue 21, item 2: "Deny" on the provider's form comes back as
    ``error=access_denied``: the sign-in page says the sign-in was cancelled (no 403)."""
    running = start(EXAMPLE_DEMO_OIDC="1")
    demo = running.app.extensions["example_demo_oidc"]
    try:
        client = running.client
        page = client.get("/auth/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        started = client.post(
            "/auth/sign-in/demo", data={"csrf_token": token.group(1), "callbackUrl": "/dashboard"}
        )
        answered = requests.post(
            started.headers["Location"],
            data={"sub": "demo", "action": "deny"},
            allow_redirects=False,
            timeout=10,
        )
        back = urlsplit(answered.headers["Location"])
        assert "error=access_denied" in back.query
        landed = client.get(f"{back.path}?{back.query}")
        assert landed.status_code == 302
        # The mock leaves ``state`` out of its denial, so the page to return to is not
        # known here (a real provider sends it: tests/test_oauth.py keeps the callbackUrl).
        assert landed.headers["Location"] == "/auth/sign-in?error=SignInCancelled"
        shown = client.get(landed.headers["Location"]).get_data(as_text=True)
        assert "Sign-in was cancelled" in shown
        assert client.get_cookie(COOKIE) is None
    finally:
        demo.stop()


def test_a_real_provider_is_three_settings_away(start: Start) -> None:
    running = start(
        JWTAUTH_PROVIDER_GITHUB_CLIENT_ID="gh-client",
        JWTAUTH_PROVIDER_GITHUB_CLIENT_SECRET="gh-secret-0123456789",
    )
    page = running.client.get("/auth/sign-in").get_data(as_text=True)
    assert 'action="/auth/sign-in/github"' in page
    assert "gh-secret" not in page


# -- with flask_jwtauth's pytest plugin, as an app's own suite would use it ---------------------


@pytest.fixture
def app(tmp_path: Path, seeded_database: Path) -> Flask:
    """The example in seed 000's scenario: the plugin's fixtures build on it."""
    database = tmp_path / "plugin.sqlite3"
    shutil.copy(seeded_database, database)
    environ = {
        "EXAMPLE_SCENARIO": "seed000",
        "EXAMPLE_DATABASE": str(database),
        "EXAMPLE_DEMO_OIDC": "0",
        "EXAMPLE_DEMO_MAIL": "0",
    }
    return example.create_app({"TESTING": True}, environ=environ)


def test_seed000_with_the_plugin_a_session_lasts_ten_seconds(
    jwtauth_client: Callable[..., FlaskClient], jwtauth_clock: FakeClock
) -> None:
    client = jwtauth_client({"id": "1", "name": "Alice Example", "username": "alice"})
    assert client.get("/dashboard").status_code == 200
    jwtauth_clock.advance(9)
    assert client.get("/api/me").get_json()["user"]["name"] == "Alice Example"
    jwtauth_clock.advance(11)  # ten seconds after that last read: over
    assert sign_in_redirect(client.get("/dashboard"))["error"] == ["SessionExpired"]
    assert jwtauth_client().get("/api/me").status_code == 401  # a new client: anonymous


def test_sign_in_by_email_works_out_of_the_box(start: Start) -> None:
    """Issue 22: the example sends a sign-in link through its own local mail server
    (aiosmtpd beside it), shows the mail on /mail, and the link signs in."""
    running = start(EXAMPLE_DEMO_MAIL="1")
    client = running.client
    try:
        page = client.get(running.sign_in_url).get_data(as_text=True)
        assert 'action="/auth/sign-in/email"' in page
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        sent = client.post(
            "/auth/sign-in/email",
            data={"csrf_token": token, "email": "zoe@example.com", "callbackUrl": "/dashboard"},
        )
        assert sent.status_code in (200, 302), sent.get_data(as_text=True)[:500]
        deadline = time.monotonic() + 10
        inbox = ""
        while "http" not in inbox and time.monotonic() < deadline:
            inbox = client.get("/mail").get_data(as_text=True)
            time.sleep(0.1)  # the mail server writes the message as its own process
        link = re.search(r'href="(http://[^"]+/auth/callback/email[^"]+)"', inbox)
        assert link is not None, inbox[:2000]
        confirm = client.get(link.group(1).replace("&amp;", "&"))
        assert confirm.status_code == 200
        form = confirm.get_data(as_text=True)
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        action = re.search(r'<form[^>]*action="([^"]+)"', form)
        assert action is not None
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        done = client.post(
            action.group(1).replace("&amp;", "&"), data={**fields, "csrf_token": csrf}
        )
        assert done.status_code == 302
        assert client.get("/api/me").get_json()["user"]["email"] == "zoe@example.com"
    finally:
        running.app.extensions["example_demo_mail"].stop()
