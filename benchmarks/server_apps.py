"""The contenders of ``bench_server.py`` as WSGI apps gunicorn can load:
``gunicorn 'benchmarks.server_apps:create("flask_jwtauth")'``. Each serves the same protected
``GET /api/me`` and has its own real sign-in."""

from __future__ import annotations

from typing import Any

from flask import Flask

SECRET = "bench-secret-Jq4Wm8Zr2Lx6Cv9Bn3Tk7Hp5Sd1Fg0Ya"
USER = {"id": "1", "name": "Ann"}


def _bare() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET

    @app.get("/api/me")
    def me() -> Any:
        return dict(USER)

    return app


def _jwtauth(**config: Any) -> Flask:
    from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required

    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET, **config)

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        ok = credentials["username"] == "ann" and credentials["password"] == "pw"
        return dict(USER) if ok else None

    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

    @app.get("/api/me")
    @login_required
    def me() -> Any:
        return {"id": current_user["id"], "name": current_user["name"]}

    return app


def _flask_login() -> Flask:
    from flask_login import (  # type: ignore[import-untyped]
        LoginManager,
        UserMixin,
        current_user,
        login_required,
        login_user,
    )

    class User(UserMixin):  # type: ignore[misc]
        id = USER["id"]
        name = USER["name"]

    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: User() if user_id == "1" else None)

    @app.post("/login")
    def login() -> Any:
        login_user(User())
        return {"ok": True}

    @app.get("/api/me")
    @login_required  # type: ignore[untyped-decorator]
    def me() -> Any:
        return {"id": current_user.id, "name": current_user.name}

    return app


CONTENDERS = {
    "bare flask": _bare,
    "flask_jwtauth": _jwtauth,
    "flask_jwtauth UPDATE_AGE=0": lambda: _jwtauth(JWTAUTH_SESSION_UPDATE_AGE=0),
    "flask-login": _flask_login,
}


def create(name: str) -> Flask:
    return CONTENDERS[name]()
