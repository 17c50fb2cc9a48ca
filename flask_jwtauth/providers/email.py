"""Sign in by email link: Auth.js's Email (Nodemailer) provider.

The sign-in page asks for an address; posting it sends a one-time link
(:mod:`flask_jwtauth.verification`) and shows "check your email" (Auth.js's
``verify-request`` page). Nothing looks the address up: the page, and the work behind it,
are the same whether or not it belongs to a user. An app that only lets its own users in
says so in its ``sign_in`` callback, which runs when the link is used, as for every
provider; a refusal then shows there, never in the answer to the address.

The link leads to ``/auth/callback/<id>``. By default it lands on a small page whose button
signs in with a POST (CSRF-checked): mail security scanners (Outlook Safe Links and others)
fetch the links in a message before the user does, and a GET that signed in would spend
the token for them. ``JWTAUTH_EMAIL_CONFIRM = False`` signs in on the GET itself.

The user is ``{"id", "email"}``, the account ``{"provider", "type": "email",
"providerAccountId": <address>}``; the user's id is :func:`~.base.account_id` of the
provider and the address, unless the app's ``jwt`` callback maps the address to its own
user.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from ..config import ConfigurationError
from ..config.store import load_store
from ..config.values import duration, flag, optional_str
from ..errors import ErrorCode
from ..mailer import SendFailed, SMTPMailer, parse_server
from ..stores import Store, StoreUnavailable
from ..verification import DEFAULT_MAX_AGE, SendLimit, VerificationTokens
from .base import Outcome, Provider, ProviderRequest, Redirect, Refused, SignedIn
from .credentials import CredentialField

logger = logging.getLogger("flask_jwtauth")

#: ``send(to, subject, text, html)``: hand the email to something other than SMTP.
Send = Callable[[str, str, str, str | None], Any]
Normalize = Callable[[str], str | None]

FIELD = CredentialField("email", "Email", "email", "email", placeholder="you@example.com")
_FORBIDDEN = set(' ,;:<>()[]\\"')
_DOMAIN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


def normalise_address(raw: str) -> str | None:
    """The address as one user has it, or None when it is not one.

    NFKC (fullwidth letters are letters), surrounding white space stripped, the domain
    case-folded and in its ASCII (IDNA) form, the local part lower-cased (as Auth.js does:
    nearly every mail service treats it so, and ``Ann@`` and ``ann@`` must not be two
    users). One ``@``, no spaces, quotes, commas or control characters, at most 254
    characters. Applying it twice changes nothing."""
    if not isinstance(raw, str):
        return None
    address = unicodedata.normalize("NFKC", raw).strip()
    if not 3 <= len(address) <= 254 or address.count("@") != 1:
        return None
    if any(c in _FORBIDDEN or not c.isprintable() or c.isspace() for c in address):
        return None
    local, _, domain = address.partition("@")
    domain = domain.casefold().rstrip(".")
    if not local or len(local) > 64 or local.startswith(".") or local.endswith("."):
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not _DOMAIN.fullmatch(domain):
        return None
    return f"{local.lower()}@{domain}"


def _human(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds <= 48 * 3600:
        hours = seconds // 3600
        return f"{hours} hour{'' if hours == 1 else 's'}"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


class EmailProvider(Provider):
    """Sign in by a one-time link sent by email.

    ``server``: an SMTP URL (``smtp://user:password@host:587?starttls=true``, ``smtps://``;
    else ``JWTAUTH_EMAIL_SERVER``); ``sender``: the From address (else
    ``JWTAUTH_EMAIL_FROM``, else ``no-reply@<the app's host>``); ``send``: a function
    ``send(to, subject, text, html)`` that sends it another way (an HTTP mail API), instead
    of SMTP; it raises to say the email could not be sent. ``max_age``: how long a link is
    good for (else ``JWTAUTH_EMAIL_TOKEN_MAX_AGE``, 24 hours). ``confirm``: land on a
    confirm page whose button signs in (else ``JWTAUTH_EMAIL_CONFIRM``, True).
    ``normalize``: the app's own ``normalize(address) -> address or None``, instead of
    :func:`normalise_address`. ``per_address`` / ``per_client``: links sent to one address,
    and asked for by one client, per ``JWTAUTH_THROTTLE_WINDOW`` (0: no limit).
    """

    type: ClassVar[str] = "email"
    needs_store: ClassVar[bool] = True

    def __init__(
        self,
        server: str | None = None,
        sender: str | None = None,
        *,
        send: Send | None = None,
        max_age: int | None = None,
        confirm: bool | None = None,
        normalize: Normalize | None = None,
        per_address: int = 5,
        per_client: int = 20,
        id: str = "email",
        name: str = "Email",
    ) -> None:
        super().__init__(id, name)
        for label, hook in (("send", send), ("normalize", normalize)):
            if hook is not None and not callable(hook):
                raise TypeError(f"EmailProvider({label}=...) must be callable")
        if per_address < 0 or per_client < 0:
            raise ValueError("EmailProvider: per_address and per_client must be >= 0")
        self._server_url = server
        self._sender = sender
        self._send_hook = send
        self._max_age = max_age
        self._confirm = confirm
        self.normalize: Normalize = normalize or normalise_address
        self.per_address = per_address
        self.per_client = per_client
        self.send: Send | None = send
        self.max_age = DEFAULT_MAX_AGE
        self.confirm = True
        self.sender = sender or "no-reply@localhost"
        self._window = 15 * 60
        self._ipv6_prefix = 64
        self.tokens: VerificationTokens | None = None
        self.limit: SendLimit | None = None

    # -- set-up -------------------------------------------------------------------------

    def configure(self, config: Mapping[str, Any]) -> None:
        base = optional_str(config, "JWTAUTH_URL")
        if base is None and not config.get("TRUSTED_HOSTS"):
            raise ConfigurationError(
                "JWTAUTH_URL",
                f"provider {self.id!r} sends links to this app: set the app's origin "
                "(JWTAUTH_URL = 'https://app.example.com') or Flask's TRUSTED_HOSTS, or a "
                "forged Host header would put another site's address in the email",
            )
        key = "JWTAUTH_EMAIL_TOKEN_MAX_AGE"
        max_age = (
            self._max_age
            if self._max_age is not None
            else duration(config, key, DEFAULT_MAX_AGE, allow_none=False)
        )
        if not max_age or max_age <= 0:
            raise ConfigurationError(key, "must be greater than zero")
        self.max_age = int(max_age)
        self.confirm = (
            self._confirm
            if self._confirm is not None
            else flag(config, "JWTAUTH_EMAIL_CONFIRM", True)
        )
        host = urlsplit(base).hostname if base else None
        self.sender = (
            self._sender
            or optional_str(config, "JWTAUTH_EMAIL_FROM")
            or f"no-reply@{host or 'localhost'}"
        )
        if self._send_hook is None:
            url = self._server_url or optional_str(config, "JWTAUTH_EMAIL_SERVER")
            if url is None:
                raise ConfigurationError(
                    "JWTAUTH_EMAIL_SERVER",
                    f"provider {self.id!r} needs an SMTP URL (smtp://user:password@host:port) "
                    "or a send= function",
                )
            try:
                self.send = SMTPMailer(parse_server(url), self.sender)
            except ValueError as exc:
                raise ConfigurationError("JWTAUTH_EMAIL_SERVER", str(exc)) from None
        store = load_store(config)
        self._window = store.throttle_window
        self._ipv6_prefix = store.throttle_ipv6_prefix

    def attach(self, store: Store, secret: bytes) -> None:
        self.tokens = VerificationTokens(store, secret, max_age=self.max_age, clock=self.clock)
        self.limit = SendLimit(
            store,
            secret,
            per_address=self.per_address,
            per_client=self.per_client,
            window=self._window,
            ipv6_prefix=self._ipv6_prefix,
        )

    def page(self) -> dict[str, Any]:
        return {"fields": (FIELD,), "logo": None}

    # -- the protocol -------------------------------------------------------------------

    def _address(self, request: ProviderRequest, raw: str) -> str | None:
        try:
            found = request.run(self.normalize, raw)
        except Exception:
            logger.exception("normalize() of provider %r raised", self.id)
            return None
        return found if isinstance(found, str) and found else None

    def begin(self, request: ProviderRequest) -> Outcome:
        """Send the link, then "check your email"; the same for every valid address."""
        if self.tokens is None or self.limit is None or self.send is None:
            return Refused(ErrorCode.CONFIGURATION, f"provider {self.id!r} is not set up")
        typed = str(request.form.get("email", ""))[:320]
        values = {"email": typed}
        address = self._address(request, typed)
        if address is None:
            return Refused(ErrorCode.EMAIL_SIGNIN, "not an email address", values, "invalid_email")
        client = str(getattr(request.native, "remote_addr", None) or "unknown")
        try:
            if not self.limit.allow(address, client):
                return Refused(ErrorCode.TOO_MANY_REQUESTS, "too many sign-in emails", values)
            token = self.tokens.issue(address)
        except StoreUnavailable as exc:
            return Refused(ErrorCode.SERVICE_UNAVAILABLE, f"store: {exc}", values)
        query = {"token": token, "email": address}
        callback = str(request.form.get("callbackUrl", ""))
        if callback:
            query = {"callbackUrl": callback, **query}
        link = f"{request.callback_url}?{urlencode(query)}"
        try:
            subject, text, html = self.render(address, link)
            request.run(self.send, address, subject, text, html)
        except SendFailed as exc:
            logger.error("provider %r could not send a sign-in email: %s", self.id, exc)
            return Refused(ErrorCode.EMAIL_SIGNIN, "sending failed", values, "send_failed")
        except Exception:
            logger.exception("provider %r: sending the sign-in email raised", self.id)
            return Refused(ErrorCode.EMAIL_SIGNIN, "sending failed", values, "send_failed")
        return Redirect(self.verify_request_url())

    def complete(self, request: ProviderRequest, transaction: dict[str, Any] | None) -> Outcome:
        """Spend the link's token: signed in once, refused (``Verification``) after."""
        if self.tokens is None:
            return Refused(ErrorCode.CONFIGURATION, f"provider {self.id!r} is not set up")
        data = request.form if "token" in request.form else request.args
        token = str(data.get("token", ""))
        address = self._address(request, str(data.get("email", "")))
        try:
            spent = address is not None and self.tokens.use(address, token)
        except StoreUnavailable as exc:
            return Refused(ErrorCode.SERVICE_UNAVAILABLE, f"store: {exc}")
        if not spent or address is None:
            return Refused(ErrorCode.VERIFICATION, "unknown, spent or expired link")
        account = {"provider": self.id, "type": self.type, "providerAccountId": address}
        user = {"id": address, "email": address}
        return SignedIn(user=user, account=account, scoped=True)

    # -- Flask-side: the email and the page after it -------------------------------------

    def render(self, address: str, link: str) -> tuple[str, str, str]:
        """Subject, text and HTML of the email, from ``jwtauth/email/sign_in.{txt,html}``
        and ``jwtauth/email/subject.txt`` (an app overrides them as any template)."""
        from flask import current_app, render_template

        host = urlsplit(link).netloc
        context = {
            "url": link,
            "host": host,
            "email": address,
            "expires_in": _human(self.max_age),
            "theme": current_app.extensions["jwtauth"].settings.theme,
            "provider": self,
        }
        subject = render_template("jwtauth/email/subject.txt", **context).strip()
        subject = " ".join(subject.split()) or f"Sign in to {host}"
        text = render_template("jwtauth/email/sign_in.txt", **context)
        html = render_template("jwtauth/email/sign_in.html", **context)
        return subject, text, html

    def verify_request_url(self) -> str:
        from flask import url_for

        return url_for("jwtauth.verify_request", provider=self.id)
