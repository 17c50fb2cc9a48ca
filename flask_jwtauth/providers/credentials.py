"""Seed 002's credentials provider: a form in front of the app's own user check.

``authorize(credentials)`` (or ``authorize(credentials, request)``, sync or ``async``) gets
the submitted fields as a dict and returns a user (a dict or an object with
``id``/``name``/``email``) or None; it may raise :class:`CredentialsSignin` with a safe
``code`` to say why (shown as ``?error=CredentialsSignin&code=...``).

In front of a backend that issues tokens (seed 002), ``authorize`` returns ``(user,
Tokens(...))``: the tokens are kept in the encrypted session and renewed by the
``refresh(tokens)`` hook when due, which returns new :class:`Tokens` or raises
:class:`RefreshRefused` (the session ends) or :class:`RefreshUnavailable` (503, kept).

Fields are given as NextAuth gives ``credentials`` (``{"username": {"label": "Email",
"type": "email"}, "password": {}}``), as :class:`CredentialField` objects, or as plain
names. A bad field is a ``ValueError`` when the provider is built, never at request time.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from werkzeug.datastructures import MultiDict
from wtforms import Form, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..errors import ErrorCode, JWTAuthError
from ..run import check_async, run_sync
from ..upstream import Tokens, from_claim
from .base import (
    Outcome,
    Provider,
    ProviderRequest,
    RefreshRefused,
    RefreshUnavailable,
    Refused,
    SignedIn,
)

Authorize = Callable[..., Any]

logger = logging.getLogger("flask_jwtauth")

_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
#: How much of a submitted (non-secret) value is echoed back into the re-rendered form.
_ECHO_LIMIT = 1024


class CredentialsSignin(JWTAuthError):
    """Raised by ``authorize`` to refuse with a reason the user may see (Auth.js v5's
    ``CredentialsSignin``): ``code`` must be a short identifier such as ``"invalid_otp"``;
    anything else is dropped. ``message`` goes to the logs only; ``safe_message`` (seed
    002's backend error, ``"This account is locked"``) is shown to the user on the sign-in
    page and in the JSON answer, as text (never markup), up to 256 characters. Any other
    exception from ``authorize`` stays the generic ``Configuration`` error."""

    error = ErrorCode.CREDENTIALS_SIGNIN

    def __init__(
        self, code: str | None = None, message: str = "", *, safe_message: str | None = None
    ) -> None:
        super().__init__(message or code or "credentials refused")
        self.code = code if isinstance(code, str) and _CODE.fullmatch(code) else None
        shown = safe_message.strip()[:256] if isinstance(safe_message, str) else ""
        self.safe_message = shown or None


#: Input types the sign-in page can render for a credential.
INPUT_TYPES = frozenset({"text", "password", "email", "tel", "number", "url", "search"})

# Names the form machinery already uses: the hidden fields of the sign-in form, the JSON-mode
# switch, and attributes of Flask-WTF's ``FlaskForm`` that a field would shadow.
_RESERVED = frozenset(
    {
        "csrf_token",
        "csrfToken",
        "callbackUrl",
        "json",
        "redirect",
        "meta",
        "data",
        "errors",
        "form_errors",
        "hidden_tag",
        "is_submitted",
        "populate_obj",
        "post_process",
        "process",
        "validate",
        "validate_on_submit",
        "extra_validators",
    }
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class CredentialField:
    """One input of the sign-in form."""

    name: str
    label: str
    type: str = "text"
    autocomplete: str | None = None
    required: bool = True
    placeholder: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(
                f"credential field name {self.name!r}: use letters, digits and '_', "
                "starting with a letter"
            )
        if self.name in _RESERVED:
            raise ValueError(f"credential field name {self.name!r} is reserved")
        if self.type not in INPUT_TYPES:
            raise ValueError(
                f"credential field {self.name!r}: type {self.type!r} is not one of "
                f"{', '.join(sorted(INPUT_TYPES))}"
            )

    @property
    def secret(self) -> bool:
        """Never echoed back into the form after a failed attempt."""
        return self.type == "password"


DEFAULT_FIELDS = (
    CredentialField("username", "Username", "text", "username"),
    CredentialField("password", "Password", "password", "current-password"),
)

_AUTOCOMPLETE = {"password": "current-password", "email": "email", "username": "username"}


def _optional(spec: Mapping[str, Any], key: str) -> str | None:
    value = spec.get(key)
    return None if value is None else str(value)


def _field(name: str, spec: Mapping[str, Any] | CredentialField | None) -> CredentialField:
    if isinstance(spec, CredentialField):
        if spec.name != name:
            raise ValueError(f"credential field {name!r} is a CredentialField named {spec.name!r}")
        return spec
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ValueError(f"credential field {name!r}: expected a dict, got {spec!r}")
    kind = str(spec.get("type", "password" if name == "password" else "text"))
    autocomplete = spec.get("autocomplete", _AUTOCOMPLETE.get(name, _AUTOCOMPLETE.get(kind)))
    return CredentialField(
        name=name,
        label=str(spec.get("label", name.replace("_", " ").capitalize())),
        type=kind,
        autocomplete=None if autocomplete is None else str(autocomplete),
        required=bool(spec.get("required", True)),
        placeholder=_optional(spec, "placeholder"),
    )


def _fields(
    fields: Mapping[str, Mapping[str, Any] | CredentialField | None]
    | Iterable[CredentialField | str],
) -> tuple[CredentialField, ...]:
    if isinstance(fields, Mapping):
        out = tuple(_field(name, spec) for name, spec in fields.items())
    elif isinstance(fields, str):
        raise ValueError("fields: expected a dict or a list of fields, got a string")
    else:
        items: list[CredentialField] = []
        for item in fields:
            if isinstance(item, str):
                items.append(_field(item, None))
            elif isinstance(item, CredentialField):
                items.append(item)
            else:
                raise ValueError(f"fields: expected a CredentialField or a name, got {item!r}")
        out = tuple(items)
    if not out:
        raise ValueError("CredentialsProvider needs at least one field")
    names = [f.name for f in out]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"credential fields named more than once: {', '.join(duplicated)}")
    return out


class CredentialsProvider(Provider):
    type: ClassVar[str] = "credentials"

    def __init__(
        self,
        authorize: Authorize,
        fields: Mapping[str, Mapping[str, Any] | CredentialField | None]
        | Iterable[CredentialField | str]
        | None = None,
        *,
        id: str = "credentials",
        name: str = "Credentials",
        refresh: Callable[[Tokens], Any] | None = None,
    ) -> None:
        super().__init__(id, name)
        if not callable(authorize):
            raise TypeError("CredentialsProvider(authorize=...) must be callable")
        if refresh is not None and not callable(refresh):
            raise TypeError("CredentialsProvider(refresh=...) must be callable")
        check_async(authorize, f"CredentialsProvider(id={id!r}): authorize")
        check_async(refresh, f"CredentialsProvider(id={id!r}): refresh")
        self.authorize = authorize
        self.refresh_hook = refresh
        self.fields: tuple[CredentialField, ...] = (
            DEFAULT_FIELDS if fields is None else _fields(fields)
        )
        self._wants_request = _takes_two(authorize)
        attrs: dict[str, Any] = {"callbackUrl": HiddenField(validators=[Optional()])}
        for spec in self.fields:
            field_cls = PasswordField if spec.secret else StringField
            checks = [InputRequired() if spec.required else Optional(), Length(max=1024)]
            attrs[spec.name] = field_cls(spec.label, validators=checks)
        self._form = type(f"{self.id.title()}SignInForm", (Form,), attrs)

    def page(self) -> dict[str, Any]:
        return {"fields": self.fields, "logo": None}

    def begin(self, request: ProviderRequest) -> Outcome:
        """Validate the form, then ask ``authorize``. Every refusal looks the same to the
        user (no hint whether the account exists), unless ``authorize`` gives a code."""
        form = self._form(formdata=MultiDict(request.form))
        values = {
            f.name: str(request.form.get(f.name, ""))[:_ECHO_LIMIT]
            for f in self.fields
            if not f.secret
        }
        if not form.validate():
            return Refused(ErrorCode.CREDENTIALS_SIGNIN, "the form is incomplete", values)
        credentials = {spec.name: form[spec.name].data or "" for spec in self.fields}
        args: tuple[Any, ...] = (
            (credentials, request.native) if self._wants_request else (credentials,)
        )
        try:
            user = request.run(self.authorize, *args)
        except CredentialsSignin as exc:
            return Refused(
                ErrorCode.CREDENTIALS_SIGNIN,
                "authorize() refused",
                values,
                exc.code,
                message=exc.safe_message,
            )
        except Exception:
            logger.exception("authorize() of provider %r raised", self.id)
            return Refused(ErrorCode.CONFIGURATION, "authorize() raised")
        tokens = None
        if isinstance(user, tuple) and len(user) == 2 and isinstance(user[1], Tokens):
            user, tokens = user
        if user is None:
            return Refused(ErrorCode.CREDENTIALS_SIGNIN, "authorize() returned None", values)
        user_id = user.get("id") if isinstance(user, dict) else getattr(user, "id", None)
        account: dict[str, Any] = {
            "provider": self.id,
            "type": self.type,
            "providerAccountId": None if user_id is None else str(user_id),
        }
        if tokens is not None:
            # NextAuth's account shape, as an OAuth provider hands them over.
            account.update(tokens.claim(self.id))
            account["provider"] = self.id
        return SignedIn(user=user, account=account, credentials=credentials)

    @property
    def refreshes(self) -> bool:
        return self.refresh_hook is not None

    def refresh(self, account: Mapping[str, Any]) -> Tokens:
        """The app's ``refresh(tokens)`` hook, sync or ``async`` (:func:`run_sync`: no
        request is at hand to run it, as there is for ``authorize``)."""
        if self.refresh_hook is None:
            raise RefreshRefused(f"provider {self.id!r} has no refresh hook")
        current = from_claim(dict(account))
        if current is None:
            raise RefreshRefused("no tokens to refresh")
        answer = run_sync(self.refresh_hook)(current)
        if not isinstance(answer, Tokens):
            raise RefreshUnavailable(
                f"refresh() of provider {self.id!r} returned {type(answer).__name__}, "
                "not Tokens"
            )
        return answer


def _takes_two(func: Callable[..., Any]) -> bool:
    """Does ``authorize`` also want the request (``authorize(credentials, request)``)?"""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2 or any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
