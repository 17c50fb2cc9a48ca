"""CredentialsProvider: the fields it renders, what authorize() gets, and how failure looks."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from conftest import AppFactory
from flask.testing import FlaskClient
from support import attempt_sign_in, csrf_token, landed_on_sign_in, session_cookie

from flask_jwtauth import CredentialField, CredentialsProvider


def inputs(html: str) -> list[dict[str, str]]:
    """The visible inputs of a page, as attribute dicts."""
    out = []
    for tag in re.findall(r"<input\b[^>]*>", html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        for flag in re.findall(r"\s(required|disabled)(?=[\s>])", tag):
            attrs[flag] = ""
        if attrs.get("type") != "hidden":
            out.append(attrs)
    return out


def labels(html: str) -> dict[str, str]:
    return dict(re.findall(r'<label for="([^"]+)">([^<]*)</label>', html))


def alert_texts(html: str) -> list[str]:
    return re.findall(r'role="alert"[^>]*>\s*<p>([^<]*)</p>', html)


def nobody(credentials: dict[str, str]) -> None:
    return None


# -- fields ----------------------------------------------------------------------------------


def test_default_fields_are_username_and_password(client: FlaskClient) -> None:
    html = client.get("/auth/sign-in").get_data(as_text=True)
    fields = inputs(html)
    assert [(f["name"], f["type"], f["autocomplete"]) for f in fields] == [
        ("username", "text", "username"),
        ("password", "password", "current-password"),
    ]
    assert labels(html) == {
        "jwtauth-credentials-username": "Username",
        "jwtauth-credentials-password": "Password",
    }
    assert all("required" in f for f in fields)


def test_dict_spec_fields_render_one_input_each(make_app: AppFactory) -> None:
    provider = CredentialsProvider(
        nobody,
        {
            "email": {"label": "Email address", "type": "email", "placeholder": "you@example.com"},
            "password": {},
            "otp": {
                "label": "One-time code",
                "autocomplete": "one-time-code",
                "required": False,
            },
        },
    )
    app, _ = make_app(providers=[provider])
    html = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    fields = inputs(html)
    assert [f["name"] for f in fields] == ["email", "password", "otp"]
    email, password, otp = fields
    assert (email["type"], email["autocomplete"], email["placeholder"]) == (
        "email",
        "email",
        "you@example.com",
    )
    assert (password["type"], password["autocomplete"]) == ("password", "current-password")
    assert (otp["type"], otp["autocomplete"]) == ("text", "one-time-code")
    assert "required" in email and "required" not in otp
    assert labels(html) == {
        "jwtauth-credentials-email": "Email address",
        "jwtauth-credentials-password": "Password",
        "jwtauth-credentials-otp": "One-time code",
    }
    for field in fields:
        assert field["id"] in labels(html)


def test_seed_002_empty_specs_get_sensible_defaults() -> None:
    provider = CredentialsProvider(nobody, {"username": {}, "password": {}})
    assert [(f.name, f.type, f.autocomplete) for f in provider.fields] == [
        ("username", "text", "username"),
        ("password", "password", "current-password"),
    ]


def test_credential_field_objects_and_names(make_app: AppFactory) -> None:
    provider = CredentialsProvider(
        nobody,
        [
            CredentialField("login", "Employee number", "tel", "username"),
            "password",
            CredentialField("pin", "PIN", "password", "one-time-code", required=False),
        ],
    )
    assert provider.fields[1] == CredentialField(
        "password", "Password", "password", "current-password"
    )
    app, _ = make_app(providers=[provider])
    html = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    assert [(f["name"], f["type"], f["autocomplete"]) for f in inputs(html)] == [
        ("login", "tel", "username"),
        ("password", "password", "current-password"),
        ("pin", "password", "one-time-code"),
    ]
    assert labels(html)["jwtauth-credentials-login"] == "Employee number"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "at least one field"),
        ([], "at least one field"),
        ({"csrf_token": {}}, "reserved"),
        ({"callbackUrl": {}}, "reserved"),
        ({"data": {}}, "reserved"),
        ({"validate": {}}, "reserved"),
        ({"bad name": {}}, "letters, digits"),
        ({"1st": {}}, "letters, digits"),
        ({"_private": {}}, "letters, digits"),
        ({"pin": {"type": "hidden"}}, "not one of"),
        ({"pin": {"type": "checkbox"}}, "not one of"),
        ({"pin": "not a dict"}, "expected a dict"),
        (["pin", "pin"], "more than once"),
        ([{"name": "pin"}], "expected a CredentialField"),
        ("username", "got a string"),
        ({"pin": CredentialField("code", "Code")}, "named 'code'"),
    ],
)
def test_bad_fields_fail_when_the_provider_is_built(fields: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CredentialsProvider(nobody, fields)


def test_authorize_must_be_callable() -> None:
    with pytest.raises(TypeError, match="callable"):
        CredentialsProvider("not callable")  # type: ignore[arg-type]


def test_bad_provider_id() -> None:
    with pytest.raises(ValueError, match="provider id"):
        CredentialsProvider(nobody, id="Has Spaces")


# -- what authorize() gets --------------------------------------------------------------------


def test_authorize_gets_exactly_the_declared_fields(make_app: AppFactory) -> None:
    received: list[dict[str, str]] = []

    def authorize(credentials: dict[str, str]) -> dict[str, Any]:
        received.append(credentials)
        return {"id": "9"}

    provider = CredentialsProvider(
        authorize, {"email": {"type": "email"}, "password": {}, "otp": {"required": False}}
    )
    app, _ = make_app(providers=[provider])
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials",
        data={
            "email": "a@example.com",
            "password": "pw",
            "csrf_token": csrf_token(client),
            "callbackUrl": "/x",
            "is_admin": "true",
        },
    )
    assert response.status_code == 302
    assert received == [{"email": "a@example.com", "password": "pw", "otp": ""}]


def test_authorize_may_return_an_object(make_app: AppFactory) -> None:
    class User:
        id = 42
        name = "Obj"
        email = "obj@example.com"
        roles = ("admin",)

    app, _ = make_app(providers=[CredentialsProvider(lambda c: User())])
    client = app.test_client()
    attempt_sign_in(client, "ann")
    user = client.get("/auth/session").get_json()["user"]
    assert (user["id"], user["name"], user["roles"]) == ("42", "Obj", ["admin"])
    assert client.get("/admin").get_data(as_text=True) == "admin area"


def test_two_credentials_providers_with_their_own_fields(make_app: AppFactory) -> None:
    staff = CredentialsProvider(
        lambda c: {"id": "s" + c["badge"]} if c["badge"] == "7" else None,
        {"badge": {"label": "Badge"}},
        id="staff",
        name="Staff",
    )
    customers = CredentialsProvider(lambda c: None, id="customers", name="Customers")
    app, _ = make_app(providers=[customers, staff])
    client = app.test_client()
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Sign in with Staff" in html and "Sign in with Customers" in html
    assert 'class="divider"' in html
    assert 'action="/auth/sign-in/staff"' in html
    response = client.post(
        "/auth/sign-in/staff", data={"badge": "7", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert client.get("/auth/session").get_json()["user"]["id"] == "s7"


# -- authorize() that raises -----------------------------------------------------------------


def exploding(credentials: dict[str, str]) -> None:
    raise ConnectionError("db at 10.0.0.5:5432 refused, password=hunter2")


def test_authorize_exception_is_logged_and_shown_as_configuration(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(providers=[CredentialsProvider(exploding)])
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="flask_jwtauth"):
        response = attempt_sign_in(client, "ann")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<code>Configuration</code>" in html
    assert "problem with the server configuration" in html
    for leak in ("Traceback", "ConnectionError", "hunter2", "10.0.0.5"):
        assert leak not in html
    assert "hunter2" in caplog.text
    assert any(r.exc_info for r in caplog.records)
    assert session_cookie(client) is None


def test_authorize_exception_in_json(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(providers=[CredentialsProvider(exploding)])
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "x"},
        headers={"X-CSRFToken": client.get("/auth/csrf").get_json()["csrfToken"]},
    )
    assert response.status_code == 500
    body = response.get_json()
    assert (body["ok"], body["error"]) == (False, "Configuration")
    assert "hunter2" not in response.get_data(as_text=True)


def test_user_without_an_id_gets_a_generated_one(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """As in Auth.js: a user dict without ``id`` is signed in under a random id, with a
    warning in the log, instead of a 500."""
    app, _ = make_app(providers=[CredentialsProvider(lambda c: {"name": "no id"})])
    client = app.test_client()
    response = attempt_sign_in(client, "ann")
    assert response.status_code == 302
    me = client.get("/api/me").get_json()
    assert me["user"]["name"] == "no id"
    assert len(me["user"]["id"]) == 36  # a UUID
    assert "no 'id'" in caplog.text


def test_user_object_without_an_id_is_a_configuration_error(make_app: AppFactory) -> None:
    class Nobody:
        name = "no id"

    app, _ = make_app(providers=[CredentialsProvider(lambda c: Nobody())])
    response = attempt_sign_in(app.test_client(), "ann")
    assert response.status_code == 500
    assert "<code>Configuration</code>" in response.get_data(as_text=True)


# -- failed sign-in --------------------------------------------------------------------------


def failed_attempt(client: FlaskClient, username: str, password: str) -> Any:
    return client.post(
        "/auth/sign-in/credentials",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def test_unknown_user_and_wrong_password_look_the_same(client: FlaskClient) -> None:
    unknown = failed_attempt(client, "zed", "whatever-1")
    unknown_html = landed_on_sign_in(client, unknown)
    wrong = failed_attempt(client, "ann", "whatever-2")
    wrong_html = landed_on_sign_in(client, wrong)
    assert unknown.headers["Location"] == wrong.headers["Location"]
    assert alert_texts(unknown_html) == alert_texts(wrong_html)
    assert len(alert_texts(wrong_html)) == 1
    assert unknown_html.count('role="alert"') == 1

    def normalised(html: str, username: str) -> str:
        html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
        return html.replace(f'value="{username}"', 'value="?"')

    assert normalised(unknown_html, "zed") == normalised(wrong_html, "ann")


def test_unknown_user_and_wrong_password_look_the_same_in_json(client: FlaskClient) -> None:
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    bodies = [
        client.post(
            "/auth/sign-in/credentials",
            json={"username": username, "password": "x"},
            headers={"X-CSRFToken": token},
        )
        for username in ("zed", "ann")
    ]
    assert [b.status_code for b in bodies] == [401, 401]
    assert bodies[0].get_json() == bodies[1].get_json()


def test_failed_sign_in_keeps_the_username_but_never_the_password(client: FlaskClient) -> None:
    response = failed_attempt(client, "ann", "s3cret-typo")
    assert "s3cret-typo" not in str(response.headers)
    html = landed_on_sign_in(client, response)
    fields = {f["name"]: f for f in inputs(html)}
    assert fields["username"]["value"] == "ann"
    assert "value" not in fields["password"]
    assert "s3cret-typo" not in html
    # Only the password is marked: which field was wrong is not known (issue 21, item 8).
    assert "aria-invalid" not in fields["username"]
    assert fields["password"]["aria-invalid"] == "true"
    assert fields["username"]["aria-describedby"] == "jwtauth-error"
    assert 'id="jwtauth-error"' in html


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "ann"},
        {"password": "pw-ann"},
        {"username": "", "password": ""},
        {"username": "a" * 5000, "password": "pw-ann"},
        {"username": "ann", "password": "p" * 5000},
    ],
    ids=["nothing", "no-password", "no-username", "empty", "long-username", "long-password"],
)
def test_incomplete_or_oversized_forms_are_a_credentials_failure(
    client: FlaskClient, data: dict[str, str]
) -> None:
    response = client.post(
        "/auth/sign-in/credentials", data={**data, "csrf_token": csrf_token(client)}
    )
    html = landed_on_sign_in(client, response)
    assert len(alert_texts(html)) == 1
    assert "p" * 5000 not in html
    assert session_cookie(client) is None
