"""Template helpers shared by the example's pages: filters for times, and page globals."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

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


#: A JSON string, with its quotes (escapes included).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
#: Strings up to this long never break inside (dates, ids, e-mail addresses): on a phone
#: the line breaks before them instead; longer ones (tokens) wrap where they must.
SHORT_STRING = 40


def json_html(value: Any) -> Markup:
    """``value`` as indented JSON for a ``<pre>``, each string in a span that keeps a short
    one on one line (``.json-short``)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    out: list[str] = []
    last = 0
    for match in _JSON_STRING.finditer(text):
        out.append(_text(text[last : match.start()]))
        found = match.group(0)
        kind = "json-short" if len(found) <= SHORT_STRING else "json-long"
        out.append(f'<span class="{kind}">{_text(found)}</span>')
        last = match.end()
    out.append(_text(text[last:]))
    return Markup("".join(out))


def _text(raw: str) -> str:
    """Escaped for an element's content, where a double quote needs no escaping."""
    return str(escape(raw)).replace("&#34;", '"')


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
    app.add_template_filter(json_html)
    app.context_processor(_globals)
