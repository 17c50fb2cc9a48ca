"""``POST /auth/sign-in/<provider>``: check CSRF, then let the provider begin.

A credentials provider signs the user in at once; an OAuth provider answers with a redirect
to its authorization page (or ``{"url": ...}`` for a JSON client, NextAuth's
``redirect: false``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from flask import Response, abort, request

from .. import log, signals
from ..forms import MalformedBody, submitted
from ..pages import render_sign_in
from ..providers.base import Provider, Refused
from ..state import ext
from ..stores import StoreUnavailable
from ..throttle import Throttle
from . import common
from .outcome import answer, provider_request


def sign_in(provider: str) -> Response:
    app_state = ext()
    found = app_state.providers.get(provider)
    if found is None:
        abort(404)
    try:
        data = submitted()
    except MalformedBody:
        return common.fail(True, "BadRequest")
    as_json = common.json_mode(data)
    callback = common.callback_url(data)
    if not app_state.csrf.check(data.get("csrf_token")):
        # Keep what the user typed, but only fields the provider says are not secret.
        fields = found.page().get("fields", ())
        values = {f.name: data.get(f.name, "")[:1024] for f in fields if not f.secret}
        return common.fail(as_json, "CSRF", callback=callback, values=values)
    throttle = app_state.throttle
    account = _account(found, data)
    address = request.remote_addr or "unknown"
    if throttle is not None and account and _refused(throttle, account, address):
        log.event("SIGN_IN_THROTTLED", "too many failed sign-ins", address=address)
        signals.send(signals.sign_in_throttled, account=_digest(account), address=address)
        return _too_many(as_json, throttle.window)
    outcome = found.begin(provider_request(found, data.to_dict()))
    if (
        throttle is not None
        and account
        and isinstance(outcome, Refused)
        and outcome.code == "CredentialsSignin"
    ):
        try:
            throttle.failed(account, address)
        except StoreUnavailable as exc:
            log.event("STORE_UNAVAILABLE", "failed sign-in not counted", reason=str(exc))
    return answer(found, outcome, as_json=as_json, callback=callback)


def _account(provider: Provider, data: Mapping[str, str]) -> str:
    """Who a credentials form claims to be: its first field that is not secret."""
    for field in provider.page().get("fields", ()):
        if not field.secret:
            return str(data.get(field.name, ""))[:256]
    return ""


def _refused(throttle: Throttle, account: str, address: str) -> bool:
    try:
        return throttle.refused(account, address)
    except StoreUnavailable as exc:
        log.event("STORE_UNAVAILABLE", "sign-in throttle not checked", reason=str(exc))
        return False


def _digest(account: str) -> str:
    return hashlib.sha256(account.encode()).hexdigest()[:16]


def _too_many(as_json: bool, window: int) -> Response:
    """429, the same whether or not the account exists, with when to try again."""
    if as_json:
        response = common.fail(True, "TooManyRequests")
    else:
        response = render_sign_in(error="TooManyRequests", status=429)
    response.headers["Retry-After"] = str(window)
    return response
