"""Fuzzing every auth endpoint with Hypothesis: whatever arrives (cookie bytes, header values,
callbackUrls, form fields, JSON bodies), the answer is one of the documented ones, never a
5xx, and comes quickly."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import COOKIE

FUZZ = settings(
    max_examples=150,
    deadline=None,  # timed below, per request, with a bound of our own
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
LIMIT = 0.25  # seconds per request, generous for a loaded 2-core machine
POSTS = [
    "/auth/sign-in/credentials",
    "/auth/sign-out",
    "/auth/session",
    "/auth/callback/credentials",
]
GETS = ["/auth/sign-in", "/auth/sign-out", "/auth/error", "/auth/session", "/auth/csrf",
        "/auth/providers", "/api/me", "/dashboard", "/"]  # fmt: skip
ANSWERS = {200, 302, 400, 401, 403, 404, 405, 413, 429}

header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def app() -> Flask:  # type: ignore[override]
    from support import SECRET, FakeClock, authorize

    from flask_jwtauth import CredentialsProvider, JWTAuth, current_session, login_required

    app = Flask(__name__)
    app.config.update(TESTING=True, JWTAUTH_SECRET=SECRET, JWTAUTH_THROTTLE=False)
    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)], clock=FakeClock())
    app.add_url_rule("/", "home", lambda: "home")
    app.add_url_rule("/dashboard", "dashboard", login_required(lambda: "dash"))
    app.add_url_rule("/api/me", "me", login_required(lambda: dict(current_session)))
    return app


def _timed(call: Any) -> Any:
    started = time.perf_counter()
    response = call()
    assert time.perf_counter() - started < LIMIT
    assert response.status_code in ANSWERS, response.status_code
    return response


@FUZZ
@given(cookie=header_text, path=st.sampled_from(GETS))
def test_any_cookie_value(app: Flask, cookie: str, path: str) -> None:
    client = app.test_client()
    _timed(lambda: client.get(path, headers={"Cookie": f"{COOKIE}={cookie}"}))
    _timed(lambda: client.get(path, headers={"Cookie": cookie}))


@FUZZ
@given(
    accept=header_text,
    csrf=header_text,
    content_type=header_text,
    path=st.sampled_from(POSTS),
)
def test_any_header_values(
    app: Flask, accept: str, csrf: str, content_type: str, path: str
) -> None:
    client = app.test_client()
    headers = {"Accept": accept, "X-CSRFToken": csrf, "Content-Type": content_type}
    _timed(lambda: client.post(path, data=b"username=a&password=b", headers=headers))


@FUZZ
@given(url=st.text(max_size=300), path=st.sampled_from(["/auth/sign-in", "/auth/sign-out"]))
def test_any_callback_url(app: Flask, url: str, path: str) -> None:
    client = app.test_client()
    response = _timed(lambda: client.get(path, query_string={"callbackUrl": url}))
    assert response.status_code == 200


@FUZZ
@given(fields=st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=8),
       path=st.sampled_from(POSTS))  # fmt: skip
def test_any_form_fields(app: Flask, fields: dict[str, str], path: str) -> None:
    client = app.test_client()
    _timed(lambda: client.post(path, data=fields))


@FUZZ
@given(body=values, path=st.sampled_from(POSTS))
def test_any_json_body(app: Flask, body: Any, path: str) -> None:
    client = app.test_client()
    raw = json.dumps(body, allow_nan=True)
    _timed(lambda: client.post(path, data=raw, content_type="application/json"))


@FUZZ
@given(raw=st.binary(max_size=500), path=st.sampled_from(POSTS))
def test_any_raw_body(app: Flask, raw: bytes, path: str) -> None:
    client = app.test_client()
    _timed(lambda: client.post(path, data=raw, content_type="application/json"))
    _timed(lambda: client.post(path, data=raw, content_type="application/x-www-form-urlencoded"))


def test_the_fuzzed_app_still_signs_in(app: Flask) -> None:
    """The fuzzing fixture is a working app (not one that refuses everything)."""
    from support import sign_in

    client = app.test_client()
    sign_in(client)
    assert client.get("/api/me").status_code == 200
