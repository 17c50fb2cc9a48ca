"""``GET /auth/csrf`` and ``GET /auth/providers``: what a JSON client needs to sign in."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, jsonify

from ..headers import private
from ..providers.base import Provider
from ..state import ext
from .common import external


def csrf() -> Response:
    return private(jsonify(csrfToken=ext().csrf.token()))


def providers() -> Response:
    return provider_list(lambda p: external("jwtauth.sign_in_provider", provider=p.id))


def provider_list(
    sign_in_url: Callable[[Provider], str],
    callback_url: Callable[[Provider], str | None] = lambda p: None,
    kind: Callable[[Provider], str] = lambda p: p.type,
) -> Response:
    """Auth.js's ``/providers`` shape; ``callbackUrl`` is the one registered at providers
    unless ``callback_url`` says otherwise; ``kind`` gives ``type`` (next-auth v4 has no
    ``oidc``)."""
    out = {}
    for p in ext().providers.values():
        out[p.id] = {
            "id": p.id,
            "name": p.name,
            "type": kind(p),
            "signinUrl": sign_in_url(p),
            "callbackUrl": callback_url(p) or external("jwtauth.callback", provider=p.id),
        }
    # Built from the Host header: never cached, so a forged Host cannot poison a cache.
    return private(jsonify(out))
