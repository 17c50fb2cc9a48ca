"""Turn what a provider answered into the answer, the same way for every provider."""

from __future__ import annotations

import functools

from flask import request

from .. import flow, log, signals
from ..answers import Answer, CookieWriter, go
from ..errors import ErrorCode
from ..providers.base import Outcome, Provider, ProviderRequest, Redirect, Refused, SignedIn
from ..transaction import save_transaction
from . import common


def provider_request(
    provider: Provider, form: dict[str, str], callback_url: str | None = None
) -> ProviderRequest:
    """What the provider sees of this request; ``callback_url``: where it sends the user
    back (by default our ``/auth/callback/<id>``)."""
    return ProviderRequest(
        form=form,
        args=request.args.to_dict(),
        callback_url=callback_url or common.external("jwtauth.callback", provider=provider.id),
        native=request._get_current_object(),  # type: ignore[attr-defined]
    )


def answer(provider: Provider, outcome: Outcome, *, as_json: bool, callback: str) -> Answer:
    """The answer to ``outcome``: signed in and redirected, sent out to the provider, or
    refused with Auth.js's code."""
    if isinstance(outcome, Refused):
        if outcome.detail:
            log.emit(
                "SIGN_IN_FAILED",
                "sign-in refused",
                signals.sign_in_failed,
                logged={"provider": provider.id, "error": outcome.code, "reason": outcome.detail},
                provider=provider.id,
                error=outcome.code,
            )
        else:
            signals.send(signals.sign_in_failed, provider=provider.id, error=outcome.code)
        return common.fail(
            as_json,
            outcome.code,
            callback=callback,
            values=outcome.values,
            reason=outcome.reason,
            message=outcome.message,
        )
    if isinstance(outcome, Redirect):
        cookies: tuple[CookieWriter, ...] = ()
        if outcome.transaction is not None:
            save = functools.partial(
                save_transaction, provider=provider, outcome=outcome, callback_url=callback
            )
            cookies = (save,)
        return go(outcome.url, as_json=as_json, cookies=cookies)
    assert isinstance(outcome, SignedIn)
    result = flow.complete(outcome)
    if result.url is not None:
        return common.done(as_json, common.target(result.url))
    if not result.ok:
        return common.fail(as_json, result.error or ErrorCode.DEFAULT, callback=callback)
    return common.done(as_json, common.target(callback))
