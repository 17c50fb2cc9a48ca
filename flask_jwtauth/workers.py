"""Several worker processes on one machine, out of the box.

A refresh is single-flight through the configured store. Without one it is single-flight
within a process only, which is right for one process and wrong for ``gunicorn -w 4``: four
workers spend one refresh token four times, a rotating upstream takes the second spend for
theft and revokes the family, and the session ends. So when no store is configured and a
provider can refresh, the first request tells us whether the server runs several processes
(WSGI's own ``wsgi.multiprocess``); if so, refreshes go through an SQLite file in the
instance folder from then on, as revocation does by default. Several machines still need
``JWTAUTH_STORE_URL`` (Redis): the log says so.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, request

from . import log
from .clock import Clock
from .config import Settings
from .refresh import Refresher
from .stores import Store, StoreUnavailable, default_prefix, open_store


def share_refreshes_across_workers(
    app: Flask, refresher: Refresher, settings: Settings, clock: Clock
) -> None:
    """A one-shot hook: looks at the first request of each process, then takes itself out
    (no cost on later requests)."""
    lock = threading.Lock()

    def first_request() -> None:
        with lock:
            if request.environ.get("wsgi.multiprocess") and refresher.store is None:
                refresher.store = _machine_store(app, settings, clock)
            # A new list: Flask is iterating the current one right now.
            app.before_request_funcs[None] = [
                f for f in app.before_request_funcs.get(None, []) if f is not first_request
            ]

    app.before_request_funcs.setdefault(None, []).append(first_request)


def _machine_store(app: Flask, settings: Settings, clock: Clock) -> Store | None:
    path = os.path.join(app.instance_path, "jwtauth.db")
    try:
        os.makedirs(app.instance_path, exist_ok=True)
        store = open_store(
            f"sqlite:///{path}",
            timeout=settings.store.timeout,
            clock=clock,
            prefix=settings.store.prefix or default_prefix(settings.secrets[0]),
        )
    except (OSError, ValueError, StoreUnavailable) as exc:
        log.event(
            "CONFIG_WARNING",
            "several worker processes and no JWTAUTH_STORE_URL: refreshes are single-flight "
            "per process only, so a rotating upstream may see a refresh token reused",
            reason=str(exc),
        )
        return None
    log.event(
        "REFRESH_SHARED",
        "several worker processes: refreshes are single-flight through the instance "
        "folder's SQLite file (set JWTAUTH_STORE_URL to share them across machines)",
        path=path,
    )
    return store
