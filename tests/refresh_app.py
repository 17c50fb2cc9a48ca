"""A small app in front of the example's upstream token service, with the built-in refresh:
seed 002 with no hand-written refresh logic. Imported by the tests, and run as a worker
process (``python tests/refresh_app.py <upstream> <port> [KEY=VALUE...]``) for the tests that
share a store between processes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, jsonify

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from example.upstream_client import (
    UpstreamRefused,
    UpstreamTimedOut,
    UpstreamUnavailable,
    get_resource,
    password_grant,
    refresh_grant,
)
from flask_jwtauth import (
    CredentialsProvider,
    CredentialsSignin,
    JWTAuth,
    RefreshOutcomeUnknown,
    RefreshRefused,
    RefreshUnavailable,
    Tokens,
    access_token,
    current_user,
    login_required,
)

SECRET = "refresh-tests-secret-0123456789abcdef"
#: How long the app waits for the upstream: the timeout tests delay it past this.
TIMEOUT = 0.5


def create_app(
    upstream_url: str,
    clock: Callable[[], float] = time.time,
    instance_path: str | None = None,
    **config: Any,
) -> Flask:
    def tokens_of(grant: Any) -> Tokens:
        return Tokens(
            access_token=grant.access_token,
            token_type=grant.token_type,
            expires_at=grant.expires_at,
            refresh_token=grant.refresh_token,
            refresh_expires_at=grant.refresh_expires_at,
        )

    def authorize(credentials: dict[str, str]) -> Any:
        try:
            grant = password_grant(
                upstream_url, credentials["username"], credentials["password"], TIMEOUT,
                clock=clock,
            )  # fmt: skip
        except UpstreamRefused:
            return None
        except UpstreamUnavailable:
            raise CredentialsSignin("backend_unavailable") from None
        return grant.user, tokens_of(grant)

    def refresh(tokens: Tokens) -> Tokens:
        assert tokens.refresh_token is not None
        try:
            grant = refresh_grant(upstream_url, tokens.refresh_token, TIMEOUT, clock=clock)
        except UpstreamRefused as exc:
            raise RefreshRefused(exc.error) from None
        except UpstreamTimedOut as exc:
            raise RefreshOutcomeUnknown(str(exc)) from None
        except UpstreamUnavailable as exc:
            raise RefreshUnavailable(str(exc)) from None
        return tokens_of(grant)

    app = Flask(__name__, instance_path=instance_path)
    app.config.update(JWTAUTH_SECRET=SECRET, JWTAUTH_URL="http://127.0.0.1", **config)
    provider = CredentialsProvider(authorize=authorize, refresh=refresh)
    JWTAuth(app, providers=[provider], clock=clock)

    @app.get("/plain")
    def plain() -> str:
        """A page that never looks at the session, as a static file."""
        return "plain"

    @app.get("/api/resource")
    @login_required
    def resource() -> Any:
        """Calls the upstream with the session's access token, as seed 002's pages do."""
        token = access_token()
        assert token is not None
        try:
            body = get_resource(upstream_url, token, TIMEOUT)
        except UpstreamRefused:
            return jsonify(error="upstream refused the access token"), 502
        return jsonify(access_token=token, resource=body, user=current_user.get("name"))

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return f"hello {current_user.get('name')}"

    return app


def main(argv: list[str]) -> None:
    """Serve on a loopback port (threaded) until killed: a worker sharing a store."""
    from werkzeug.serving import make_server

    upstream_url, port, *pairs = argv
    config: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        config[key] = int(value) if value.isdigit() else value
    server = make_server("127.0.0.1", int(port), create_app(upstream_url, **config), threaded=True)
    print(f"worker ready on {server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
