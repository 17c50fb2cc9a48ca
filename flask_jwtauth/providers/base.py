"""The provider protocol: how a sign-in begins and completes, whatever the protocol behind it.

Providers are framework-neutral, as Authlib's clients are: they receive plain mappings (the
posted fields, the query string) and answer with an :data:`Outcome`. The flow module owns
everything Flask-side (CSRF, cookies, the OAuth transaction cookie, callbacks, signals), so a
new kind of provider never touches the views.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..clock import Clock
from ..errors import ErrorCode, JWTAuthError
from ..run import run_sync
from ..upstream import Tokens

if TYPE_CHECKING:
    from ..stores import Store

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class ProviderRequest:
    """What a provider may see of the request, as plain data.

    ``form`` is the posted body (form fields or a flat JSON object), ``args`` the query
    string; ``callback_url`` the absolute URL of this provider's callback route (the OAuth
    ``redirect_uri``). A user function that may be ``async`` runs through :meth:`run`, the
    package's one runner (:func:`~flask_jwtauth.run.run_sync`).
    """

    form: Mapping[str, str]
    args: Mapping[str, str]
    callback_url: str
    #: The framework's own request object, for user hooks that want it (``authorize``).
    native: Any = None

    def run(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``func`` (sync or async) the way Flask calls views."""
        if not inspect.iscoroutinefunction(func):
            return func(*args, **kwargs)  # a plain function is simply called
        return run_sync(func)(*args, **kwargs)


@dataclass(frozen=True)
class SignedIn:
    """The provider knows who the user is: the flow signs them in.

    ``account`` is NextAuth's account (``provider``, ``type``, ``providerAccountId`` and, for
    OAuth, ``access_token``, ``refresh_token``, ``expires_at``, ``id_token``, ``scope``,
    ``token_type``); ``profile`` what the provider said about the user.

    ``scoped``: the user's id is the provider's own subject (``providerAccountId``), not the
    app's: the flow replaces it with :func:`account_id`, so that subject ``1001`` at two
    providers, or an OpenID subject ``"1"`` and the app's own user ``"1"``, are different
    users. A provider whose user came from the app (``authorize()``, a ``profile`` hook that
    maps the account to the app's user) leaves it False: the app's id is kept as it is.
    """

    user: Any
    account: dict[str, Any]
    profile: dict[str, Any] | None = None
    credentials: dict[str, str] | None = None
    scoped: bool = False


#: The namespace of :func:`account_id` (a UUID of our own, fixed forever: changing it would
#: change every provider user's id).
_ACCOUNTS = uuid.UUID("6f1d6c2e-4b5a-5d3e-9a41-8c2b7e0f1a93")


def account_id(provider: str, subject: str) -> str:
    """The app-wide id of a provider's account: a name-based UUID (RFC 9562 v5) of the
    provider and its subject. Stable (the same account signs in as the same user each time,
    so ``revoke_user`` and the app's data keep working) and distinct per provider, as Auth.js
    v5 mints its own ids rather than trusting a provider's."""
    return str(uuid.uuid5(_ACCOUNTS, f"{provider}\0{subject}"))


@dataclass(frozen=True)
class Redirect:
    """Send the browser to ``url`` (an authorization endpoint).

    ``transaction`` (JSON-serialisable: state, PKCE verifier, nonce) is kept by the flow in a
    short-lived encrypted cookie and handed back to :meth:`Provider.complete`, once.
    ``form_post`` asks for that cookie to survive a cross-site POST back (Apple).
    """

    url: str
    transaction: dict[str, Any] | None = None
    form_post: bool = False


@dataclass(frozen=True)
class Refused:
    """The sign-in did not happen. ``code`` is Auth.js's error code (``CredentialsSignin``,
    ``OAuthSignin``, ``OAuthCallbackError``, ``AccessDenied``, ``Configuration``); ``detail``
    goes to the logs only; ``values`` are safe form values to show again; ``reason`` is an
    app-chosen safe code shown with the error (Auth.js's ``CredentialsSignin.code``);
    ``message`` an app-chosen text safe to show instead of the generic one."""

    code: str
    detail: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    message: str | None = None


Outcome = SignedIn | Redirect | Refused


class RefreshRefused(JWTAuthError):
    """The upstream said no for good (``invalid_grant``, a revoked or expired refresh token):
    the session ends."""

    error = ErrorCode.REFRESH_ACCESS_TOKEN_ERROR


class RefreshUnavailable(JWTAuthError):
    """The upstream could not answer now (timeout, refused connection, 5xx): try later, keep
    the session."""

    error = ErrorCode.SERVICE_UNAVAILABLE


class RefreshOutcomeUnknown(RefreshUnavailable):
    """The refresh reached the upstream but no answer came back (a read timeout): the
    upstream may have spent the refresh token. Raise it from a refresh hook for that case;
    the token is then used again only within ``JWTAUTH_REFRESH_REUSE_GRACE``."""


class Provider:
    """A sign-in method. Subclasses override :meth:`begin` and, for round trips,
    :meth:`complete`; :meth:`configure` reads per-app settings at ``init_app``."""

    type: ClassVar[str] = "custom"
    #: The provider keeps state of its own in the app's store (the one-time tokens of the
    #: email provider), handed over by :meth:`attach`; the app then opens one even when
    #: none is configured (SQLite in the instance folder, as for revocation).
    needs_store: ClassVar[bool] = False

    def __init__(self, id: str, name: str) -> None:
        if not _ID.fullmatch(id):
            raise ValueError(f"provider id {id!r}: use lowercase letters, digits, '-' and '_'")
        self.id = id
        self.name = name
        #: The app's clock, given at ``init_app`` (the wall clock before): caches and timers
        #: ask it, so a test that moves the app's time moves the provider's too.
        self.clock = Clock()

    def configure(self, config: Mapping[str, Any]) -> None:
        """Read this provider's settings from the app's config; raise ``ConfigurationError``
        naming the key when one is missing or wrong. Called once per app, at ``init_app``."""

    def attach(self, store: Store, secret: bytes) -> None:
        """Given the app's store and its first secret, once per app, after
        :meth:`configure`, when :attr:`needs_store` says so."""

    def begin(self, request: ProviderRequest) -> Outcome:
        """``POST /auth/sign-in/<id>``: sign in at once, or redirect out."""
        return Refused(ErrorCode.OAUTH_SIGNIN, f"provider {self.id!r} cannot start a sign-in")

    def complete(self, request: ProviderRequest, transaction: dict[str, Any] | None) -> Outcome:
        """``GET|POST /auth/callback/<id>``: the provider hands the user back."""
        return Refused(ErrorCode.OAUTH_CALLBACK_ERROR, f"provider {self.id!r} has no callback")

    @property
    def refreshes(self) -> bool:
        """Can this provider renew upstream tokens (does it override :meth:`refresh`)?"""
        return type(self).refresh is not Provider.refresh

    def refresh(self, account: Mapping[str, Any]) -> Mapping[str, Any] | Tokens:
        """New upstream tokens for the session's current ones (``access_token``,
        ``refresh_token``, ``expires_at``...): a mapping in NextAuth's account shape, or
        :class:`Tokens`. Raises :class:`RefreshRefused` or :class:`RefreshUnavailable`.
        Called at most once per refresh token: the caller makes it single-flight."""
        raise RefreshRefused(f"provider {self.id!r} cannot refresh tokens")

    def page(self) -> dict[str, Any]:
        """What the sign-in page shows for this provider (fields for a form, a logo)."""
        return {"fields": (), "logo": None}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"
