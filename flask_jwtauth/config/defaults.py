"""The one table of ``JWTAUTH_*`` keys: default and meaning. Loaders read defaults from here
and the docs' configuration reference is checked against it, so the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAY = 24 * 3600


@dataclass(frozen=True)
class Key:
    default: Any
    doc: str
    #: A description of a default computed from other keys (the table shows it instead).
    derived: str | None = None


DEFAULTS: dict[str, Key] = {
    # -- secrets and token format
    "JWTAUTH_SECRET": Key(
        None, "Secret (or list: the first encrypts, all decrypt). Falls back to SECRET_KEY."
    ),
    "JWTAUTH_TOKEN_FORMAT": Key("jwe", "'jwe' (encrypted, as Auth.js) or 'jws' (signed)."),
    "JWTAUTH_JWE_ENCRYPTION": Key("A256GCM", "'A256GCM' or 'A256CBC-HS512' (Auth.js writes)."),
    "JWTAUTH_JWS_ALGORITHM": Key("HS256", "HS256, RS256, ES256 or EdDSA (JWS format only)."),
    "JWTAUTH_JWS_PRIVATE_KEY": Key(None, "PEM private key for an asymmetric JWS algorithm."),
    "JWTAUTH_JWS_PUBLIC_KEYS": Key((), "More PEM public keys that verify (rotation)."),
    # -- session lifetime
    "JWTAUTH_SESSION_MAX_AGE": Key(30 * DAY, "Idle lifetime of a session (seconds/timedelta)."),
    "JWTAUTH_SESSION_UPDATE_AGE": Key(
        DAY,
        "Re-issue the cookie at most once per this many seconds of activity; 0 = every "
        "request, None = never (static session).",
        derived="1 day, or None (static) when the session is shorter than a day",
    ),
    "JWTAUTH_JWT_MAX_AGE": Key(None, "The token's own exp.", derived="JWTAUTH_SESSION_MAX_AGE"),
    "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE": Key(
        None, "Hard cap from sign-in, whatever the activity; None = no cap."
    ),
    "JWTAUTH_LEEWAY": Key(0, "Clock tolerance when checking expiry (seconds)."),
    "JWTAUTH_EXPIRY_NOTICE": Key(
        DAY,
        "How long the sign-in page may say why a session ended: the notice left when a dead "
        "cookie comes back; 0 also leaves out the marker that tells the sign-in page a "
        "session the browser dropped at its end expired.",
    ),
    "JWTAUTH_MEMO_SIZE": Key(4096, "Verified tokens kept in memory (0 = decrypt every time)."),
    # -- cookies
    "JWTAUTH_COOKIE_NAME": Key("jwtauth.session-token", "Session cookie name (no prefix)."),
    "JWTAUTH_COOKIE_SECURE": Key(None, "True/False, or None: Secure when the request is HTTPS."),
    "JWTAUTH_COOKIE_DOMAIN": Key(None, "Domain attribute, e.g. '.example.com' for sub-domains."),
    "JWTAUTH_COOKIE_PATH": Key("/", "Path attribute."),
    "JWTAUTH_COOKIE_SAMESITE": Key("Lax", "Lax, Strict or None (None needs Secure)."),
    "JWTAUTH_COOKIE_CHUNK_SIZE": Key(3936, "Split larger tokens into name.0, name.1, ..."),
    # -- pages and routes
    "JWTAUTH_URL_PREFIX": Key("/auth", "Where the JSON endpoints live."),
    "JWTAUTH_URL": Key(
        None,
        "The app's canonical origin (NextAuth's NEXTAUTH_URL), e.g. 'https://app.example.com': "
        "absolute URLs the endpoints hand out use it instead of the Host header.",
    ),
    "JWTAUTH_MAX_BODY_SIZE": Key(
        64 * 1024, "Largest request body the auth endpoints read (bytes); larger is a 413."
    ),
    "JWTAUTH_SIGN_IN_URL": Key(
        None,
        "Sign-in page: a path, or an absolute URL of another app's page (a sibling "
        "sub-domain), which this app then does not serve.",
        derived="<prefix>/sign-in",
    ),
    "JWTAUTH_SIGN_OUT_URL": Key(None, "Sign-out page.", derived="<prefix>/sign-out"),
    "JWTAUTH_ERROR_URL": Key(None, "Error page.", derived="<prefix>/error"),
    "JWTAUTH_SIGN_IN_ENDPOINT": Key(None, "The app's own sign-in view (NextAuth pages.signIn)."),
    "JWTAUTH_SIGN_OUT_ENDPOINT": Key(None, "The app's own sign-out view."),
    "JWTAUTH_ERROR_ENDPOINT": Key(None, "The app's own error view."),
    # -- access rules
    "JWTAUTH_API_PATHS": Key(("/api/*",), "Paths answered with JSON 401/403, not redirects."),
    "JWTAUTH_PROTECT_ALL": Key(False, "Require a session on every route but public ones."),
    "JWTAUTH_PUBLIC_PATHS": Key(None, "Paths open to anyone in protect-all mode (globs/regex)."),
    "JWTAUTH_TRUSTED_ORIGINS": Key(
        (),
        "Other origins a callbackUrl may lead to (e.g. 'https://app.example.com', or "
        "'https://*.example.com' for every sub-domain); all others fall back to '/'.",
    ),
    # -- shared state: revocation, throttling
    "JWTAUTH_STORE_URL": Key(
        None,
        "memory://, sqlite:///path.db, redis://host:port/db, "
        "redis+sentinel://host:26379,host2:26379/service/db or "
        "redis+cluster://host:6379,host2:6379 (rediss+ for TLS). Revocation needs one; "
        "unset, it is sqlite:///<instance folder>/jwtauth.db when revocation is on.",
    ),
    "JWTAUTH_REVOCATION": Key(
        False,
        "Sessions can be ended early: sign-out revokes the session, and revoke_session() / "
        "revoke_user() / flask jwtauth revoke end others. Each process keeps the live "
        "revocations in memory, in step with the store: no store lookup per request.",
    ),
    "JWTAUTH_REVOCATION_SYNC": Key(
        0.5,
        "How often each process reads the store's new revocations (seconds): a revocation "
        "made on another instance is refused here within it. If the store cannot be read "
        "for twice as long, sessions are refused (503) unless JWTAUTH_STORE_FAIL_OPEN.",
    ),
    "JWTAUTH_STORE_PREFIX": Key(
        None,
        "What every store key starts with (revocations, throttle counts, refresh locks), so "
        "apps sharing a Redis keep apart; apps with the same prefix share. While "
        "JWTAUTH_SECRET lists older secrets, revocations are read under their default "
        "prefixes too, so a rotation loses none.",
        derived="'jwtauth:' + 12 hex digits derived from the first secret",
    ),
    "JWTAUTH_STORE_MEMORY_MAX_ENTRIES": Key(
        100_000,
        "Most entries an in-process memory store keeps (memory://, and the throttle's store "
        "when no URL is set): expired ones are swept, the oldest dropped when it is full.",
    ),
    "JWTAUTH_STORE_TIMEOUT": Key(0.5, "Longest a request waits for the store (seconds)."),
    "JWTAUTH_STORE_FAIL_OPEN": Key(
        False,
        "When the store is down: False refuses sessions it cannot check (API 503 with "
        "Retry-After, pages an error page); True lets them through with a warning.",
    ),
    "JWTAUTH_THROTTLE": Key(
        True,
        "Failed sign-ins are counted per account and address and answered 429 past the "
        "limits (5 per account and address, 50 per address, 100 per account, per window).",
    ),
    "JWTAUTH_THROTTLE_WINDOW": Key(15 * 60, "How long failed sign-ins are counted (seconds)."),
    "JWTAUTH_THROTTLE_IPV6_PREFIX": Key(
        64,
        "IPv6 clients are counted by network, this many leading bits (a home or a server "
        "gets a whole /64); IPv4 clients by address.",
    ),
    # -- sign in by email link (EmailProvider)
    "JWTAUTH_EMAIL_SERVER": Key(
        None,
        "The SMTP server that sends sign-in links: smtp://user:password@host:port, "
        "smtp+starttls://... (or ?starttls=true), smtps://... (implicit TLS); ?timeout=10 "
        "bounds each network step. Not needed with EmailProvider(send=...).",
    ),
    "JWTAUTH_EMAIL_FROM": Key(
        None,
        "The From address of sign-in emails.",
        derived="no-reply@<the host of JWTAUTH_URL>",
    ),
    "JWTAUTH_EMAIL_TOKEN_MAX_AGE": Key(
        DAY, "How long a sign-in link works (seconds/timedelta); each works once."
    ),
    "JWTAUTH_EMAIL_CONFIRM": Key(
        True,
        "A sign-in link lands on a page whose button signs in (a mail scanner fetching the "
        "link spends nothing); False signs in on the link's GET.",
    ),
    # -- upstream access tokens
    "JWTAUTH_REFRESH_MARGIN": Key(
        10,
        "Renew the upstream access token this many seconds before it expires, when a "
        "request first reads the session; keep it below the access token's lifetime.",
    ),
    "JWTAUTH_REFRESH_WAIT": Key(
        10,
        "Longest a request waits for a refresh another request (or process) is making "
        "with the same refresh token, before answering 503 (seconds).",
    ),
    "JWTAUTH_REFRESH_STASH": Key(
        120,
        "How long a refresh's result is kept (encrypted, in the store) for late requests "
        "that still carry the spent refresh token (seconds).",
    ),
    "JWTAUTH_REFRESH_BACKOFF_MAX": Key(
        60,
        "After the upstream fails to answer, refreshes wait 2, 4, 8... seconds, up to "
        "this (503 with Retry-After meanwhile; the session is kept).",
    ),
    "JWTAUTH_REFRESH_REUSE_GRACE": Key(
        0,
        "A refresh sent but never answered (a read timeout) may have spent the refresh "
        "token; a rotating upstream takes a second use for theft and revokes the family. "
        "So it is retried only within this many seconds of the first try: set it to the "
        "upstream's own reuse interval (Auth0, Okta, Keycloak offer one); with 0 the "
        "session ends instead (RefreshAccessTokenError).",
    ),
    # -- sharing with Auth.js
    "JWTAUTH_AUTHJS_COMPAT": Key(
        False,
        "Share sessions with an Auth.js app: its cookie name, A256CBC-HS512 and its 15-second "
        "clock tolerance become the defaults (see AUTHJS_DEFAULTS).",
    ),
    "JWTAUTH_AUTHJS_API_URL": Key(
        None,
        "Serve Auth.js's REST API (next-auth v4's routes and answers: /session, /csrf, "
        "/providers, /signin, /callback, /signout) at this path, e.g. '/api/auth', so the "
        "next-auth/react client works against this app unchanged.",
    ),
    "JWTAUTH_AUTHJS_VERSION": Key(
        4,
        "Which next-auth/react client JWTAUTH_AUTHJS_API_URL answers: 4 (next-auth v4) or 5 "
        "(Auth.js v5, next-auth@5 beta: null for no session, failures told with 200 and "
        "v5's error URLs). Its sign-in and sign-out posts are also recognised by their "
        "X-Auth-Return-Redirect header; its session reads are not, hence the setting.",
    ),
    "JWTAUTH_CONSUMER": Key(
        False,
        "Only read a session another app (a Next.js app on Auth.js) signs in and writes: no "
        "pages, no endpoints, no cookie writes, every denial a JSON 401.",
    ),
    "JWTAUTH_NEXTAUTH_V4_COOKIES": Key(
        False,
        "Migrating from NextAuth v4: a request without our cookie but with a valid "
        "next-auth.session-token (v4's A256GCM, same secret) is signed in, its session "
        "re-issued in the current format and the v4 cookie cleared. Read-only.",
    ),
    "JWTAUTH_DEBUG": Key(
        False,
        "Log one line per decision (no cookie, rejected and why, expired, revoked, rolled, "
        "refreshed, signed in, sign-in failed, CSRF failure, redirected or 401) at DEBUG on "
        "the flask_jwtauth logger, each with a stable code. Never secrets or tokens.",
    ),
    # -- theme
    "JWTAUTH_THEME_APP_NAME": Key(None, "Name shown on the built-in pages."),
    "JWTAUTH_THEME_BRAND_COLOR": Key("#346df1", "Button and accent colour."),
    "JWTAUTH_THEME_BUTTON_TEXT_COLOR": Key(
        None, "Text on brand-coloured buttons; None picks black or white for contrast."
    ),
    "JWTAUTH_THEME_LOGO_URL": Key(None, "Logo shown above the forms."),
}


def default(key: str) -> Any:
    return DEFAULTS[key].default


#: What ``JWTAUTH_AUTHJS_COMPAT`` sets, unless the app sets the key itself.
AUTHJS_DEFAULTS: dict[str, Any] = {
    "JWTAUTH_COOKIE_NAME": "authjs.session-token",
    "JWTAUTH_JWE_ENCRYPTION": "A256CBC-HS512",
    "JWTAUTH_LEEWAY": 15,
}
