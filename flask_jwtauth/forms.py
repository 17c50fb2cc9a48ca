"""Flask-WTF forms for the state-changing POSTs, with CSRF from a field, a header or JSON.

Browsers post the ``csrf_token`` field; JSON clients fetch ``/auth/csrf`` and send the
token back in ``X-CSRFToken`` (or ``csrfToken`` in the body, as NextAuth's client does).
All of them are checked by Flask-WTF itself.
"""

from __future__ import annotations

import weakref
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional

from .providers.credentials import CredentialsProvider

_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
# One form class per provider object; weak keys, so a discarded provider (and a new one
# that happens to get its id()) never finds a stale class with other fields.
_FORM_CLASSES: weakref.WeakKeyDictionary[CredentialsProvider, type[FlaskForm]] = (
    weakref.WeakKeyDictionary()
)


class MalformedBody(Exception):
    """The body is not a flat object of strings/numbers/booleans; answered with 400."""


def submitted() -> MultiDict[str, str]:
    """The posted fields, from a form or a flat JSON object, plus any CSRF header token."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise MalformedBody("expected a JSON object")
        data: MultiDict[str, str] = MultiDict()
        for key, value in body.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (int, float)):
                value = str(value)
            if not isinstance(value, str):
                raise MalformedBody(f"field {key!r} must be a string")
            data[key] = value
    else:
        data = MultiDict(request.form)
    token = header_token() or data.get("csrfToken")
    if token and not data.get("csrf_token"):
        data["csrf_token"] = token
    return data


def header_token() -> str | None:
    """The CSRF token a JSON client sent in a header, if any."""
    return next((request.headers[h] for h in _CSRF_HEADERS if h in request.headers), None)


class CsrfForm(FlaskForm):  # type: ignore[misc]
    """No fields but the CSRF token and where to go next: sign-out and session update."""

    callbackUrl = HiddenField(validators=[Optional()])


def csrf_ok(token: object) -> bool:
    """Flask-WTF's verdict on a token from wherever the client put it."""
    form = CsrfForm(formdata=MultiDict({"csrf_token": token if isinstance(token, str) else ""}))
    return bool(form.validate())


def credentials_form(provider: CredentialsProvider, data: MultiDict[str, str]) -> FlaskForm:
    """A form for this provider's fields; the class is built once per provider."""
    cls = _FORM_CLASSES.get(provider)
    if cls is None:
        # callbackUrl is not validated here: any value is accepted and judged by
        # redirects.same_origin_target, so a bad one falls back to "/" instead of failing.
        attrs: dict[str, Any] = {"callbackUrl": HiddenField(validators=[Optional()])}
        for spec in provider.fields:
            field_cls = PasswordField if spec.secret else StringField
            checks = [InputRequired() if spec.required else Optional(), Length(max=1024)]
            attrs[spec.name] = field_cls(spec.label, validators=checks)
        cls = type(f"{provider.id.title()}SignInForm", (FlaskForm,), attrs)
        _FORM_CLASSES[provider] = cls
    return cls(formdata=data)


def credentials_of(provider: CredentialsProvider, form: FlaskForm) -> dict[str, str]:
    return {spec.name: form[spec.name].data or "" for spec in provider.fields}
