"""Which flask_jwtauth modules one signed-in protected request and one credentials sign-in
pass through, in order of first entry (``sys.setprofile`` on Python calls): the measure of
how many doors a request crosses (issue 18).

    .venv/bin/python benchmarks/module_path.py

The sign-in traced is the second of the process (the first works out once what it keeps,
such as the sign-in page's path for the expiry marker).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required

SECRET = "bench-secret-Jq4Wm8Zr2Lx6Cv9Bn3Tk7Hp5Sd1Fg0Ya"


def _app() -> Flask:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET)

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        return {"id": "1", "name": "Ann"} if credentials.get("password") == "pw" else None

    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

    @app.get("/api/me")
    @login_required
    def me() -> Any:
        return {"id": current_user["id"]}

    return app


def _token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def traced(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        name = frame.f_globals.get("__name__", "")
        if event == "call" and name.startswith("flask_jwtauth") and name not in seen:
            seen.append(name)

    sys.setprofile(profile)
    try:
        result = call()
    finally:
        sys.setprofile(None)
    return result, seen


def main() -> None:
    client = _app().test_client()
    form = {"username": "ann", "password": "pw"}
    client.post(
        "/auth/sign-in/credentials", data={**form, "csrf_token": _token(client, "/auth/sign-in")}
    )
    client.post("/auth/sign-out", data={"csrf_token": _token(client, "/auth/sign-out")})
    token = _token(client, "/auth/sign-in")
    response, sign_in = traced(
        lambda: client.post("/auth/sign-in/credentials", data={**form, "csrf_token": token})
    )
    assert response.status_code == 302
    client.get("/api/me")
    response, protected = traced(lambda: client.get("/api/me"))
    assert response.status_code == 200
    for label, seen in (
        ("credentials sign-in", sign_in),
        ("signed-in protected request", protected),
    ):
        path = " -> ".join(m.removeprefix("flask_jwtauth.") for m in seen)
        print(f"{label}: {len(seen)} modules: {path}")


if __name__ == "__main__":
    main()
