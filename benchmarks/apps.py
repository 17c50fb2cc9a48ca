"""The contenders of both benchmarks, and the one sign-in every client goes through.

Each app serves the same protected ``GET /api/me`` -> ``{"id": "1", "name": "Ann"}`` and
has its own real sign-in: a page holding a form, posted with the hidden fields the page
gave and a username/password, then the redirect followed, as a browser does. gunicorn
loads an app by name: ``gunicorn 'benchmarks.apps:create("flask_jwtauth")'``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from flask import Flask, make_response, redirect, render_template_string, request
from flask.testing import FlaskClient

SECRET = "bench-secret-Jq4Wm8Zr2Lx6Cv9Bn3Tk7Hp5Sd1Fg0Ya"
USER = {"id": "1", "name": "Ann"}
CREDENTIALS = {"username": "ann", "password": "pw"}
PATH = "/api/me"
#: What a browser sends; the same on the sign-in and on every measured request, since
#: Flask-Login's session protection ties a session to it.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) flask-jwtauth-benchmark"

BARE = "bare flask"
STEADY = "flask_jwtauth"
ROLLING = "flask_jwtauth UPDATE_AGE=0"
NO_MEMO = "flask_jwtauth MEMO_SIZE=0"
FLASK_LOGIN = "flask-login"
#: Flask-Login with its session on the server (Flask-Session, Redis): the stateful anchor.
FLASK_SESSION = "flask-login + flask-session"
JWT_EXTENDED = "flask-jwt-extended"

_PAGE = """<!doctype html><title>Sign in</title>
<form method="post" action="/login">{{ hidden | safe }}
<input name="username"><input name="password" type="password"><button>Sign in</button>
</form>"""


def _base() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET

    @app.get("/")
    def home() -> str:
        return "home"

    return app


def _credentials_ok(form: Mapping[str, str]) -> bool:
    return all(form.get(k) == v for k, v in CREDENTIALS.items())


def bare_flask() -> Flask:
    app = _base()

    @app.get(PATH)
    def me() -> Any:
        return dict(USER)

    return app


def jwtauth(**config: Any) -> Flask:
    from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required

    app = _base()
    app.config.update(JWTAUTH_SECRET=SECRET, **config)

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        return dict(USER) if _credentials_ok(credentials) else None

    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

    @app.get(PATH)
    @login_required
    def me() -> Any:
        return {"id": current_user["id"], "name": current_user["name"]}

    return app


def flask_login(session_redis: str | None = None, **config: Any) -> Flask:
    """Flask-Login as its documentation shows it: a Flask-WTF login form (so its CSRF token
    sits in Flask's session), ``login_user``, a ``user_loader`` reading a dict. With
    ``session_redis``, that session lives in Redis through Flask-Session (its defaults, or
    ``config`` such as ``SESSION_REFRESH_EACH_REQUEST=False``): the server-side sessions an
    app on several machines would otherwise reach for."""
    from flask_login import (  # type: ignore[import-untyped]
        LoginManager,
        UserMixin,
        current_user,
        login_required,
        login_user,
    )
    from flask_wtf import FlaskForm
    from wtforms import PasswordField, StringField

    class User(UserMixin):  # type: ignore[misc]
        def __init__(self, id: str, name: str) -> None:
            self.id = id
            self.name = name

    class LoginForm(FlaskForm):  # type: ignore[misc]
        username = StringField()
        password = PasswordField()

    users = {USER["id"]: User(**USER)}
    app = _base()
    app.config.update(config)
    if session_redis is not None:
        import redis
        from flask_session import Session  # type: ignore[import-untyped]

        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(session_redis))
        Session(app)
    manager = LoginManager(app)
    manager.user_loader(users.get)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        form = LoginForm()
        if form.validate_on_submit() and _credentials_ok(request.form):
            login_user(users[USER["id"]])
            return redirect("/")
        return render_template_string(_PAGE, hidden=form.hidden_tag())

    @app.get(PATH)
    @login_required  # type: ignore[untyped-decorator]
    def me() -> Any:
        return {"id": current_user.id, "name": current_user.name}

    return app


def flask_jwt_extended() -> Flask:
    """Flask-JWT-Extended in cookie mode with its defaults (double-submit CSRF cookie on)."""
    from flask_jwt_extended import (
        JWTManager,
        create_access_token,
        get_jwt_identity,
        jwt_required,
        set_access_cookies,
    )

    app = _base()
    app.config.update(
        JWT_SECRET_KEY=SECRET,
        JWT_TOKEN_LOCATION=["cookies"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=1),
    )
    JWTManager(app)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "POST" and _credentials_ok(request.form):
            response = make_response(redirect("/"))
            set_access_cookies(response, create_access_token(identity=USER["id"]))
            return response
        return render_template_string(_PAGE, hidden="")

    @app.get(PATH)
    @jwt_required()  # type: ignore[untyped-decorator]
    def me() -> Any:
        assert get_jwt_identity() == USER["id"]
        return dict(USER)

    return app


CONTENDERS: dict[str, Callable[..., Flask]] = {
    BARE: bare_flask,
    STEADY: jwtauth,
    ROLLING: lambda **c: jwtauth(JWTAUTH_SESSION_UPDATE_AGE=0, **c),
    NO_MEMO: lambda **c: jwtauth(JWTAUTH_MEMO_SIZE=0, **c),
    FLASK_LOGIN: flask_login,
    FLASK_SESSION: flask_login,
    JWT_EXTENDED: flask_jwt_extended,
}


def create(name: str, **config: Any) -> Flask:
    return CONTENDERS[name](**config)


def login_page(name: str) -> str | None:
    """Where a browser starts signing in to this contender (None: nothing to sign in to)."""
    if name == BARE:
        return None
    return "/auth/sign-in" if name.startswith(STEADY) else "/login"


# -- the browser's side ---------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    text: str
    location: str | None
    set_cookies: list[str]


class Browser(Protocol):
    """One client with a cookie jar: Flask's test client or ``requests`` over HTTP."""

    def get(self, path: str) -> Answer: ...

    def post(self, path: str, data: dict[str, str]) -> Answer: ...


class HTTPBrowser:
    """``requests`` over HTTP as a browser: its jar keeps every cookie; redirects are the
    caller's."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _url(self, path: str) -> str:
        parts = urlsplit(path)
        return self.base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @staticmethod
    def _answer(response: requests.Response) -> Answer:
        raw = response.raw.headers.getlist("Set-Cookie") if response.raw else []
        return Answer(response.status_code, response.text, response.headers.get("Location"), raw)

    def get(self, path: str) -> Answer:
        return self._answer(self.session.get(self._url(path), allow_redirects=False, timeout=30))

    def post(self, path: str, data: dict[str, str]) -> Answer:
        response = self.session.post(self._url(path), data=data, allow_redirects=False, timeout=30)
        return self._answer(response)


class TestBrowser:
    """The test client as a browser: no redirect followed for it, cookies kept in its jar."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    @staticmethod
    def _answer(response: Any) -> Answer:
        return Answer(
            response.status_code,
            response.get_data(as_text=True),
            response.headers.get("Location"),
            list(response.headers.getlist("Set-Cookie")),
        )

    def get(self, path: str) -> Answer:
        return self._answer(self.client.get(path))

    def post(self, path: str, data: dict[str, str]) -> Answer:
        return self._answer(self.client.post(path, data=data))


@dataclass
class Form:
    action: str | None = None
    hidden: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The first POST form of a page: its action and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form is None and values.get("method", "").lower() == "post":
            self.form = Form(action=values.get("action") or None)
            self._inside = True
        elif tag == "input" and self._inside and self.form and values.get("type") == "hidden":
            name = values.get("name")
            if name:  # a browser sends named fields only
                self.form.hidden[name] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def parse_form(html: str) -> Form:
    parser = _FormParser()
    parser.feed(html)
    if parser.form is None:
        raise AssertionError("the sign-in page has no POST form")
    return parser.form


def sign_in(name: str, browser: Browser) -> list[str]:
    """Sign in as a browser does; the names of the cookies the server set on the way."""
    page_path = login_page(name)
    if page_path is None:
        return []
    page = browser.get(page_path)
    assert page.status == 200, (name, "sign-in page", page.status)
    form = parse_form(page.text)
    answer = browser.post(form.action or page_path, {**form.hidden, **CREDENTIALS})
    set_names = [c.split("=", 1)[0] for c in page.set_cookies + answer.set_cookies]
    assert answer.status in (302, 303), (name, "sign-in post", answer.status, answer.text[:300])
    for _ in range(5):
        if answer.status not in (301, 302, 303, 307, 308) or answer.location is None:
            break
        answer = browser.get(answer.location)
        set_names += [c.split("=", 1)[0] for c in answer.set_cookies]
    assert answer.status == 200, (name, "after sign-in", answer.status)
    return list(dict.fromkeys(set_names))
