"""Turn what a provider answered into the HTTP answer, the same way for every provider."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from .. import flow, log, signals
from ..headers import private, vary_accept
from ..providers.base import Outcome, Provider, ProviderRequest, Redirect, Refused, SignedIn
from ..transaction import save_transaction
from . import common


def provider_request(provider: Provider, form: dict[str, str]) -> ProviderRequest:
    return ProviderRequest(
        form=form,
        args=request.args.to_dict(),
        callback_url=common.external("jwtauth.callback", provider=provider.id),
        call=current_app.ensure_sync,
        native=request._get_current_object(),  # type: ignore[attr-defined]
    )


def answer(provider: Provider, outcome: Outcome, *, as_json: bool, callback: str) -> Response:
    """The response for ``outcome``: signed in and redirected, sent out to the provider, or
    refused with Auth.js's code."""
    if isinstance(outcome, Refused):
        if outcome.detail:
            log.event(
                "SIGN_IN_FAILED",
                "sign-in refused",
                provider=provider.id,
                error=outcome.code,
                reason=outcome.detail,
            )
        signals.send(signals.sign_in_failed, provider=provider.id, error=outcome.code)
        return common.fail(
            as_json, outcome.code, callback=callback, values=outcome.values, reason=outcome.reason
        )
    if isinstance(outcome, Redirect):
        if as_json:
            response = vary_accept(private(jsonify(ok=True, url=outcome.url)))
        else:
            response = common.redirect_to(outcome.url)
        if outcome.transaction is not None:
            save_transaction(response, provider, outcome, callback)
        return response
    assert isinstance(outcome, SignedIn)
    result = flow.complete(outcome)
    if result.url is not None:
        return common.done(as_json, common.target(result.url))
    if not result.ok:
        return common.fail(as_json, result.error or "Default", callback=callback)
    return common.done(as_json, common.target(callback))
