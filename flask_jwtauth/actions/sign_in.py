"""``POST /auth/sign-in/<provider>``: check CSRF, then let the provider begin.

A credentials provider signs the user in at once; an OAuth provider answers with a redirect
to its authorization page (or ``{"url": ...}`` for a JSON client, NextAuth's
``redirect: false``).
"""

from __future__ import annotations

from flask import Response, abort

from ..forms import MalformedBody, submitted
from ..state import ext
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
    outcome = found.begin(provider_request(found, data.to_dict()))
    return answer(found, outcome, as_json=as_json, callback=callback)
