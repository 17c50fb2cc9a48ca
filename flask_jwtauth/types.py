"""The shapes apps annotate against, in NextAuth's names (seed 002's typed ``Session``,
``User`` and ``JWT``): TypedDicts for the data, Protocols for the callbacks.

All TypedDicts are ``total=False``: an app's jwt callback adds its own claims, and a shape
with only some keys is still that shape. Extend them for your app's claims::

    class AppJWT(flask_jwtauth.JWT, total=False):
        username: str
        accessTokenExpires: int

``Session`` is generic in its user (seed 002's ``declare module "next-auth"``): a bare
``Session`` is ``Session[User]``; ``Session[AppUser]`` types ``session["user"]`` as the
app's own user shape (subscripting it at run time needs Python 3.11)::

    class AppUser(flask_jwtauth.User, total=False):
        username: str

    session = get_session(Session[AppUser])   # Session[AppUser] | None
    token = get_token(AppJWT)                 # AppJWT | None
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    from typing_extensions import TypeVar
else:
    from typing import TypeVar


class User(TypedDict, total=False):
    """``session["user"]``, and what ``current_user`` holds."""

    id: str
    name: str | None
    email: str | None
    image: str | None
    roles: list[str]


if TYPE_CHECKING:
    #: The session's user shape; ``User`` unless the app names its own.
    UserT = TypeVar("UserT", default=User)
else:
    UserT = TypeVar("UserT")

#: A shape the caller of ``get_session``/``get_token`` names (a TypedDict).
ShapeT = TypeVar("ShapeT", bound=Mapping[str, object])


if TYPE_CHECKING or sys.version_info >= (3, 11):

    class Session(TypedDict, Generic[UserT], total=False):
        """What the session callback shapes and ``GET /auth/session`` answers;
        ``Session[AppUser]`` for the app's own user shape."""

        user: UserT
        #: ISO 8601 UTC, as NextAuth writes it.
        expires: str

else:  # Python 3.10: a TypedDict cannot be generic at run time (annotations still can)

    class Session(TypedDict, total=False):
        """What the session callback shapes and ``GET /auth/session`` answers."""

        user: User
        expires: str


class UpstreamTokens(TypedDict, total=False):
    """The ``upstream`` claim: the upstream's tokens, kept in the encrypted session."""

    provider: str
    access_token: str
    token_type: str
    expires_at: int
    refresh_token: str
    refresh_expires_at: int
    scope: str


class JWT(TypedDict, total=False):
    """The session token's claims (NextAuth's ``JWT``), what ``get_token()`` returns."""

    sub: str
    name: str | None
    email: str | None
    picture: str | None
    roles: list[str]
    iat: int
    exp: int
    auth_time: int
    jti: str
    sid: str
    upstream: UpstreamTokens


class Account(TypedDict, total=False):
    """NextAuth's ``account``: how the user signed in, and the provider's tokens."""

    provider: str
    type: str
    providerAccountId: str | None
    access_token: str
    token_type: str
    expires_at: int
    refresh_token: str
    refresh_expires_at: int
    id_token: str
    scope: str


class Profile(TypedDict, total=False):
    """What an OpenID provider said about the user (standard claims; more may come)."""

    sub: str
    name: str
    email: str
    email_verified: bool
    picture: str


Trigger = Literal["sign_in", "update"] | None


class JWTCallback(Protocol):
    """``@auth.jwt_callback``: shape the token; None ends the session. Declare only the
    keyword arguments you use (``token`` always)."""

    def __call__(
        self,
        *,
        token: dict[str, Any],
        user: Any = None,
        account: dict[str, Any] | None = None,
        profile: dict[str, Any] | None = None,
        trigger: Trigger = None,
        session: Any = None,
    ) -> dict[str, Any] | None: ...


class SessionCallback(Protocol):
    """``@auth.session_callback``: what views and ``/auth/session`` see; None: no session."""

    def __call__(
        self, *, session: dict[str, Any], token: dict[str, Any]
    ) -> dict[str, Any] | None: ...


class SignInCallback(Protocol):
    """``@auth.sign_in_callback``: True lets the user in, False denies, a URL redirects."""

    def __call__(
        self,
        *,
        user: Any,
        account: dict[str, Any],
        profile: dict[str, Any] | None,
        credentials: dict[str, str] | None,
    ) -> bool | str: ...


class RedirectCallback(Protocol):
    """``@auth.redirect_callback``: where to go after sign-in or sign-out (same-origin
    enforced afterwards whatever it answers)."""

    def __call__(self, *, url: str, base_url: str) -> str: ...
