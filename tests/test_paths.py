"""Path rules: glob semantics, and no pattern a hostile path can make slow."""

from __future__ import annotations

import time

import pytest
from conftest import AppFactory
from flask import Flask

from flask_jwtauth import ConfigurationError, public


def protected_app(make_app: AppFactory, patterns: list[str]) -> Flask:
    app, _ = make_app(JWTAUTH_PROTECT_ALL=True, JWTAUTH_PUBLIC_PATHS=patterns)

    @app.get("/<path:anything>")
    def anything(anything: str) -> str:
        return "open"

    return app


@pytest.mark.parametrize(
    ("pattern", "path", "open_"),
    [
        ("/assets/*.css", "/assets/site.css", True),
        ("/assets/*.css", "/assets/a/site.css", False),  # * stays within a segment
        ("/assets/**", "/assets/a/b/site.css", True),
        ("/docs/**/print", "/docs/print", True),
        ("/docs/**/print", "/docs/a/b/print", True),
        ("/docs/**/print", "/docs/a/b/printer", False),
        ("/api/*", "/api", True),  # a trailing /* covers the prefix and all below
        ("/api/*", "/api/v1/me", True),
        ("/api/*", "/apix", False),
        ("/*a*b*c", "/xaybzc", True),
        ("/*a*b*c", "/xaybz", False),
    ],
)
def test_glob_semantics(make_app: AppFactory, pattern: str, path: str, open_: bool) -> None:
    client = protected_app(make_app, [pattern]).test_client()
    response = client.get(path, headers={"Accept": "text/html"})
    assert (response.status_code == 200) is open_, (pattern, path, response.status_code)


@pytest.mark.parametrize(
    "pattern", ["/*a*a*a*a*a*a*b", "/**/*a*a*a*b/x", "/x/*/*/*/*/*/*/*/*/y"]
)
def test_hostile_paths_cost_under_a_millisecond(make_app: AppFactory, pattern: str) -> None:
    """Several stars against a 4 KB path of near-misses: the old single regex backtracked
    for seconds; segment matching with atomic stars stays linear."""
    app = protected_app(make_app, [pattern])
    from flask_jwtauth.config import compile_paths

    rules = compile_paths([pattern], "JWTAUTH_PUBLIC_PATHS")
    assert rules is not None
    hostile = ["/" + "a" * 2000, "/" + "a/" * 1000 + "b", "/x" + "/a" * 1020 + "/z"]
    for path in hostile:
        started = time.perf_counter()
        for _ in range(10):
            rules.match(path)
        assert (time.perf_counter() - started) / 10 < 0.001, path[:40]
    client = app.test_client()
    started = time.perf_counter()
    assert client.get(hostile[0]).status_code == 302
    assert time.perf_counter() - started < 0.05


def test_overlong_paths_match_no_rule(make_app: AppFactory) -> None:
    client = protected_app(make_app, ["/**"]).test_client()
    assert client.get("/ok").status_code == 200
    assert client.get("/" + "a" * 3000).status_code == 302  # not public: protected


@pytest.mark.parametrize("pattern", ["/a/**/b/**", "/a**", "/**x/y"])
def test_bad_globs_fail_at_start_up(make_app: AppFactory, pattern: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(JWTAUTH_PUBLIC_PATHS=[pattern])
    assert caught.value.key == "JWTAUTH_PUBLIC_PATHS"
    assert "**" in str(caught.value)


def test_public_decorator_still_wins(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_PROTECT_ALL=True)

    @app.get("/open")
    @public
    def open_view() -> str:
        return "open"

    assert app.test_client().get("/open").status_code == 200
