"""Seed 002's credentials provider: a form in front of the app's own user check.

``authorize(credentials)`` gets the submitted fields as a dict and returns a user (a dict
or an object with ``id``/``name``/``email``) or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .base import Provider

Authorize = Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class CredentialField:
    """One input of the sign-in form."""

    name: str
    label: str
    type: str = "text"
    autocomplete: str | None = None
    required: bool = True
    placeholder: str | None = None

    @property
    def secret(self) -> bool:
        """Never echoed back into the form after a failed attempt."""
        return self.type == "password"


DEFAULT_FIELDS = (
    CredentialField("username", "Username", "text", "username"),
    CredentialField("password", "Password", "password", "current-password"),
)

_AUTOCOMPLETE = {"password": "current-password", "email": "email", "username": "username"}


def _field(name: str, spec: Mapping[str, Any] | CredentialField) -> CredentialField:
    if isinstance(spec, CredentialField):
        return spec
    kind = str(spec.get("type", "password" if name == "password" else "text"))
    return CredentialField(
        name=name,
        label=str(spec.get("label", name.replace("_", " ").capitalize())),
        type=kind,
        autocomplete=spec.get("autocomplete", _AUTOCOMPLETE.get(name, _AUTOCOMPLETE.get(kind))),
        required=bool(spec.get("required", True)),
        placeholder=spec.get("placeholder"),
    )


class CredentialsProvider(Provider):
    type: ClassVar[str] = "credentials"

    def __init__(
        self,
        authorize: Authorize,
        fields: Mapping[str, Mapping[str, Any]] | Iterable[CredentialField] | None = None,
        *,
        id: str = "credentials",
        name: str = "Credentials",
    ) -> None:
        super().__init__(id, name)
        if not callable(authorize):
            raise TypeError("CredentialsProvider(authorize=...) must be callable")
        self.authorize = authorize
        if fields is None:
            self.fields: tuple[CredentialField, ...] = DEFAULT_FIELDS
        elif isinstance(fields, Mapping):
            self.fields = tuple(_field(n, spec) for n, spec in fields.items())
        else:
            self.fields = tuple(fields)
        if not self.fields:
            raise ValueError("CredentialsProvider needs at least one field")
