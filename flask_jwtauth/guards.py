"""Who may see a view: ``login_required``, ``public``, and the protect-everything mode.

An API request (path in ``JWTAUTH_API_PATHS``, a client that prefers JSON, or a script's
fetch/XHR by its ``Sec-Fetch-*`` or ``X-Requested-With`` headers) is answered
with JSON 401/403; a page is redirected to sign-in with its own path as ``callbackUrl``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from flask import Response, current_app, request

from . import answers, log
from .errors import SESSION_ENDED, ErrorCode
from .headers import vary_accept
from .paths import opens
from .session.state import RequestState, request_state
from .startup_checks import GUARDED_ATTR
from .state import ext

F = TypeVar("F", bound=Callable[..., Any])
Predicate = Callable[[Any], bool]

PUBLIC_ATTR = "_jwtauth_public"


def public(view: F) -> F:
    """Mark a view as open to anyone, also when ``JWTAUTH_PROTECT_ALL`` is on."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def wants_json() -> bool:
    """The guards' form of the one rule (:func:`answers.wants_json`): the path counts too."""
    return answers.wants_json(by_path=True)


def deny(status: int, code: str) -> Response:
    """The 401/403/503 answer for this request, as JSON or as a page; or what the app's own
    ``unauthorized_handler``/``forbidden_handler`` answers."""
    api = wants_json()
    state = request_state()
    retry = state.retry_after if state is not None else None
    answer = answers.denied(status, code, api=api, retry_after=retry)
    log.event(
        "ACCESS_DENIED",
        "JSON answer" if api or status != 401 else "redirected to sign-in",
        status=status,
        error=answer.code,
        path=request.path,
    )
    if state is not None and answer.code in SESSION_ENDED and not api:
        # A page says why (the sign-in page it leads to); an API's JSON does not, so the
        # notice is kept for the next page.
        state.notice_shown = True
    callbacks = ext().callbacks
    handler = {401: callbacks.unauthorized, 403: callbacks.forbidden}.get(status)
    # The app's own answer; None keeps ours (seed 000: JSON of its own, pages redirected).
    custom = handler(error=answer.code, api=api) if handler is not None else None
    instead = current_app.make_response(custom) if custom is not None else None
    # JSON or a page was decided from these request headers too.
    return vary_accept(answers.render(answer, instead), *answers.REQUEST_KIND_HEADERS[1:])


def _roles_of(token: dict[str, Any]) -> set[str]:
    roles = token.get("roles", token.get("role"))
    if isinstance(roles, str):
        return {roles}
    if isinstance(roles, (list, tuple)):
        return {r for r in roles if isinstance(r, str)}
    return set()


def check(
    roles: frozenset[str] | None = None, predicate: Predicate | None = None
) -> Response | None:
    """None when the current request may go on, else the response that stops it.

    Every method is guarded, OPTIONS included: Flask answers the automatic OPTIONS of a
    route without calling its view, so a view that sees OPTIONS handles it itself.
    """
    state: RequestState | None = request_state()
    if state is None or not state.engine.signed_in(state):
        error = state.error if state is not None else None
        if error is None and state is not None and state.notice and not wants_json():
            error = state.notice  # a page says why the last session ended
        error = error or ErrorCode.SESSION_REQUIRED
        return deny(503 if error == ErrorCode.SERVICE_UNAVAILABLE else 401, error)
    assert state.token is not None
    state.accessed = True
    if roles and not roles & _roles_of(state.token):
        return deny(403, ErrorCode.ACCESS_DENIED)
    if predicate is not None:
        from .proxies import current_user_value

        if not predicate(current_user_value()):
            return deny(403, ErrorCode.ACCESS_DENIED)
    return None


def _guard(view: F, roles: frozenset[str] | None, predicate: Predicate | None) -> F:
    guarded = _wrap(view, roles, predicate)
    setattr(guarded, GUARDED_ATTR, True)  # the start-up checks look for it
    return guarded


def _wrap(view: F, roles: frozenset[str] | None, predicate: Predicate | None) -> F:
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            denied = check(roles, predicate)
            if denied is not None:
                return denied
            return await view(*args, **kwargs)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        denied = check(roles, predicate)
        if denied is not None:
            return denied
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@overload
def login_required(view: F) -> F: ...


@overload
def login_required(
    view: None = None,
    *,
    roles: Iterable[str] | str | None = None,
    predicate: Predicate | None = None,
) -> Callable[[F], F]: ...


def login_required(
    view: F | None = None,
    *,
    roles: Iterable[str] | str | None = None,
    predicate: Predicate | None = None,
) -> F | Callable[[F], F]:
    """Require a session; with ``roles`` (any of) or a ``predicate(user)``, also permission.

    Bare ``@login_required`` or ``@login_required(roles=["admin"])``. Not signed in: 401 JSON
    or a redirect to sign-in; signed in but not allowed: 403.
    """
    role_set = frozenset([roles] if isinstance(roles, str) else roles) if roles else None
    if view is not None:
        return _guard(view, role_set, predicate)

    def decorator(func: F) -> F:
        return _guard(func, role_set, predicate)

    return decorator


def protect_all() -> Response | None:
    """The protect-everything mode's check, run after the session is loaded."""
    endpoint = request.endpoint
    rule = request.url_rule
    if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
        return None  # Flask's own answer (a CORS preflight); no view runs
    settings = ext().settings
    access = settings.access
    if endpoint is None:
        # No such route (404/405). Next.js middleware runs before routing: an anonymous
        # visitor gets the same answer for a path that does not exist as for one that does,
        # so protect-all mode does not reveal which routes exist.
        if opens(access.public_paths, access.api_paths, request.path):
            return None
        return check()
    if (
        endpoint == "static"
        or endpoint.endswith(".static")  # a blueprint's static files
        or endpoint.startswith("jwtauth.")
    ):
        return None
    if opens(access.public_paths, access.api_paths, request.path):
        return None  # an API path only when the public rule names it, not by a catch-all
    pages = settings.pages
    if request.path in (pages.sign_in_url, pages.sign_out_url, pages.error_url):
        return None  # by path too: an app view shadowing our page must not loop
    view = current_app.view_functions.get(endpoint)
    if view is None or getattr(view, PUBLIC_ATTR, False):
        return None
    if endpoint in (settings.pages.sign_in_endpoint, settings.pages.sign_out_endpoint):
        return None
    return check()
