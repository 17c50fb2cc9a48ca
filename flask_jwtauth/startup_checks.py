"""Start-up warnings users meet early, each naming the keys to change.

``JWTAuth.init_app`` logs what it can see then (the configuration), and the rest (the app's
views) once, on the first request; ``flask jwtauth check`` runs them all and fails a
deployment pipeline when any fires. A secret that is too short is not a warning but an error
at start-up (``ConfigurationError``), as is every invalid value.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask

from . import log
from .config import Settings
from .providers.base import Provider

#: Set by ``login_required`` on the views it guards.
GUARDED_ATTR = "_jwtauth_guarded"


def config_warnings(
    app: Flask, settings: Settings, providers: Iterable[Provider] = ()
) -> list[str]:
    """What the configuration (and the providers) say."""
    found: list[str] = []
    cookies, session = settings.cookies, settings.session
    if cookies.secure is False and not app.debug and not app.testing:
        found.append(
            "JWTAUTH_COOKIE_SECURE = False while DEBUG is off: session cookies would travel "
            "over plain HTTP; leave it unset (Secure exactly on HTTPS) or True"
        )
    if session.max_age > session.jwt_max_age:
        found.append(
            f"JWTAUTH_SESSION_MAX_AGE ({session.max_age}s) is longer than JWTAUTH_JWT_MAX_AGE "
            f"({session.jwt_max_age}s): an idle session ends when its token does, earlier "
            "than the session max age says"
        )
    found.extend(_uncovered_hosts(app, settings))
    if settings.token.format == "jws" and any(_hands_over_tokens(p) for p in providers):
        found.append(
            "JWTAUTH_TOKEN_FORMAT = 'jws': session tokens are signed, not encrypted, so "
            "upstream access and refresh tokens are not kept in them (they would be readable "
            "in the cookie) and are never refreshed; use 'jwe' to keep them"
        )
    if app.config.get("WTF_CSRF_ENABLED") is False:
        found.append(
            "WTF_CSRF_ENABLED = False turns off Flask-WTF's checks on the app's own forms "
            "only: flask_jwtauth's sign-in, sign-out and session update keep theirs"
        )
    return found


def _uncovered_hosts(app: Flask, settings: Settings) -> list[str]:
    """A cookie domain that misses the hosts the configuration names (``SERVER_NAME``,
    ``JWTAUTH_URL``): every sign-in would silently lead back to the sign-in page. Hosts
    only requests show are checked by :class:`HostCheck` and, in debug mode, said on the
    sign-in page."""
    domain = settings.cookies.domain
    if not domain:
        return []
    found = []
    named: list[tuple[str, str]] = []
    server_name = app.config.get("SERVER_NAME")
    if isinstance(server_name, str) and server_name:
        named.append(("SERVER_NAME", server_name.split(":", 1)[0]))
    canonical = settings.pages.canonical_url
    if canonical:
        named.append(("JWTAUTH_URL", urlsplit(canonical).hostname or ""))
    for key, host in named:
        if host and not covers(domain, host):
            found.append(
                f"JWTAUTH_COOKIE_DOMAIN ({domain}) does not cover {key} ({host}): browsers "
                "will refuse the session cookie, and signing in leads back to the sign-in page"
            )
    return found


def uncovered_host_notice(domain: str | None, host: str) -> str | None:
    """For the sign-in page in debug mode: why signing in keeps coming back here."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not domain or covers(domain, name):
        return None
    return (
        f"JWTAUTH_COOKIE_DOMAIN ({domain}) does not cover this host ({name}): the browser "
        "refuses the session cookie, so signing in leads back here. Open the app at a host "
        "under that domain, or change JWTAUTH_COOKIE_DOMAIN. (Shown in debug mode only.)"
    )


def view_warnings(app: Flask, settings: Settings) -> list[str]:
    """What the app's views say: pages shadowed, or guarded into a redirect loop."""
    found: list[str] = []
    pages = settings.pages
    taken = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    for key, url, own in (
        ("JWTAUTH_SIGN_IN_URL", pages.sign_in_url, pages.sign_in_endpoint),
        ("JWTAUTH_SIGN_OUT_URL", pages.sign_out_url, pages.sign_out_endpoint),
        ("JWTAUTH_ERROR_URL", pages.error_url, pages.error_endpoint),
    ):
        endpoint = taken.get(url)
        if own is None and endpoint is not None and not endpoint.startswith("jwtauth."):
            found.append(
                f"{key} = {url!r} is already the URL of the app's view {endpoint!r}, which "
                "shadows the built-in page; set the matching *_ENDPOINT to use that view "
                "instead"
            )
    sign_in = pages.sign_in_endpoint or taken.get(pages.sign_in_url)
    view = app.view_functions.get(sign_in) if sign_in else None
    if view is not None and getattr(view, GUARDED_ATTR, False):
        key = "JWTAUTH_SIGN_IN_ENDPOINT" if pages.sign_in_endpoint else "JWTAUTH_SIGN_IN_URL"
        found.append(
            f"the sign-in page ({key}: view {sign_in!r}) is behind login_required: "
            "visitors would be sent to sign in to see the sign-in page, in a loop"
        )
    found.extend(_api_outside_api_paths(app, settings))
    return found


def _api_outside_api_paths(app: Flask, settings: Settings) -> list[str]:
    """Guarded views under an ``api`` path segment that ``JWTAUTH_API_PATHS`` misses (a
    blueprint under ``url_prefix="/app"``): a client that sends neither ``Accept: application/
    json`` nor the browser's ``Sec-Fetch-*`` headers would get a redirect to an HTML page."""
    if settings.consumer:
        return []  # every denial is JSON already
    protect_all = settings.access.protect_all
    missed: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("jwtauth.") or rule.endpoint == "static":
            continue
        view = app.view_functions.get(rule.endpoint)
        if not (protect_all or getattr(view, GUARDED_ATTR, False)):
            continue
        segments = rule.rule.split("/")
        if "api" not in segments:
            continue
        prefix = "/".join(segments[: segments.index("api") + 1])
        path = "/".join("x" if s.startswith("<") else s for s in segments)
        if not settings.access.api_paths.match(path):
            missed.setdefault(prefix + "/*", rule.rule)
    if not missed:
        return []
    listed = ", ".join(f"{rule!r}" for rule in list(missed.values())[:5])
    patterns = ", ".join(f"{pattern!r}" for pattern in missed)
    return [
        f"views that look like APIs ({listed}) are outside JWTAUTH_API_PATHS: a browser's "
        "fetch() gets JSON 401, but a client sending neither Accept: application/json nor "
        f"Sec-Fetch-* headers is redirected to the sign-in page; add {patterns} to "
        "JWTAUTH_API_PATHS"
    ]


def all_warnings(app: Flask, settings: Settings, providers: Iterable[Provider] = ()) -> list[str]:
    return config_warnings(app, settings, providers) + view_warnings(app, settings)


def _hands_over_tokens(provider: Provider) -> bool:
    """OAuth accounts carry tokens; a credentials provider does when it can refresh them."""
    return provider.type in ("oauth", "oidc") or getattr(provider, "refresh_hook", None) is not None


def covers(domain: str, host: str) -> bool:
    """Does a cookie for ``domain`` reach ``host``?"""
    domain = domain.lstrip(".").lower()
    host = host.lower()
    return host == domain or host.endswith(f".{domain}")


def report(messages: list[str]) -> None:
    for message in messages:
        log.event("CONFIG_WARNING", message)


def views_now_and_on_first_request(app: Flask, settings: Settings) -> None:
    """The view checks need the app's routes: those registered before ``JWTAuth`` are
    checked now, the rest on the first request, by a hook that then takes itself out."""
    said = set(view_warnings(app, settings))
    report(sorted(said))

    def check_views() -> None:
        hooks = app.before_request_funcs.get(None, [])
        if check_views in hooks:
            # A new list: Flask is iterating over the old one right now.
            app.before_request_funcs[None] = [h for h in hooks if h is not check_views]
            report([m for m in view_warnings(app, settings) if m not in said])

    app.before_request_funcs.setdefault(None, []).append(check_views)


class HostCheck:
    """A request host the cookie domain does not cover: logged once per host, only when a
    cookie is written (never on the hot path), a bounded number of hosts."""

    def __init__(self, domain: str | None) -> None:
        self.domain = domain
        self.seen: set[str] = set()

    def __call__(self, host: str) -> None:
        if self.domain is None or host in self.seen or len(self.seen) >= 64:
            return
        self.seen.add(host)
        name = host.split(":", 1)[0]
        if not covers(self.domain, name):
            log.event(
                "CONFIG_WARNING",
                f"JWTAUTH_COOKIE_DOMAIN ({self.domain}) does not cover this request's host "
                f"({name}): the browser will refuse the session cookie",
            )
