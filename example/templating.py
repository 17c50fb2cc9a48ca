"""Template plumbing: reach the package's own templates under an alias, and shared helpers.

An app template at ``jwtauth/sign_in.html`` shadows the package's file of the same name, so
it cannot ``{% extends "jwtauth/sign_in.html" %}`` (that would extend itself). The package's
files are therefore also served as ``jwtauth-package/<name>``, and the override extends
``jwtauth-package/sign_in.html`` and replaces only the blocks it needs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from .db import DEMO_USERS
from .state import example_state

PACKAGE_ALIAS = "jwtauth-package"


def install_loader(app: Flask) -> None:
    """The app's templates first, then the package's under :data:`PACKAGE_ALIAS`."""
    loaders: list[BaseLoader] = [
        PrefixLoader({PACKAGE_ALIAS: PackageLoader("flask_jwtauth", "templates/jwtauth")})
    ]
    if app.template_folder:
        loaders.insert(0, FileSystemLoader(f"{app.root_path}/{app.template_folder}"))
    app.jinja_loader = ChoiceLoader(loaders)


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
    install_loader(app)
    app.add_template_filter(clock_time)
    app.add_template_filter(duration)
    app.context_processor(_globals)
