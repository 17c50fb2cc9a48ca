"""Template plumbing: the package's pages stay reachable whatever an app overrides.

An app replaces a page by putting its own ``jwtauth/sign_in.html`` in its templates folder.
To change only a block of it, that file extends the package's original, reachable as
``jwtauth/default/sign_in.html`` (or, equivalently, under its own name: a template that
extends the very ``jwtauth/`` name it shadows gets the package's original).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property

from flask import Blueprint, Flask
from flask.sansio.blueprints import BlueprintSetupState
from jinja2 import BaseLoader, Environment, FileSystemLoader

#: The package's own templates stay reachable under this prefix, whatever the app overrides:
#: an app's ``jwtauth/sign_in.html`` may ``{% extends "jwtauth/default/sign_in.html" %}``
#: (or, equivalently, extend its own name ``"jwtauth/sign_in.html"``) and replace one block.
DEFAULT_TEMPLATES = "jwtauth/default/"
_TEMPLATES = "jwtauth/"


class _PackageTemplates(FileSystemLoader):
    """The package's templates, also under ``jwtauth/default/`` (never shadowed by the app)."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if template.startswith(DEFAULT_TEMPLATES):
            template = _TEMPLATES + template[len(DEFAULT_TEMPLATES) :]
        return super().get_source(environment, template)


class AuthBlueprint(Blueprint):
    """A blueprint whose template loader also answers ``jwtauth/default/*``."""

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        return _PackageTemplates(os.path.join(self.root_path, "templates"))


def _join_path(previous: Callable[[str, str], str]) -> Callable[[str, str], str]:
    """A template that extends its own ``jwtauth/`` name gets the package's original.

    Without this, an app's ``jwtauth/sign_in.html`` saying ``{% extends
    "jwtauth/sign_in.html" %}`` would extend itself forever; with it, it overrides blocks of
    the page it replaces, like Django's "extends the template it shadows".
    """

    def join_path(template: str, parent: str) -> str:
        if (
            template == parent
            and template.startswith(_TEMPLATES)
            and not template.startswith(DEFAULT_TEMPLATES)
        ):
            return DEFAULT_TEMPLATES + template[len(_TEMPLATES) :]
        return previous(template, parent)

    return join_path


def _install_join_path(env: Environment) -> None:
    if not getattr(env, "_jwtauth_join_path", False):
        setattr(env, "join_path", _join_path(env.join_path))  # noqa: B010
        setattr(env, "_jwtauth_join_path", True)  # noqa: B010


def setup_templates(state: BlueprintSetupState) -> None:
    """Hook self-extension into the app's Jinja environment, without creating it early."""
    app = state.app
    assert isinstance(app, Flask)
    if "jinja_env" in app.__dict__:
        _install_join_path(app.jinja_env)
        return
    create = app.create_jinja_environment

    def create_jinja_environment() -> Environment:
        env = create()
        _install_join_path(env)
        return env

    setattr(app, "create_jinja_environment", create_jinja_environment)  # noqa: B010
