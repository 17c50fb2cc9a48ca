"""``GET /auth/csrf`` and ``GET /auth/providers``: what a JSON client needs to sign in."""

from __future__ import annotations

from flask import Response, jsonify, url_for

from ..headers import private
from ..state import ext


def csrf() -> Response:
    return private(jsonify(csrfToken=ext().csrf.token()))


def providers() -> Response:
    out = {}
    for p in ext().providers.values():
        out[p.id] = {
            "id": p.id,
            "name": p.name,
            "type": p.type,
            "signinUrl": url_for("jwtauth.sign_in_provider", provider=p.id, _external=True),
            "callbackUrl": url_for("jwtauth.callback", provider=p.id, _external=True),
        }
    # Built from the Host header: never cached, so a forged Host cannot poison a cache.
    return private(jsonify(out))
