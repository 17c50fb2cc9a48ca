"""``GET|POST /auth/callback/<provider>``: where a provider hands the user back.

The transaction cookie that the sign-in set is read and cleared here, whatever the outcome.
Credentials post here too in NextAuth: for them this is the sign-in itself.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from flask import Response, abort, request

from ..answers import Answer, render, wants_json
from ..errors import ErrorCode
from ..providers.credentials import CredentialsProvider
from ..providers.email import EmailProvider
from ..state import ext
from ..transaction import clear_transactions, load_transaction
from . import common
from .dispatch import MalformedBody, submitted
from .email import confirm_page, email_callback, shows_confirm_page
from .outcome import answer, provider_request
from .sign_in import sign_in_answer


def callback(provider: str) -> Response:
    found = ext().providers.get(provider)
    if isinstance(found, EmailProvider) and shows_confirm_page(found):
        return confirm_page(found)
    return render(callback_answer(provider))


def callback_answer(provider: str) -> Answer:
    found = ext().providers.get(provider)
    if found is None:
        abort(404)
    if found.type == CredentialsProvider.type and request.method == "POST":
        return sign_in_answer(provider)
    if isinstance(found, EmailProvider):
        return email_callback(found)
    try:
        data = submitted() if request.method == "POST" else None
    except MalformedBody:
        return common.fail(True, ErrorCode.BAD_REQUEST)
    as_json = wants_json(data)
    used: list[tuple[str, str]] = []
    transaction, callback_url = load_transaction(found, used)
    form = data.to_dict() if data is not None else {}
    outcome = found.complete(provider_request(found, form), transaction)
    answered = answer(found, outcome, as_json=as_json, callback=callback_url)
    # Valid once: cleared whatever the outcome.
    clear = functools.partial(clear_transactions, cookies=used)
    return replace(answered, cookies=(*answered.cookies, clear))
