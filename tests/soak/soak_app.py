"""The app the soak test serves with gunicorn: sessions that roll every second."""

from __future__ import annotations

from typing import Any

from flask import Flask

from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required

SECRET = "soak-secret-Hx4Jq8Wm2Zr6Lb9Vt3Nc7Kp5Ds1Fg0Ya"


def authorize(credentials: dict[str, str]) -> dict[str, Any] | None:
    if credentials["password"] != "pw":
        return None
    name = credentials["username"]
    return {"id": name, "name": name, "roles": ["user"]}


app = Flask(__name__)
app.config.update(
    JWTAUTH_SECRET=SECRET,
    JWTAUTH_SESSION_MAX_AGE=3600,
    JWTAUTH_SESSION_UPDATE_AGE=1,  # re-issued during the run
    JWTAUTH_THROTTLE=False,
)
JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])


@app.get("/api/me")
@login_required
def me() -> Any:
    return {"id": current_user["id"]}
