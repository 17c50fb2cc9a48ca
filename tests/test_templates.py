"""The pages' templates: overriding from the app, theme settings, accessibility, escaping."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from conftest import SECRET, AppFactory, FakeClock, authorize, csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from support import landed_on_sign_in

from flask_jwtauth import CredentialsProvider, JWTAuth

TEMPLATES = ("base.html", "sign_in.html", "sign_out.html", "error.html")


def app_with_templates(tmp_path: Path, clock: FakeClock, files: dict[str, str]) -> Flask:
    """An app whose own templates folder holds ``files`` (path -> source)."""
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    app = Flask(__name__, template_folder=str(tmp_path))
    app.config.update(TESTING=True, JWTAUTH_SECRET=SECRET)
    JWTAuth(app, providers=[CredentialsProvider(authorize)], clock=clock)
    return app


def pages(client: FlaskClient) -> dict[str, str]:
    return {
        "sign_in": client.get("/auth/sign-in").get_data(as_text=True),
        "sign_out": client.get("/auth/sign-out").get_data(as_text=True),
        "error": client.get("/auth/error?error=AccessDenied").get_data(as_text=True),
    }


# -- overriding ------------------------------------------------------------------------------


def test_app_replaces_the_whole_sign_in_page(tmp_path: Path, clock: FakeClock) -> None:
    app = app_with_templates(
        tmp_path,
        clock,
        {
            "jwtauth/sign_in.html": (
                "<h1>ACME LOGIN</h1>{% for p in providers %}"
                '<form method="post" action="{{ p.action }}">'
                '<input type="hidden" name="csrf_token" value="{{ csrf_token }}">'
                '{% for f in p.fields %}<input name="{{ f.name }}">{% endfor %}</form>'
                "{% endfor %}{% if error %}<p>{{ error_message }}</p>{% endif %}"
            )
        },
    )
    client = app.test_client()
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert html.startswith("<h1>ACME LOGIN</h1>")
    assert "Sign in" not in html
    assert '<input name="username"><input name="password">' in html
    assert sign_in(client).status_code == 302  # the replacement's form works
    failed = sign_in(client, "ann", "wrong")
    assert "ACME LOGIN" in landed_on_sign_in(client, failed)
    # the other pages keep the package's templates
    assert "Are you sure you want to sign out?" in client.get("/auth/sign-out").get_data(
        as_text=True
    )


@pytest.mark.parametrize("parent", ["jwtauth/sign_in.html", "jwtauth/default/sign_in.html"])
def test_app_overrides_one_block_of_the_sign_in_page(
    tmp_path: Path, clock: FakeClock, parent: str
) -> None:
    app = app_with_templates(
        tmp_path,
        clock,
        {
            "jwtauth/sign_in.html": (
                f'{{% extends "{parent}" %}}'
                "{% block heading %}Welcome back, friend{% endblock %}"
            )
        },
    )
    client = app.test_client()
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert "<h1>Welcome back, friend</h1>" in html
    assert 'action="/auth/sign-in/credentials"' in html  # everything else is the package's
    assert "<!DOCTYPE html>" in html
    assert sign_in(client).status_code == 302


def test_app_overrides_a_block_of_the_base_for_every_page(tmp_path: Path, clock: FakeClock) -> None:
    app = app_with_templates(
        tmp_path,
        clock,
        {
            "jwtauth/base.html": (
                '{% extends "jwtauth/base.html" %}'
                '{% block footer %}<a href="/privacy">Privacy</a>{% endblock %}'
            )
        },
    )
    for name, html in pages(app.test_client()).items():
        assert '<footer class="footer"><a href="/privacy">Privacy</a></footer>' in html, name


def test_app_page_may_extend_the_package_page_under_its_own_name(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The app's error page extends the package's sign-in page layout via the default alias."""
    app = app_with_templates(
        tmp_path,
        clock,
        {
            "jwtauth/error.html": (
                '{% extends "jwtauth/default/error.html" %}'
                "{% block heading %}Oh no ({{ error }}){% endblock %}"
            )
        },
    )
    html = app.test_client().get("/auth/error?error=AccessDenied").get_data(as_text=True)
    assert "<h1>Oh no (AccessDenied)</h1>" in html
    assert "You do not have permission" in html


# -- theme -----------------------------------------------------------------------------------


def test_theme_settings_appear_on_every_page(make_app: AppFactory) -> None:
    app, _ = make_app(
        JWTAUTH_THEME_APP_NAME="Acme Portal",
        JWTAUTH_THEME_BRAND_COLOR="#ff0066",
        JWTAUTH_THEME_LOGO_URL="/static/acme-logo.svg",
    )
    for name, html in pages(app.test_client()).items():
        assert "Acme Portal" in html, name
        assert "--brand: #ff0066;" in html, name
        assert '<img src="/static/acme-logo.svg"' in html, name
    sign_in_page = pages(app.test_client())["sign_in"]
    assert "<title>Sign in · Acme Portal</title>" in sign_in_page
    # The name is the brand, a link home; the heading does not repeat it (issue 21, item 7).
    assert "<h1>Sign in</h1>" in sign_in_page and sign_in_page.count("Acme Portal") == 2
    brand = r'<a href="/" rel="home"><img [^>]+><span>Acme Portal</span></a>'
    assert re.search(brand, sign_in_page)


def test_without_theme_settings_nothing_odd_is_shown(client: FlaskClient) -> None:
    for name, html in pages(client).items():
        assert "None" not in html, name
        assert "<img" not in html, name
        assert "--brand: #346df1;" in html, name


def test_light_and_dark(client: FlaskClient) -> None:
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


# -- accessibility ---------------------------------------------------------------------------


def test_every_input_has_a_label_and_autocomplete(client: FlaskClient) -> None:
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert '<html lang="en">' in html
    visible = [t for t in re.findall(r"<input\b[^>]*>", html) if 'type="hidden"' not in t]
    assert len(visible) == 2
    for tag in visible:
        input_id = re.search(r'id="([^"]+)"', tag)
        assert input_id is not None, tag
        assert f'<label for="{input_id.group(1)}">' in html
        assert re.search(r'autocomplete="[a-z-]+"', tag), tag
    assert html.count("<label") == 2


def test_errors_are_announced(client: FlaskClient) -> None:
    quiet = client.get("/auth/sign-in").get_data(as_text=True)
    assert 'aria-live="polite"' in quiet
    assert 'role="alert"' not in quiet
    failed = landed_on_sign_in(client, sign_in(client, "ann", "wrong"))
    region = re.search(r'<div class="alerts" aria-live="polite">(.*?)</div>\s*</div>', failed, re.S)
    assert region is not None
    assert 'role="alert"' in region.group(1)
    assert 'role="alert"' in client.get("/auth/error?error=AccessDenied").get_data(as_text=True)


def test_expired_session_message(make_app: AppFactory, clock: FakeClock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    sign_in(client)
    clock.advance(11)
    response = client.get("/dashboard")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired, please sign in again" in page
    # Information, not an error (issue 21, item 8): a status, not in error red.
    assert 'class="alert alert-info" role="status"' in page and 'role="alert"' not in page
    assert 'name="callbackUrl" value="/dashboard"' in page


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("CredentialsSignin", "Sign in failed. Check the details you provided are correct."),
        ("SessionRequired", "Please sign in to access this page."),
        ("SessionExpired", "Your session has expired, please sign in again."),
        ("AccessDenied", "You do not have permission to do that."),
        ("Configuration", "There is a problem with the server configuration."),
        ("OAuthSignin", "Could not start signing in with that provider. Try again."),
        ("OAuthCallbackError", "Signing in with that provider did not complete. Try again."),
    ],
)
def test_error_codes_on_the_sign_in_and_error_pages(
    client: FlaskClient, code: str, text: str
) -> None:
    for url in (f"/auth/sign-in?error={code}", f"/auth/error?error={code}"):
        html = client.get(url).get_data(as_text=True)
        assert text in html, url
        notice = code.startswith("Session") and "sign-in" in url
        assert html.count('role="status"' if notice else 'role="alert"') == 1, url


# -- no external resources -------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_reference_nothing_external(name: str) -> None:
    source = (files("flask_jwtauth") / "templates" / "jwtauth" / name).read_text("utf-8")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", source, re.I), name
    assert "@import" not in source
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)=", source, re.I)


def test_rendered_pages_reference_nothing_external(client: FlaskClient) -> None:
    sign_in(client)
    for name, html in pages(client).items():
        assert not re.search(r"https?://", html), name
        assert "<script" not in html, name
        assert "<link" not in html, name


# -- escaping --------------------------------------------------------------------------------

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def assert_no_markup(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert 'onerror=alert(2)>"' not in html


@pytest.mark.parametrize(
    "query",
    [
        {"callbackUrl": XSS},
        {"callbackUrl": "/" + XSS},
        {"callbackUrl": "javascript:alert(1)//" + XSS},
        {"error": XSS},
        {"error": XSS, "callbackUrl": "/ok"},
    ],
)
def test_hostile_query_is_escaped_on_the_sign_in_page(
    client: FlaskClient, query: dict[str, str]
) -> None:
    response = client.get("/auth/sign-in", query_string=query)
    assert response.status_code == 200
    assert_no_markup(response.get_data(as_text=True))


def test_hostile_query_is_escaped_on_the_other_pages(client: FlaskClient) -> None:
    assert_no_markup(
        client.get("/auth/sign-out", query_string={"callbackUrl": XSS}).get_data(as_text=True)
    )
    error = client.get("/auth/error", query_string={"error": XSS})
    assert error.status_code == 400
    assert_no_markup(error.get_data(as_text=True))


def test_echoed_username_is_escaped(client: FlaskClient) -> None:
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": XSS, "password": "x", "csrf_token": csrf_token(client)},
    )
    html = landed_on_sign_in(client, response)
    assert_no_markup(html)
    assert 'value="&#34;&gt;&lt;script&gt;' in html


def test_user_and_theme_values_are_escaped(make_app: AppFactory) -> None:
    def evil_user(credentials: dict[str, str]) -> dict[str, Any]:
        return {"id": "1", "name": XSS, "email": "x@example.com"}

    app, _ = make_app(
        providers=[CredentialsProvider(evil_user)],
        JWTAUTH_THEME_APP_NAME=XSS,
        JWTAUTH_THEME_LOGO_URL='/logo.svg" onerror="alert(3)',
    )
    client = app.test_client()
    sign_in(client, "ann")
    for name, html in pages(client).items():
        assert_no_markup(html)
        assert 'onerror="alert(3)' not in html, name


def test_sign_out_cancel_link_goes_back_same_origin_only(client: FlaskClient) -> None:
    sign_in(client)
    for target, expected in [
        ("/dashboard?x=1", "/dashboard?x=1"),
        ("//evil.com", "/"),
        ("https://evil.com", "/"),
        ("/\\evil.com", "/"),
    ]:
        html = client.get("/auth/sign-out", query_string={"callbackUrl": target}).get_data(
            as_text=True
        )
        assert f'class="btn btn-secondary" href="{expected}">Cancel</a>' in html, target


def test_block_override_when_the_jinja_env_already_exists(tmp_path: Path, clock: FakeClock) -> None:
    """Extensions set up earlier (Flask-WTF's CSRFProtect, say) may have created it."""
    (tmp_path / "jwtauth").mkdir()
    (tmp_path / "jwtauth" / "sign_in.html").write_text(
        '{% extends "jwtauth/sign_in.html" %}{% block heading %}Hi there{% endblock %}'
    )
    app = Flask(__name__, template_folder=str(tmp_path))
    app.config.update(TESTING=True, JWTAUTH_SECRET=SECRET)
    app.jinja_env.globals["early"] = True
    JWTAuth(app, providers=[CredentialsProvider(authorize)], clock=clock)
    html = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    assert "<h1>Hi there</h1>" in html
    assert 'action="/auth/sign-in/credentials"' in html


def test_forbidden_page_offers_home_not_sign_in_to_a_signed_in_user(app: Flask) -> None:
    client = app.test_client()
    anonymous = client.get("/auth/error?error=AccessDenied").get_data(as_text=True)
    assert re.search(r'class="btn btn-primary" href="/auth/sign-in">Sign in<', anonymous)

    sign_in(client, "bob")  # no admin role
    response = client.get("/admin")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert re.search(r'class="btn btn-primary" href="/">Home<', page)
    assert "Sign in as someone else" in page
    assert ">Sign in<" not in page


def test_sign_in_page_messages_come_from_the_one_table(client: FlaskClient) -> None:
    from html import escape

    from flask_jwtauth.errors import MESSAGES

    for code, (_, message) in MESSAGES.items():
        page = client.get(f"/auth/sign-in?error={code}").get_data(as_text=True)
        assert escape(message) in page, code


# -- issue 8: what users hit on the pages ------------------------------------------------------


@pytest.mark.parametrize(
    ("brand", "text"), [("#facc15", "#111827"), ("#346df1", "#ffffff"), ("gold", "#111827")]
)
def test_button_text_contrasts_with_the_brand(make_app: AppFactory, brand: str, text: str) -> None:
    from flask_jwtauth.theme import contrast

    app, _ = make_app(JWTAUTH_THEME_BRAND_COLOR=brand)
    page = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    assert f"--brand-text: {text};" in page
    ratio = contrast(brand, text)
    assert ratio is not None and ratio >= 4.5


def test_an_explicit_button_text_colour_wins(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_THEME_BRAND_COLOR="#facc15", JWTAUTH_THEME_BUTTON_TEXT_COLOR="#000")
    assert "--brand-text: #000;" in app.test_client().get("/auth/sign-in").get_data(as_text=True)


def test_error_page_never_shows_error_200(client: FlaskClient) -> None:
    page = client.get("/auth/error?error=Configuration")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Error 200" not in html and "<code>Configuration</code>" in html
    assert "Error 403" in client.get("/auth/error?error=AccessDenied").get_data(as_text=True)


def test_sign_in_as_someone_else_comes_back_to_the_page(make_app: AppFactory) -> None:
    from support import sign_in as real_sign_in

    app, _ = make_app()
    client = app.test_client()
    real_sign_in(client, "bob")
    denied = client.get("/admin?tab=2").get_data(as_text=True)
    match = re.search(r'href="([^"]+)">Sign in as someone else', denied)
    assert match is not None
    assert match.group(1) == "/auth/sign-in?callbackUrl=%2Fadmin%3Ftab%3D2"


def test_sign_out_cancel_goes_back_where_the_user_came_from(client: FlaskClient) -> None:
    page = client.get("/auth/sign-out", headers={"Referer": "http://localhost/dashboard?x=1"})
    assert 'href="/dashboard?x=1">Cancel' in page.get_data(as_text=True)
    elsewhere = client.get("/auth/sign-out", headers={"Referer": "https://evil.example/"})
    assert 'href="/">Cancel' in elsewhere.get_data(as_text=True)


def test_a_signed_in_user_is_told_who_they_are(make_app: AppFactory) -> None:
    from support import sign_in as real_sign_in

    app, _ = make_app()
    client = app.test_client()
    assert "You are signed in as" not in client.get("/auth/sign-in").get_data(as_text=True)
    real_sign_in(client, "bob")
    assert "You are signed in as <strong>Bob</strong>" in client.get("/auth/sign-in").get_data(
        as_text=True
    )


def test_focus_goes_to_the_first_empty_field_then_to_the_field_to_fix(
    client: FlaskClient,
) -> None:
    def focused(html: str) -> list[str]:
        return re.findall(r'<input id="[^"]+" name="([^"]+)"[^>]*\bautofocus\b', html)

    assert focused(client.get("/auth/sign-in").get_data(as_text=True)) == ["username"]
    failed = landed_on_sign_in(client, sign_in(client, "ann", "wrong"))
    assert focused(failed) == ["password"]  # the username was kept; the password is to fix
    assert 'aria-describedby="jwtauth-error"' in failed and 'role="alert"' in failed
