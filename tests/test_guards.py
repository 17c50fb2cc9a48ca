"""Guards: login_required (bare, roles, predicate), public, protect-everything mode, and
the API-vs-page answer (JSON 401/403 or a redirect to sign-in with callbackUrl)."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, Flask, request
from flask.testing import FlaskClient
from support import PASSWORDS, Clock, csrf_token, set_cookie, sign_in
from werkzeug.test import TestResponse

from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required, public

AppFactory = Callable[..., tuple[Flask, JWTAuth]]
REQUIRED = {
    "error": "SessionRequired",
    "message": "Authentication required: sign in, then send the session cookie.",
}


def redirect_target(response: TestResponse) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 302, response.get_data(as_text=True)
    parts = urlsplit(response.headers["Location"])
    assert not parts.scheme and not parts.netloc  # a relative redirect
    return parts.path, parse_qs(parts.query)


def assert_json_401(response: TestResponse, error: str = "SessionRequired") -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    body = response.json
    assert isinstance(body, dict) and body["error"] == error and body["message"]


def assert_json_403(response: TestResponse) -> None:
    assert response.status_code == 403
    assert response.mimetype == "application/json"
    body = response.json
    assert isinstance(body, dict) and body["error"] == "AccessDenied" and body["message"]


# -- pages redirect, APIs get JSON ---------------------------------------------------------


def test_page_redirects_to_sign_in_with_callback_url(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    assert redirect_target(client.get("/dashboard")) == (
        "/auth/sign-in",
        {"callbackUrl": ["/dashboard"]},
    )


def test_callback_url_keeps_the_query_string(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = app.test_client().get("/dashboard?tab=2&q=a%20b&next=%2Fx")
    assert redirect_target(response)[1] == {"callbackUrl": ["/dashboard?tab=2&q=a%20b&next=%2Fx"]}


@pytest.mark.parametrize(
    ("raw_query", "kept"),
    [
        ("x=\xff", "x=%FF"),  # not UTF-8: percent-encoded, not a 500
        ("a=%FF&b=\xe9", "a=%FF&b=%E9"),
        ("q=caf%C3%A9", "q=caf%C3%A9"),
        ("next=http://evil.com", "next=http://evil.com"),  # only ever a query of our path
    ],
)
def test_callback_url_with_any_query_bytes(make_app: AppFactory, raw_query: str, kept: str) -> None:
    app, _ = make_app()
    response = app.test_client().get("/dashboard", environ_overrides={"QUERY_STRING": raw_query})
    assert redirect_target(response) == ("/auth/sign-in", {"callbackUrl": [f"/dashboard?{kept}"]})


def test_callback_url_for_a_non_ascii_path(make_app: AppFactory) -> None:
    app, _ = make_app()

    @app.get("/café/<name>")
    @login_required
    def cafe(name: str) -> str:
        return name

    response = app.test_client().get("/caf%C3%A9/%E2%98%83?q=1")
    assert redirect_target(response)[1] == {"callbackUrl": ["/café/☃?q=1"]}


def test_callback_url_round_trip_after_sign_in(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    _, query = redirect_target(client.get("/dashboard?tab=2"))
    response = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": csrf_token(client),
            "callbackUrl": query["callbackUrl"][0],
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard?tab=2"


def test_api_path_gets_json_401(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = app.test_client().get("/api/me")
    assert response.status_code == 401
    assert response.json == REQUIRED
    assert "Location" not in response.headers


def test_api_path_is_json_even_when_html_is_preferred(make_app: AppFactory) -> None:
    app, _ = make_app()
    response = app.test_client().get("/api/me", headers={"Accept": "text/html"})
    assert response.json == REQUIRED


@pytest.mark.parametrize(
    ("accept", "json"),
    [
        ("application/json", True),
        ("text/html;q=0.5, application/json", True),
        ("text/html", False),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),  # a browser
        ("*/*", False),
        (None, False),
    ],
)
def test_page_answers_json_when_the_client_prefers_it(
    make_app: AppFactory, accept: str | None, json: bool
) -> None:
    app, _ = make_app()
    headers = {"Accept": accept} if accept else {}
    response = app.test_client().get("/dashboard", headers=headers)
    if json:
        assert response.status_code == 401 and response.json == REQUIRED
    else:
        assert redirect_target(response)[0] == "/auth/sign-in"


def test_json_body_on_a_page_path_gets_json(make_app: AppFactory) -> None:
    app, _ = make_app()

    @app.post("/settings")
    @login_required
    def save() -> str:
        return "saved"

    response = app.test_client().post("/settings", json={"theme": "dark"})
    assert response.status_code == 401 and response.json == REQUIRED


def test_custom_api_paths(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_API_PATHS=["/v1/*", re.compile(r"/graph(ql)?")])

    @app.get("/v1/things/<int:thing>")
    @login_required
    def thing(thing: int) -> Any:
        return {"thing": thing}

    @app.get("/graphql")
    @login_required
    def graphql() -> Any:
        return {}

    client = app.test_client()
    assert client.get("/v1/things/3").json == REQUIRED
    assert client.get("/graphql").json == REQUIRED
    # /api/* is no longer an API path here: a page, redirected.
    assert redirect_target(client.get("/api/me"))[1] == {"callbackUrl": ["/api/me"]}
    sign_in(client)
    assert client.get("/v1/things/3").json == {"thing": 3}


def test_api_path_glob_matches_the_prefix_itself_not_lookalikes(make_app: AppFactory) -> None:
    app, _ = make_app()

    @app.get("/api")
    @login_required
    def api_root() -> Any:
        return {}

    @app.get("/apiary")
    @login_required
    def apiary() -> str:
        return "bees"

    client = app.test_client()
    assert client.get("/api").json == REQUIRED
    assert redirect_target(client.get("/apiary"))[0] == "/auth/sign-in"


def test_custom_sign_in_url(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_SIGN_IN_URL="/sign-in")
    client = app.test_client()
    assert redirect_target(client.get("/dashboard")) == (
        "/sign-in",
        {"callbackUrl": ["/dashboard"]},
    )
    assert client.get("/sign-in").status_code == 200


def test_app_mounted_under_a_prefix(make_app: AppFactory) -> None:
    """Under SCRIPT_NAME=/app the redirect and callbackUrl both carry the mount point."""
    app, _ = make_app()
    client = app.test_client()
    response = client.get("/dashboard?x=1", base_url="http://localhost/app/")
    assert redirect_target(response) == (
        "/app/auth/sign-in",
        {"callbackUrl": ["/app/dashboard?x=1"]},
    )


def test_signed_in_passes(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    sign_in(client, "bob")
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Bob"
    body = client.get("/api/me").json
    assert body is not None and body["user"]["email"] == "bob@example.com"


def test_decorated_views_keep_their_names(make_app: AppFactory) -> None:
    app, _ = make_app()
    assert {"dashboard", "admin", "me"} <= set(app.view_functions)
    assert app.view_functions["dashboard"].__name__ == "dashboard"


# -- roles and predicates ------------------------------------------------------------------


def test_roles_page_403_and_json_403(make_app: AppFactory) -> None:
    app, _ = make_app()

    @app.get("/api/admin")
    @login_required(roles=["admin"])
    def api_admin() -> Any:
        return {"ok": True}

    bob = app.test_client()
    sign_in(bob, "bob")
    page = bob.get("/admin")
    assert page.status_code == 403
    assert page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "admin area" not in page.get_data(as_text=True)
    assert "AccessDenied" in page.get_data(as_text=True)
    assert_json_403(bob.get("/admin", headers={"Accept": "application/json"}))
    assert_json_403(bob.get("/api/admin"))

    ann = app.test_client()
    sign_in(ann, "ann")
    assert ann.get("/admin").get_data(as_text=True) == "admin area"
    assert ann.get("/api/admin").json == {"ok": True}


def test_roles_anonymous_is_401_not_403(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    assert redirect_target(client.get("/admin"))[1] == {"callbackUrl": ["/admin"]}
    assert_json_401(client.get("/admin", headers={"Accept": "application/json"}))


def test_roles_any_of(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        if user is not None and user["id"] == "2":
            token["roles"] = "editor"  # a single role as a string works too
        return token

    @app.get("/api/edit")
    @login_required(roles=["editor", "admin"])
    def edit() -> Any:
        return {"ok": True}

    @app.get("/api/edit-only")
    @login_required(roles="editor")
    def edit_only() -> Any:
        return {"ok": True}

    ann, bob = app.test_client(), app.test_client()
    sign_in(ann, "ann")
    sign_in(bob, "bob")
    assert ann.get("/api/edit").status_code == 200
    assert bob.get("/api/edit").status_code == 200
    assert_json_403(ann.get("/api/edit-only"))
    assert bob.get("/api/edit-only").status_code == 200


def test_predicate(make_app: AppFactory) -> None:
    app, _ = make_app()
    seen: list[Any] = []

    def is_bob(user: Any) -> bool:
        seen.append(user)
        return bool(user["id"] == "2")

    @app.get("/api/bob")
    @login_required(predicate=is_bob)
    def bob_only() -> Any:
        return {"hello": current_user["name"]}

    ann, bob = app.test_client(), app.test_client()
    assert_json_401(ann.get("/api/bob"))
    assert seen == []  # never asked about anonymous requests
    sign_in(ann, "ann")
    sign_in(bob, "bob")
    assert_json_403(ann.get("/api/bob"))
    assert bob.get("/api/bob").json == {"hello": "Bob"}
    assert [user["name"] for user in seen] == ["Ann", "Bob"]
    assert all(user.is_authenticated for user in seen)


def test_roles_and_predicate_together(make_app: AppFactory) -> None:
    app, _ = make_app()

    @app.get("/api/strict")
    @login_required(roles="admin", predicate=lambda user: user["email"].endswith(".org"))
    def strict() -> Any:
        return {}

    ann = app.test_client()
    sign_in(ann, "ann")
    assert_json_403(ann.get("/api/strict"))  # has the role, fails the predicate


# -- OPTIONS and async ---------------------------------------------------------------------


def test_options_runs_no_protected_view_anonymously(make_app: AppFactory) -> None:
    """Flask's automatic OPTIONS answers without running the view; a view that handles
    OPTIONS itself (hand-written CORS) is guarded like any other method, so a preflight
    cannot run its body anonymously. The CORS recipe: answer preflights outside the
    guarded view (Flask's automatic OPTIONS, or Flask-CORS)."""
    app, _ = make_app()
    ran: list[str] = []

    @app.route("/api/cors", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    @login_required
    def cors() -> Any:
        ran.append(request.method)
        return "", 204, {"Access-Control-Allow-Origin": "https://app.example.com"}

    client = app.test_client()
    automatic = client.options("/api/me")
    assert automatic.status_code == 200 and "GET" in automatic.headers["Allow"]
    assert_json_401(client.options("/api/cors"))
    assert_json_401(client.get("/api/cors"))
    assert ran == []
    sign_in(client)
    assert client.options("/api/cors").status_code == 204
    assert ran == ["OPTIONS"]


def test_async_views(make_app: AppFactory) -> None:
    app, _ = make_app()

    @app.get("/api/async")
    @login_required
    async def async_me() -> Any:
        return {"name": current_user["name"]}

    @app.get("/api/async-admin")
    @login_required(roles="admin")
    async def async_admin() -> Any:
        return {"ok": True}

    def scenario() -> None:
        client = app.test_client()
        assert_json_401(client.get("/api/async"))
        sign_in(client, "bob")
        assert client.get("/api/async").json == {"name": "Bob"}
        assert_json_403(client.get("/api/async-admin"))
        sign_in(client, "ann")
        assert client.get("/api/async-admin").json == {"ok": True}

    # In a worker thread, as a WSGI server would serve it: Flask runs async views through
    # asgiref, which refuses a thread where an event loop is running (the e2e tests' session
    # -scoped Playwright keeps one running in the main thread for the rest of the run).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(scenario).result()


# -- protect everything --------------------------------------------------------------------

SEED_000_STATIC = re.compile(r"/(?!api).*\.[\w]+")  # seed 000's "static files" matcher


@pytest.fixture
def protected(clock: Clock, tmp_path: Path) -> Flask:
    """An app in protect-all mode, with seed 000's public paths and real static files."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "style.css").write_text("body {}")
    bp_static = tmp_path / "bp"
    bp_static.mkdir()
    (bp_static / "logo.svg").write_text("<svg/>")

    app = Flask(__name__, static_folder=str(static))
    app.config.update(
        TESTING=True,
        JWTAUTH_SECRET="test-secret-0123456789abcdef0123456789",
        JWTAUTH_PROTECT_ALL=True,
        JWTAUTH_PUBLIC_PATHS=["/about", "/docs/*", SEED_000_STATIC],
        JWTAUTH_SESSION_MAX_AGE=10,
    )

    def authorize(credentials: dict[str, str]) -> dict[str, Any] | None:
        name = credentials.get("username", "")
        if PASSWORDS.get(name) != credentials.get("password"):
            return None
        return {"id": name, "name": name.title(), "roles": ["admin"] if name == "ann" else []}

    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)], clock=clock)
    for rule in [
        "/",
        "/about",
        "/about/team",
        "/docs",
        "/docs/intro",
        "/docsx",
        "/robots.txt",
        "/reports",
    ]:
        app.add_url_rule(rule, rule, lambda: "page")
    app.add_url_rule("/api/data.json", "data", lambda: {"data": 1})
    app.add_url_rule("/api/items", "items", lambda: {"items": []})

    @app.get("/sign-up")
    @public
    def sign_up() -> str:
        return "sign up here"

    @app.get("/admin")
    @login_required(roles="admin")
    def admin() -> str:
        return "admin"

    app.register_blueprint(
        Blueprint("assets", __name__, static_folder=str(bp_static), static_url_path="/assets")
    )
    return app


@pytest.mark.parametrize(
    "path",
    [
        "/about",
        "/docs",
        "/docs/intro",
        "/robots.txt",
        "/static/style.css",
        "/assets/logo.svg",
        "/sign-up",
        "/auth/sign-in",
        "/auth/session",
        "/auth/csrf",
        "/auth/providers",
    ],
)
def test_protect_all_public_paths(protected: Flask, path: str) -> None:
    with protected.test_client().get(path) as response:  # closes static files' handles
        assert response.status_code == 200, path
        assert response.get_data()


@pytest.mark.parametrize("path", ["/", "/reports", "/admin", "/docsx", "/about/team"])
def test_protect_all_pages_redirect(protected: Flask, path: str) -> None:
    response = protected.test_client().get(path)
    assert redirect_target(response) == ("/auth/sign-in", {"callbackUrl": [path]})


@pytest.mark.parametrize("path", ["/api/data.json", "/api/items"])
def test_protect_all_api_paths_get_json(protected: Flask, path: str) -> None:
    assert_json_401(protected.test_client().get(path))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/static/missing.css", 404),  # public by rule
        ("POST", "/about", 405),  # public view
    ],
)
def test_protect_all_public_unknown_urls_still_404(
    protected: Flask, method: str, path: str, status: int
) -> None:
    with protected.test_client().open(path, method=method) as response:
        assert response.status_code == status


@pytest.mark.parametrize(
    ("method", "known", "unknown"),
    [("GET", "/reports", "/nope"), ("GET", "/api/data.json", "/api/nope"), ("POST", "/x", "/y")],
)
def test_protect_all_does_not_reveal_which_routes_exist(
    protected: Flask, method: str, known: str, unknown: str
) -> None:
    """Anonymous: an unknown path gets the answer a known one gets (redirect or JSON 401),
    as Next.js middleware runs before routing. Signed in: the real 404/405."""
    client = protected.test_client()
    with client.open(known, method=method) as a, client.open(unknown, method=method) as b:
        assert a.status_code == b.status_code in (302, 401)
        assert a.mimetype == b.mimetype
    sign_in(client, "bob")
    with client.open(unknown, method=method) as signed:
        assert signed.status_code in (404, 405)


def test_protect_all_options_passes(protected: Flask) -> None:
    assert protected.test_client().options("/reports").status_code == 200


def test_protect_all_signed_in(protected: Flask, clock: Clock) -> None:
    client = protected.test_client()
    sign_in(client, "bob")
    for path in ["/", "/reports", "/api/data.json", "/about"]:
        assert client.get(path).status_code == 200, path
    assert client.get("/admin").status_code == 403  # roles still apply
    # Seed 000: 11 s later, pages redirect with the reason and the API says so in JSON.
    clock.advance(11)
    response = client.get("/reports")
    assert redirect_target(response) == (
        "/auth/sign-in",
        {"callbackUrl": ["/reports"], "error": ["SessionExpired"]},
    )
    expired = set_cookie(response)
    assert expired is not None and expired.cleared
    assert_json_401(client.get("/api/data.json"))  # the cookie is gone now: SessionRequired


def test_protect_all_expired_api(protected: Flask, clock: Clock) -> None:
    client = protected.test_client()
    sign_in(client, "bob")
    clock.advance(11)
    assert_json_401(client.get("/api/data.json"), "SessionExpired")


def test_protect_all_with_the_apps_own_sign_in_view(clock: Clock) -> None:
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        JWTAUTH_SECRET="test-secret-0123456789abcdef0123456789",
        JWTAUTH_PROTECT_ALL=True,
        JWTAUTH_SIGN_IN_ENDPOINT="login",
    )
    JWTAuth(app, clock=clock)

    @app.get("/login")
    def login() -> str:  # not marked public: it is the sign-in page, so it must be
        return "my login form"

    @app.get("/reports")
    def reports() -> str:
        return "reports"

    client = app.test_client()
    assert client.get("/login").get_data(as_text=True) == "my login form"
    assert redirect_target(client.get("/reports")) == ("/login", {"callbackUrl": ["/reports"]})


def test_public_is_a_no_op_outside_protect_all(make_app: AppFactory) -> None:
    app, _ = make_app()

    def view() -> str:
        return "open"

    assert public(view) is view
    app.add_url_rule("/open", "open", view)
    assert app.test_client().get("/open").get_data(as_text=True) == "open"


def test_protect_all_static_files_are_always_public(clock: Clock, tmp_path: Path) -> None:
    """No public path rules at all: the app's and blueprints' static files still load."""
    (tmp_path / "app.css").write_text("body {}")
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "logo.svg").write_text("<svg/>")
    app = Flask(__name__, static_folder=str(tmp_path), static_url_path="/s")
    app.config.update(
        TESTING=True,
        JWTAUTH_SECRET="test-secret-0123456789abcdef0123456789",
        JWTAUTH_PROTECT_ALL=True,
    )
    JWTAuth(app, clock=clock)
    app.register_blueprint(
        Blueprint("assets", __name__, static_folder=str(tmp_path / "bp"), static_url_path="/a")
    )
    app.add_url_rule("/page.html", "page", lambda: "page")
    client = app.test_client()
    for path in ["/s/app.css", "/a/logo.svg", "/auth/sign-in"]:
        with client.get(path) as response:
            assert response.status_code == 200, path
    assert redirect_target(client.get("/page.html"))[0] == "/auth/sign-in"


# -- the app's own 401/403 answers, and what they say --------------------------------------


def test_seed_000_unauthorized_message_is_one_handler_away(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.unauthorized_handler
    def unauthorized(error: str, api: bool) -> Any:
        if api:
            return {"message": "Unauthorized"}, 401
        return "please log in", 401

    @auth.forbidden_handler
    def forbidden(error: str) -> Any:
        return {"nope": error}, 403

    client = app.test_client()
    api = client.get("/api/me")
    assert api.status_code == 401 and api.get_json() == {"message": "Unauthorized"}
    page = client.get("/dashboard")
    assert page.status_code == 401 and page.get_data(as_text=True) == "please log in"
    assert "Accept" in page.headers["Vary"] and "Cookie" in page.headers["Vary"]
    sign_in(client, "bob")
    denied = client.get("/admin")
    assert denied.status_code == 403 and denied.get_json() == {"nope": "AccessDenied"}


def test_api_401_speaks_of_the_api_and_varies_on_accept(client: FlaskClient) -> None:
    response = client.get("/api/me")
    assert "page" not in response.get_json()["message"]
    negotiated = client.get("/dashboard", headers={"Accept": "application/json"})
    assert negotiated.status_code == 401
    vary = {v.strip() for v in negotiated.headers["Vary"].split(",")}
    assert {"Accept", "Cookie"} <= vary


def test_an_unauthorized_handler_returning_none_keeps_the_built_in_answer(
    make_app: AppFactory,
) -> None:
    """Seed 000: its own JSON for APIs, the usual redirect to sign-in for pages."""
    app, auth = make_app()

    @auth.unauthorized_handler
    def unauthorized(error: str, api: bool) -> Any:
        return {"message": "Unauthorized"} if api else None

    client = app.test_client()
    assert client.get("/api/me").get_json() == {"message": "Unauthorized"}
    page = client.get("/dashboard")
    assert page.status_code == 302
    assert page.headers["Location"] == "/auth/sign-in?callbackUrl=%2Fdashboard"


SEED_000_AS_TRANSLATED = re.compile(r"/.*\.\w+")  # the docs' old recipe: any dotted path


@pytest.mark.parametrize(
    ("public_paths", "path", "status"),
    [
        ([SEED_000_AS_TRANSLATED], "/api/export.csv", 401),  # a catch-all opens no API path
        ([SEED_000_AS_TRANSLATED], "/api/v1/export.csv", 401),
        (["/*"], "/api/export.csv", 401),
        (["/**/*.csv"], "/api/export.csv", 401),
        ([SEED_000_AS_TRANSLATED], "/report.csv", 200),  # a page it still opens
        (["/api/export.csv"], "/api/export.csv", 200),  # named: opened on purpose
        (["/api/*"], "/api/export.csv", 200),
        ([re.compile(r"/api/export\.csv")], "/api/export.csv", 200),
        ([re.compile(r"/api/.*\.csv")], "/api/export.csv", 200),
    ],
)
def test_a_public_pattern_opens_an_api_path_only_when_it_names_it(
    make_app: AppFactory, public_paths: list[Any], path: str, status: int
) -> None:
    app, _ = make_app(JWTAUTH_PROTECT_ALL=True, JWTAUTH_PUBLIC_PATHS=public_paths)
    app.add_url_rule("/api/export.csv", "export", lambda: "id,secret\n1,data\n")
    app.add_url_rule("/api/v1/export.csv", "export1", lambda: "id,secret\n1,data\n")
    app.add_url_rule("/report.csv", "report", lambda: "public,report\n")
    response = app.test_client().get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 401:
        assert response.is_json and b"secret" not in response.get_data()


FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Accept": "*/*"}
NAVIGATION = {
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}


@pytest.fixture
def prefixed(make_app: AppFactory) -> Flask:
    """An API blueprint under url_prefix="/app", outside JWTAUTH_API_PATHS (/api/*)."""
    app, _ = make_app()
    bp = Blueprint("app_api", __name__, url_prefix="/app")

    @bp.get("/api/me")
    @login_required
    def me() -> Any:
        return {"name": current_user["name"]}

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    "headers",
    [
        FETCH,  # Chromium's fetch("/app/api/me")
        {"Sec-Fetch-Mode": "same-origin", "Sec-Fetch-Dest": "empty"},
        {"Sec-Fetch-Dest": "empty"},
        {"X-Requested-With": "XMLHttpRequest"},  # jQuery, older clients, no Sec-Fetch-*
        {"Accept": "application/json"},
    ],
)
def test_a_script_outside_the_api_paths_gets_json_401_not_a_redirect(
    prefixed: Flask, headers: dict[str, str]
) -> None:
    response = prefixed.test_client().get("/app/api/me", headers=headers)
    assert_json_401(response)
    vary = {v.strip() for v in response.headers["Vary"].split(",")}
    assert {"Accept", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X-Requested-With"} <= vary


@pytest.mark.parametrize(
    "headers",
    [
        NAVIGATION,  # a person typing the URL or following a link
        {"Sec-Fetch-Mode": "navigate", "Accept": "*/*"},
        {"Sec-Fetch-Mode": "cors", "Accept": "text/html"},  # htmx asks for HTML by name
        {},  # no hints at all: a page, as before
    ],
)
def test_a_navigation_outside_the_api_paths_is_a_page(
    prefixed: Flask, headers: dict[str, str]
) -> None:
    response = prefixed.test_client().get("/app/api/me", headers=headers)
    assert redirect_target(response) == ("/auth/sign-in", {"callbackUrl": ["/app/api/me"]})


def test_a_navigation_to_an_api_path_is_still_json(prefixed: Flask) -> None:
    """JWTAUTH_API_PATHS decides alone: /api/* answers JSON even to a navigation."""
    assert_json_401(prefixed.test_client().get("/api/me", headers=NAVIGATION))
