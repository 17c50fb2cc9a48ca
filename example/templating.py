"""Template helpers shared by the example's pages: filters for times, and page globals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from flask import Flask

from .db import DEMO_USERS
from .state import example_state


def clock_time(timestamp: float) -> str:
    """``12:04:05 UTC``: seconds matter in the short scenarios."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    """``45 s``, ``15 min``, ``30 d``: the scenarios span seconds to a month."""
    whole = round(seconds)
    if abs(whole) < 120:
        return f"{whole} s"
    units = (("d", 86400), ("h", 3600), ("min", 60))
    unit, size = next((unit, size) for unit, size in units if abs(whole) >= size)
    return f"{whole / size:.3g} {unit}"


def display_name(user: Mapping[str, Any]) -> str:
    """Who is signed in, in words: the name, else the email, the username, the id. A
    provider account may have no name (the demo provider's typed user names have none)."""
    for key in ("name", "email", "username", "id"):
        value = user.get(key)
        if value:
            return str(value)
    return "someone"


def _globals() -> dict[str, Any]:
    state = example_state()
    return {
        "demo_users": DEMO_USERS,
        "scenario": state.scenario,
        "session_max_age": state.session_max_age,
        "session_update_age": state.session_update_age,
        "now": state.clock(),
    }


def init_templating(app: Flask) -> None:
    app.add_template_filter(clock_time)
    app.add_template_filter(duration)
    app.add_template_filter(display_name)
    app.context_processor(_globals)
