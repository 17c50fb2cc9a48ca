"""The email provider's two pages and its callback.

- ``GET <prefix>/verify-request``: "check your email" (Auth.js's ``verify-request`` page),
  where the sign-in form's POST leads once the link is sent.
- ``GET <prefix>/callback/<id>?token=...&email=...``: the link. By default it only shows a
  confirm page (a mail scanner's GET spends nothing); its button POSTs the token back,
  CSRF-checked, and that signs in. With ``JWTAUTH_EMAIL_CONFIRM = False`` the GET signs in.
"""

from __future__ import annotations

from flask import Response, request, url_for

from ..answers import Answer, wants_json
from ..errors import ErrorCode
from ..pages import _html, _settle
from ..providers.email import EmailProvider
from ..state import ext
from . import common
from .dispatch import Posted, posted
from .outcome import answer, provider_request


def verify_request_page() -> Response:
    """Sent: look in your inbox. Shown the same whatever the address was."""
    _settle()
    found = ext().providers.get(request.args.get("provider") or "")
    return _html(
        "jwtauth/verify_request.html",
        200,
        provider=found if isinstance(found, EmailProvider) else None,
        sign_in_url=ext().sign_in_page_url(),
    )


def confirm_page(provider: EmailProvider) -> Response:
    """The link's landing page: a button that signs in. Nothing is spent here."""
    _settle()
    args = request.args
    return _html(
        "jwtauth/email_confirm.html",
        200,
        provider=provider,
        action=url_for("jwtauth.callback", provider=provider.id),
        csrf_token=ext().csrf.token(),
        token=args.get("token", "")[:128],
        email=args.get("email", "")[:320],
        callback_url=common.callback_url(),
        sign_in_url=ext().sign_in_page_url(),
    )


def shows_confirm_page(provider: EmailProvider) -> bool:
    """Whether the link's request gets the confirm page rather than spending the token: a
    GET while confirm is on, and always a HEAD (link scanners send those too, and Flask
    answers a HEAD with the GET view)."""
    return request.method == "HEAD" or (provider.confirm and request.method == "GET")


def email_callback(provider: EmailProvider) -> Answer:
    """The POST from the confirm page, or (confirm off) the link's GET: spend the token.
    Nothing else spends it, whatever route led here."""
    if request.method == "POST":
        return _confirmed(provider.id)
    if request.method == "GET" and not provider.confirm:
        return _spend(provider, request.args.to_dict(), as_json=wants_json())
    return common.fail(wants_json(), ErrorCode.BAD_REQUEST)


@posted()
def _confirmed(post: Posted, provider_id: str) -> Answer:
    found = ext().providers[provider_id]
    assert isinstance(found, EmailProvider)
    if not post.csrf_ok:
        # The link is not spent: opening it again shows a fresh form.
        callback = common.callback_url(post.fields)
        return common.fail(post.as_json, ErrorCode.CSRF, callback=callback)
    return _spend(found, post.fields.to_dict(), as_json=post.as_json)


def _spend(provider: EmailProvider, form: dict[str, str], *, as_json: bool) -> Answer:
    callback = common.callback_url(form)
    outcome = provider.complete(provider_request(provider, form), None)
    return answer(provider, outcome, as_json=as_json, callback=callback)
