"""Seed 002's backend as a real service: its own process and port, beside the example.

``python -m example.upstream --port 8001 [--test-controls]`` serves, on 127.0.0.1 only:

``POST /token``
    OAuth 2 style (form or JSON body). ``grant_type=password`` with ``username`` and
    ``password`` signs in and starts a token *family*; ``grant_type=refresh_token`` with
    ``refresh_token`` rotates: the old refresh token is spent, a new pair is returned. A spent
    refresh token presented again is *reuse*: the answer is ``invalid_grant`` and the whole
    family (every access and refresh token descended from that sign-in) is revoked.
``GET /resource``
    A protected API: ``Authorization: Bearer <access token>``, else 401.
``GET /_stats``
    Counters, read on the service's side, so tests count upstream calls where they happen.
``POST /_control`` (only with ``--test-controls``)
    Tests hold or move the service's clock, change TTLs, inject 503s or delays, revoke
    families, reset. Every change is validated first, then applied at once. JSON keys:
    ``advance`` (s), ``now``, ``freeze`` (bool), ``access_ttl``, ``refresh_ttl``,
    ``fail_next`` (n), ``delay_next`` (n) with ``delay_ms`` and ``delay_then``
    (``process``|``fail``), ``revoke_user``, ``reset`` (``stats``|``all``).

Werkzeug's threaded server with a small Flask app, rather than ``http.server``: Flask is
already here, and it brings body parsing (form and JSON), size limits and JSON errors.
Tokens are opaque random strings; all state (``example.upstream_tokens``) is in memory,
behind one lock.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from .upstream_tokens import ACCESS_TTL, REFRESH_TTL, Refused, TokenService, demo_accounts

DEFAULT_PORT = 8001
HOST = "127.0.0.1"
MAX_DELAY_MS = 60_000


# -- control input validation ---------------------------------------------------------------

_INTS = {"access_ttl": (1, 10**8), "refresh_ttl": (1, 10**8), "fail_next": (0, 10**6),
         "delay_next": (0, 10**6), "delay_ms": (0, MAX_DELAY_MS)}  # fmt: skip
_NUMBERS = {"advance": (0.0, 10.0**10), "now": (0.0, 10.0**11)}
_CHOICES = {"reset": ("stats", "all"), "delay_then": ("process", "fail")}


def validate_control(body: Any) -> dict[str, Any]:
    """The control changes, checked; Refused("invalid_request: ...") names what is wrong."""
    if not isinstance(body, dict):
        raise Refused("invalid_request: a JSON object is expected")
    for key, value in body.items():
        if key in _INTS:
            low, high = _INTS[key]
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        elif key in _NUMBERS:
            low_f, high_f = _NUMBERS[key]
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and low_f <= value <= high_f
            )
        elif key in _CHOICES:
            ok = isinstance(value, str) and value in _CHOICES[key]
        elif key == "freeze":
            ok = isinstance(value, bool)
        elif key == "revoke_user":
            ok = isinstance(value, str) and 0 < len(value) <= 150
        else:
            raise Refused(f"invalid_request: unknown control {key!r}")
        if not ok:
            raise Refused(f"invalid_request: bad value for {key!r}")
    return body


# -- HTTP ------------------------------------------------------------------------------------


def _error(error: str, status: int) -> tuple[Response, int]:
    code, _, description = error.partition(": ")
    body = {"error": code, **({"error_description": description} if description else {})}
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{code}"'
    return response, status


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _fields() -> dict[str, str]:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def create_app(service: TokenService, *, test_controls: bool = False) -> Flask:
    """The service's routes around ``service``; ``/_control`` only when asked for."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        name = (exc.name or "error").lower().replace(" ", "_")
        return _error(name, exc.code or 500)

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> tuple[Response, int]:
        return _error(exc.error, exc.status)

    @app.post("/token")
    def token() -> Response | tuple[Response, int]:
        fields = _fields()
        grant_type = fields.get("grant_type", "")
        admission = service.admit(grant_type)
        if admission.delay_ms:
            time.sleep(admission.delay_ms / 1000)
        if not service.proceed(admission):
            return _error("temporarily_unavailable", 503)
        if grant_type == "password":
            grant = service.password_grant(fields.get("username", ""), fields.get("password", ""))
        elif grant_type == "refresh_token":
            grant = service.refresh_grant(fields.get("refresh_token", ""))
        else:
            raise Refused("unsupported_grant_type")
        return _no_store(jsonify(grant))

    @app.get("/resource")
    def resource() -> Response:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Refused("invalid_token", 401)
        account, expires_in = service.resource_user(value.strip())
        return _no_store(
            jsonify(
                user=account.public(),
                message=f"Hello {account.name}, this came from the upstream API.",
                access_token_expires_in=round(expires_in),
            )
        )

    @app.get("/_stats")
    def stats() -> Response:
        return _no_store(jsonify(service.stats()))

    if test_controls:

        @app.post("/_control")
        def control() -> Response:
            return jsonify(service.control(validate_control(request.get_json(silent=True))))

    return app


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(
        prog="python -m example.upstream",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--test-controls", action="store_true", help="enable POST /_control")
    parser.add_argument("--access-ttl", type=int, default=ACCESS_TTL, metavar="SECONDS")
    parser.add_argument("--refresh-ttl", type=int, default=REFRESH_TTL, metavar="SECONDS")
    parser.add_argument("--verbose", action="store_true", help="log each request (no bodies)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535 or args.access_ttl < 1 or args.refresh_ttl < 1:
        parser.error("the port must be 0-65535 and the TTLs at least 1 second")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    service = TokenService(
        demo_accounts(), access_ttl=args.access_ttl, refresh_ttl=args.refresh_ttl
    )
    app = create_app(service, test_controls=args.test_controls)
    server = make_server(HOST, args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"example.upstream ready on http://{HOST}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
