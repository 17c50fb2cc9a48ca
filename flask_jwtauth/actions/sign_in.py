"""``POST /auth/sign-in/<provider>``: check CSRF, then let the provider begin.

A credentials provider signs the user in at once; an OAuth provider answers with a redirect
to its authorization page (or ``{"url": ...}`` for a JSON client, NextAuth's
``redirect: false``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from flask import Response, abort, request

from .. import log, signals
from ..answers import Answer, Page, render
from ..callbacks import CallbackError
from ..errors import ErrorCode
from ..providers.base import Provider, Refused
from ..state import ext
from ..stores import StoreUnavailable
from ..throttle import Throttle
from . import common
from .dispatch import Posted, posted
from .outcome import answer, provider_request


def sign_in(provider: str) -> Response:
    return render(sign_in_answer(provider))


def sign_in_answer(provider: str, callback_url: str | None = None) -> Answer:
    """Begin signing in with ``provider``; ``callback_url``: where it sends the user back,
    if not our ``/auth/callback/<id>`` (an email link begun on Auth.js's routes)."""
    if provider not in ext().providers:
        abort(404)  # before reading the body, as for any route that does not exist
    return _begin(provider, callback_url)


@posted()
def _begin(post: Posted, provider: str, callback_url: str | None) -> Answer:
    app_state = ext()
    found = app_state.providers[provider]
    data = post.fields
    as_json = post.as_json
    callback = common.sign_in_callback_url(data)
    if not post.csrf_ok:
        # Keep what the user typed, but only fields the provider says are not secret.
        fields = found.page().get("fields", ())
        values = {f.name: data.get(f.name, "")[:1024] for f in fields if not f.secret}
        return common.fail(as_json, ErrorCode.CSRF, callback=callback, values=values)
    throttle = app_state.throttle
    account = _account(found, data)
    address = request.remote_addr or "unknown"
    refused = False
    if throttle is not None and account:
        try:
            refused = _refused(throttle, account, address)
        except CallbackError:  # the app's @auth.throttle_key failed
            log.event("SIGN_IN_ERROR", "the throttle_key callback failed", exc_info=True)
            return common.fail(as_json, ErrorCode.CONFIGURATION, callback=callback)
    if refused and throttle is not None:
        log.emit(
            "SIGN_IN_THROTTLED",
            "too many failed sign-ins",
            signals.sign_in_throttled,
            logged={"address": address},
            account=_digest(account),
            address=address,
        )
        return _too_many(as_json, throttle.window)
    # The provider sees the callbackUrl checked (an email link carries it).
    form = {**data.to_dict(), "callbackUrl": callback}
    outcome = found.begin(provider_request(found, form, callback_url))
    if isinstance(outcome, Refused) and outcome.code == ErrorCode.TOO_MANY_REQUESTS:
        return _too_many(as_json, app_state.settings.store.throttle_window)
    if (
        throttle is not None
        and account
        and isinstance(outcome, Refused)
        and outcome.code == ErrorCode.CREDENTIALS_SIGNIN
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


def _too_many(as_json: bool, window: int) -> Answer:
    """429, the same whether or not the account exists, with when to try again; a browser
    stays on the sign-in page."""
    retry = (("Retry-After", str(window)),)
    if as_json:
        return replace(common.fail(True, ErrorCode.TOO_MANY_REQUESTS), headers=retry)
    too_many = ErrorCode.TOO_MANY_REQUESTS
    return Answer(429, too_many, page=Page.SIGN_IN, headers=retry, varies=False)
