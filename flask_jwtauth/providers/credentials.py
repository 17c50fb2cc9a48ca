"""Seed 002's credentials provider: a form in front of the app's own user check.

``authorize(credentials)`` gets the submitted fields as a dict and returns a user (a dict
or an object with ``id``/``name``/``email``) or None.

Fields are given as NextAuth gives ``credentials`` (``{"username": {"label": "Email",
"type": "email"}, "password": {}}``), as :class:`CredentialField` objects, or as plain
names. A bad field is a ``ValueError`` when the provider is built, never at request time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .base import Provider

Authorize = Callable[[dict[str, str]], Any]

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
    ) -> None:
        super().__init__(id, name)
        if not callable(authorize):
            raise TypeError("CredentialsProvider(authorize=...) must be callable")
        self.authorize = authorize
        self.fields: tuple[CredentialField, ...] = (
            DEFAULT_FIELDS if fields is None else _fields(fields)
        )
