"""The example's own pages: a public home, a dashboard, an admin page and a small JSON API."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from flask_jwtauth import (
    access_token,
    current_session,
    get_token,
    login_required,
    public,
    sign_in_url,
)

from . import upstream_client
from .auth import upstream_url
from .state import example_state

bp = Blueprint("example", __name__)


def _expires_at(session: dict[str, Any]) -> float:
    return datetime.fromisoformat(session["expires"]).timestamp()


def _as_sent(token: dict[str, Any], session: dict[str, Any]) -> tuple[float, float]:
    """When the cookie this response carries was issued and when it expires.

    A view sees the session as the request brought it; a rolling session due for re-issue
    is written after the view, issued now with a fresh expiry. The page shows that cookie's
    times, as ``/auth/session`` on the next request would, not the previous request's.
    """
    state = example_state()
    now = round(state.clock(), 3)  # the token's times are to the millisecond
    update_age = state.session_update_age
    if update_age is None or now - token["iat"] < update_age:
        return token["iat"], _expires_at(session)
    jwt_max_age = current_app.config.get("JWTAUTH_JWT_MAX_AGE") or state.session_max_age
    expires = now + min(state.session_max_age, jwt_max_age)
    refresh_end = (token.get("upstream") or {}).get("refresh_expires_at")
    if refresh_end is not None:
        expires = min(expires, refresh_end)  # never past the refresh token's own end
    return now, expires


@bp.get("/")
def home() -> str:
    return render_template("home.html")


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """The session as views see it, and the token times that show rolling at work."""
    session = current_session
    token = get_token()
    assert session is not None and token is not None  # login_required let us in
    upstream = None
    if example_state().scenario.uses_backend:
        upstream = _upstream_facts(token)
    issued_at, expires_at = _as_sent(token, session)
    return render_template(
        "dashboard.html",
        session={**session, "expires": _iso(expires_at)},
        token=token,
        issued_at=issued_at,
        expires_at=expires_at,
        upstream=upstream,
    )


def _iso(timestamp: float) -> str:
    """As the session's ``expires``: ISO 8601 in UTC."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat().replace("+00:00", "Z")


def _upstream_facts(token: dict[str, Any]) -> dict[str, Any]:
    """Seed 002's page: the access token's life, the upstream's protected resource called
    with it, and how many refreshes the upstream has served."""
    kept = token.get("upstream") or {}
    facts: dict[str, Any] = {"expires_at": kept.get("expires_at"), "resource": None}
    bearer = access_token()
    try:
        if bearer is not None:
            facts["resource"] = upstream_client.get_resource(upstream_url(), bearer)
        facts["stats"] = upstream_client.stats(upstream_url())
    except upstream_client.UpstreamError as exc:
        facts["error"] = str(exc)
    return facts


@bp.get("/admin")
@login_required(roles="admin")
def admin() -> str:
    return render_template("admin.html")


@bp.get("/api/me")
@login_required
def api_me() -> Any:
    """JSON for a signed-in caller; anyone else gets the extension's JSON 401."""
    return current_session


@bp.get("/api-demo")
def api_demo() -> str:
    """A page whose script calls /api/me, to show the JSON answer (or the 401) in a browser."""
    return render_template("api_demo.html")


@bp.get("/sign-up")
def sign_up() -> str:
    """Seed 000 keeps sign-up public; accounts here come from the seeded table."""
    return render_template("sign_up.html")


#: The built-in sign-in page's usual address, for scenarios that move it (seed 000's /sign-in).
BUILT_IN_SIGN_IN = "/auth/sign-in"


@public
def moved_sign_in() -> Response:
    """An old bookmark of ``/auth/sign-in`` goes to the sign-in page, its query kept (a
    ``callbackUrl`` stays the page to come back to), rather than being a protected 404."""
    target = sign_in_url()
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, 302)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    if app.config.get("JWTAUTH_SIGN_IN_URL", BUILT_IN_SIGN_IN) != BUILT_IN_SIGN_IN:
        app.add_url_rule(BUILT_IN_SIGN_IN, "moved_sign_in", moved_sign_in)


@bp.get("/mail")
@public
def mail() -> str:
    """The local mail server's inbox: the sign-in links the example sent."""
    from .demo_mail import received

    demo = current_app.extensions.get("example_demo_mail")
    messages = received(demo.maildir) if demo is not None else []
    return render_template("mail.html", messages=messages, enabled=demo is not None)
