"""``GET /auth/csrf`` and ``GET /auth/providers``: what a JSON client needs to sign in."""

from __future__ import annotations

from flask import Response, jsonify

from ..headers import private
from ..state import ext
from .common import external


def csrf() -> Response:
    return private(jsonify(csrfToken=ext().csrf.token()))


def providers() -> Response:
    out = {}
    for p in ext().providers.values():
        out[p.id] = {
            "id": p.id,
            "name": p.name,
            "type": p.type,
            "signinUrl": external("jwtauth.sign_in_provider", provider=p.id),
            "callbackUrl": external("jwtauth.callback", provider=p.id),
        }
    # Built from the Host header: never cached, so a forged Host cannot poison a cache.
    return private(jsonify(out))
