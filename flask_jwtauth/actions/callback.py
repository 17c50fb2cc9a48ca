"""``GET|POST /auth/callback/<provider>``: where a provider hands the user back.

The transaction cookie that the sign-in set is read and cleared here, whatever the outcome.
Credentials post here too in NextAuth: for them this is the sign-in itself.
"""

from __future__ import annotations

from flask import Response, abort, request

from ..forms import MalformedBody, submitted
from ..providers.credentials import CredentialsProvider
from ..state import ext
from ..transaction import clear_transactions, load_transaction
from . import common
from .outcome import answer, provider_request
from .sign_in import sign_in


def callback(provider: str) -> Response:
    found = ext().providers.get(provider)
    if found is None:
        abort(404)
    if found.type == CredentialsProvider.type and request.method == "POST":
        return sign_in(provider)
    try:
        data = submitted() if request.method == "POST" else None
    except MalformedBody:
        return common.fail(True, "BadRequest")
    as_json = common.json_mode(data)
    used: list[tuple[str, str]] = []
    transaction, callback_url = load_transaction(found, used)
    form = data.to_dict() if data is not None else {}
    outcome = found.complete(provider_request(found, form), transaction)
    response = answer(found, outcome, as_json=as_json, callback=callback_url)
    clear_transactions(response, used)
    return response
