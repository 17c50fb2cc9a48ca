"""The app ``test_many_instances.py`` serves with gunicorn, three times behind nginx.

``refresh_app`` (credentials checked by the upstream token service, its access tokens
renewed by the built-in refresh) with what running several instances behind a proxy needs:
the shared Redis store, revocation on, Werkzeug's ``ProxyFix`` for the one proxy in front
(so a client's address is its own, not nginx's, for the sign-in throttle). Every answer
names the instance and worker that made it (``X-Instance: b:4242``).

Settings come from the environment: ``MULTI_INSTANCE`` (the name), ``MULTI_UPSTREAM`` (the
token service's URL) and ``MULTI_STORE`` (``redis://...``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, request
from refresh_app import create_app as create_refresh_app
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_jwtauth import current_user, get_token, login_required, revoke_session


def create_app() -> Flask:
    name = os.environ["MULTI_INSTANCE"]
    app = create_refresh_app(
        os.environ["MULTI_UPSTREAM"],
        JWTAUTH_STORE_URL=os.environ["MULTI_STORE"],
        JWTAUTH_REVOCATION=True,
    )
    # One proxy in front: trust one hop of X-Forwarded-For/-Proto/-Host.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    @app.after_request
    def name_the_instance(response: Response) -> Response:
        response.headers["X-Instance"] = f"{name}:{os.getpid()}"
        return response

    @app.get("/api/me")
    @login_required
    def me() -> Any:
        token = get_token()
        assert token is not None
        return {"user": current_user.get("name"), "sid": token.get("sid")}

    @app.get("/address")
    def address() -> Any:
        """The client's address as the app sees it (what the throttle counts)."""
        return {"address": request.remote_addr}

    @app.post("/admin/revoke")
    def revoke() -> Any:
        """An administrator ending one session (the test app's own admin action)."""
        sid = request.get_json(force=True)["sid"]
        revoke_session(str(sid))
        return {"revoked": sid}

    return app
