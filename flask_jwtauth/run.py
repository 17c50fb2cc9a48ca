"""One way to call the app's own code, whether it is ``def`` or ``async def``.

The callbacks (jwt, session, sign_in, redirect, unauthorized, forbidden), a credentials
provider's ``authorize()`` and ``refresh()`` hooks and an OAuth provider's ``profile()`` hook
may each be ``async def``. Each is called through :func:`run_sync`, which hands a coroutine
function to the app's ``ensure_sync``: the way Flask runs an async view (asgiref's
``async_to_sync``, or whatever the app put in place by overriding ``ensure_sync``).

Guarded async views are not called here: a guard's wrapper of an ``async def`` view stays
``async def``, and Flask runs it as it runs any async view.

asgiref (what Flask's own ``async`` extra installs) is this package's ``async`` extra,
``pip install "flask-jwtauth[async]"``, not a plain dependency: most apps write no async hook,
and Flask makes the same choice for async views. An app that registers an ``async def`` hook
without it is told when it registers it, at start-up, with the command that fixes it, rather
than by the first request that needs it.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context

from .errors import ErrorCode, JWTAuthError

#: What to do about it, in every message.
FIX = 'install the "async" extra: pip install "flask-jwtauth[async]" (it adds asgiref)'


class AsyncSupportMissing(JWTAuthError, RuntimeError):
    """An ``async def`` hook, and asgiref is not installed to run it."""

    error = ErrorCode.CONFIGURATION


def is_async(func: object) -> bool:
    """The test Flask's ``ensure_sync`` makes."""
    return inspect.iscoroutinefunction(func)


@functools.cache
def _asgiref_installed() -> bool:
    return importlib.util.find_spec("asgiref") is not None


def check_async(func: object, what: str) -> None:
    """At registration: ``func`` (called ``what`` in the message) can be run."""
    if is_async(func) and not _asgiref_installed():
        raise AsyncSupportMissing(f"{what} is async def, and running it needs asgiref: {FIX}")


def run_sync(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` itself when it is plain ``def``; else a plain function running it to the end
    through the app's ``ensure_sync`` (asgiref's ``async_to_sync`` outside an app context)."""
    if not is_async(func):
        return func
    if not _asgiref_installed():
        name = getattr(func, "__qualname__", repr(func))
        raise AsyncSupportMissing(f"{name}() is async def, and running it needs asgiref: {FIX}")
    if has_app_context():
        return current_app.ensure_sync(func)
    from asgiref.sync import async_to_sync

    return async_to_sync(func)
