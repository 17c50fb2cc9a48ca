"""The browser helper's route (issue 22, part 2): ``GET /auth/jwtauth.js``, its caching
headers, and the tag that loads it with a Subresource Integrity hash that matches the bytes."""

from __future__ import annotations

import base64
import configparser
import hashlib
import re
from pathlib import Path

from conftest import AppFactory
from flask import render_template_string
from support import PASSWORDS, FakeClock

from flask_jwtauth.actions.script import script, script_integrity

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "flask_jwtauth" / "static" / "jwtauth.js"
#: "A few KB unminified".
MAX_BYTES = 12 * 1024


def _sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def test_the_script_is_served_with_its_type_and_caching_headers(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    r = client.get("/auth/jwtauth.js")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.data == SCRIPT.read_bytes()
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in r.headers and "Vary" not in r.headers
    etag = r.headers["ETag"]
    again = client.get("/auth/jwtauth.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    pinned = client.get(f"/auth/jwtauth.js?v={script().version}")
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/auth/jwtauth.js?v=0123456789abcdef")
    assert stale.headers["Cache-Control"] == "public, max-age=300"
    assert client.head("/auth/jwtauth.js").status_code == 200


def test_the_integrity_hash_matches_the_bytes_served(make_app: AppFactory) -> None:
    app, _ = make_app()
    body = app.test_client().get("/auth/jwtauth.js").data
    assert script_integrity() == _sri(body)
    with app.test_request_context("/"):
        tag = render_template_string("{{ jwtauth_script_tag() }}")
        assert render_template_string("{{ jwtauth_script_integrity() }}") == _sri(body)
    assert f'integrity="{_sri(body)}"' in tag
    src = re.search(r'src="([^"]+)"', tag)
    assert src is not None and src.group(1) == f"/auth/jwtauth.js?v={script().version}"
    assert 'data-sign-in="/auth/sign-in"' in tag and 'data-base="/auth"' in tag
    assert 'data-on-end="redirect"' in tag and "data-expires" not in tag


def test_the_tag_carries_the_options_and_a_signed_in_pages_expiry(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app, _ = make_app(JWTAUTH_URL_PREFIX="/account", JWTAUTH_SESSION_MAX_AGE=60)

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            "{{ jwtauth_script_tag(on_end='event', refetch_interval=30, refetch_on_focus=False,"
            " nonce='n0nce') }}"
        )

    client = app.test_client()
    anonymous = client.get("/page").get_data(as_text=True)
    assert "data-expires" not in anonymous
    token = client.get("/account/csrf").get_json()["csrfToken"]
    signed = client.post(
        "/account/sign-in/credentials",
        json={"username": "ann", "password": PASSWORDS["ann"], "csrfToken": token},
    )
    assert signed.get_json()["ok"] is True
    signed_in = client.get("/page").get_data(as_text=True)
    assert 'src="/account/jwtauth.js?v=' in signed_in and 'data-base="/account"' in signed_in
    assert 'data-on-end="event"' in signed_in and 'data-refetch-interval="30"' in signed_in
    assert 'data-refetch-on-focus="false"' in signed_in and 'nonce="n0nce"' in signed_in
    expires = re.search(r'data-expires="([^"]+)"', signed_in)
    session = client.get("/account/session").get_json()
    assert expires is not None and expires.group(1) == session["expires"]
    assert f'data-now="{int(clock() * 1000)}"' in signed_in
    assert client.get("/account/jwtauth.js").status_code == 200


def test_the_script_is_package_data_and_small() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "static/*.js" in config["options.package_data"]["flask_jwtauth"].split()
    assert len(SCRIPT.read_bytes()) <= MAX_BYTES
