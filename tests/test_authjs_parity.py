"""Auth.js's REST API, answer for answer: the Flask adapter (``JWTAUTH_AUTHJS_API_URL``)
against npm next-auth@4.24.15's own handler, and against Auth.js v5's (npm @auth/core@0.41.3's
``Auth()``, which next-auth@5.0.0-beta.32 runs) with ``JWTAUTH_AUTHJS_VERSION = 5``
(``nextauth_reference``).

Each sequence runs against both servers, each with its own cookie jar, and every answer is
reduced to what a client can observe without secrets or timestamps (``parity_sides``):
status, media type, JSON keys and value types, redirect targets relative to each origin,
whether the session cookie was set or cleared. ``DELIBERATE`` (v4) and ``DELIBERATE_V5``
list the answers where ours differs on purpose (each with its reason, also in
docs/guides/nextjs.md); every other answer must be the reference's.

Both servers also have an OpenID provider ``oidc`` on the same real provider (npm
oidc-provider, ``tests/oidc_server.py``), configured alike (PKCE, state and nonce): an
authorization URL is compared by its endpoint and the names of its query parameters, and
the round trips walk the provider's login and consent forms over plain HTTP. And an email
provider (magic links): the reference keeps its tokens and users in an in-memory adapter
(``tests/nextauth_client/reference_shared.js``), ours in a ``memory://`` store; each keeps the
last link it would have mailed (``Side.last_link``), and the Flask app's link signs in on
its GET (``JWTAUTH_EMAIL_CONFIRM = False``), as the reference's does.

The sequences are what each client sends: v4's ``signIn()``/``signOut()`` post
``json=true`` in the form, v5's send the ``X-Auth-Return-Redirect: 1`` header instead
(``Side.send`` turns the one into the other); every other request is the same for both.
``python tests/test_authjs_parity.py`` prints the counts: answers compared, the same as
the reference's, different on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from oidc_server import authorize_in_browser
from parity_sides import Counts, Servers, Side, compare, servers
from support import COOKIE

ROOT = Path(__file__).resolve().parents[1]
_NO_SNIFFING = "text/plain, not an answer without a media type for a browser to sniff"
_NEXT_PARSER = "Next.js's body parser answers this text before next-auth runs; ours is JSON"
_COOKIE = "the session cookie is re-issued once JWTAUTH_SESSION_UPDATE_AGE has passed"
_NO_CALLBACK_COOKIE = "no callback-url cookie: without callbackUrl, the app's root"
_CALLBACK_CREDENTIALS = f"400, not v4's 500 (no 5xx for a request alone); {_NO_SNIFFING}"
_CONFIGURATION = "200, not v{}'s 500: a query string alone never makes a 5xx"
_OWN_CALLBACK = (
    "the provider sends the user back to our own /auth/callback/<id>, one redirect URI "
    "whichever client began the sign-in; its failures go to our sign-in page"
)

#: Answers where ours differs from v4 on purpose: step -> reason (docs/guides/nextjs.md).
DELIBERATE: dict[str, str] = {
    "session": _COOKIE,
    "session from chunks": _COOKIE,
    "sign-out of chunks": _NO_CALLBACK_COOKIE,
    **dict.fromkeys(
        (
            "GET unknown action",
            "POST unknown action",
            "POST /providers",
            "POST /csrf",
            "GET /_log",
            "DELETE /session",
            "callback, unknown provider",
            "GET callback, unknown provider",
        ),
        _NO_SNIFFING,
    ),
    "GET callback/credentials": _CALLBACK_CREDENTIALS,
    "update, bad JSON": _NEXT_PARSER,
    "sign-in, bad JSON": _NEXT_PARSER,
    "error page Configuration": _CONFIGURATION.format(4),
    "providers: oidc": _OWN_CALLBACK,
    "callback from the provider, consent refused": _OWN_CALLBACK,
    "callback again, the state used": _OWN_CALLBACK,
    "session after the provider": _COOKIE,
    "session after the link": _COOKIE,
}

#: Answers where ours differs from Auth.js v5 on purpose: step -> reason (the guide).
DELIBERATE_V5: dict[str, str] = {
    "session": _COOKIE,
    "session from chunks": _COOKIE,
    "sign-out of chunks": _NO_CALLBACK_COOKIE,
    "error page Configuration": _CONFIGURATION.format(5),
    "providers: oidc": _OWN_CALLBACK,
    "callback from the provider, consent refused": _OWN_CALLBACK,
    "callback again, the state used": _OWN_CALLBACK,
    "session after the provider": _COOKIE,
    "session after the link": _COOKIE,
}
_V4 = "tests/e2e/test_next_auth_react.py::"
_V5 = "tests/e2e/test_next_auth_v5.py::"
_SIGN_IN_WITH_THE_PROVIDER = (
    "test_sign_in_with_an_openid_provider",
    "test_refused_consent_lands_on_our_sign_in_page",
)

#: For each reason, the browser tests showing next-auth/react still does the right thing;
#: each is named in docs/guides/nextjs.md.
BROWSER_TESTS: dict[int, dict[str, tuple[str, ...]]] = {
    4: {
        _COOKIE: (f"{_V4}test_session_rolls_while_read_and_ends_when_idle",),
        _NO_CALLBACK_COOKIE: (f"{_V4}test_sign_out_without_options_returns_to_the_page",),
        _NO_SNIFFING: (f"{_V4}test_requests_v4_does_not_serve_are_answered_in_text",),
        _CALLBACK_CREDENTIALS: (f"{_V4}test_requests_v4_does_not_serve_are_answered_in_text",),
        _NEXT_PARSER: (f"{_V4}test_the_client_sends_no_body_we_refuse",),
        _CONFIGURATION.format(4): (f"{_V4}test_the_configuration_error_page",),
        _OWN_CALLBACK: tuple(_V4 + name for name in _SIGN_IN_WITH_THE_PROVIDER),
    },
    5: {
        _COOKIE: (f"{_V5}test_session_rolls_while_read_and_ends_when_idle",),
        _NO_CALLBACK_COOKIE: (f"{_V5}test_sign_out_without_options_returns_to_the_page",),
        _CONFIGURATION.format(5): (
            f"{_V5}test_a_forged_callback_lands_on_the_configuration_error_page",
        ),
        _OWN_CALLBACK: tuple(_V5 + name for name in _SIGN_IN_WITH_THE_PROVIDER),
    },
}


@pytest.fixture(scope="module")
def origins() -> Iterator[Servers]:
    """next-auth v4 and the Flask app."""
    with servers(4) as found:
        yield found


@pytest.fixture(scope="module")
def origins_v5() -> Iterator[Servers]:
    """Auth.js v5 and a Flask app set for v5."""
    with servers(5) as found:
        yield found


# -- the sequences: what next-auth/react (and a browser on its pages) sends ----------------


def sign_in(side: Side, label: str = "sign-in", password: str = "pw-ann", **extra: Any) -> Any:
    form = {"username": "ann", "password": password, "csrfToken": side.csrf()}
    form.update(callbackUrl=f"{side.origin}/dashboard", json="true", **extra)
    return side.send(label, "POST", "/callback/credentials", data=form)


def anonymous(side: Side) -> None:
    side.send("providers", "GET", "/providers", split=True)
    side.send("csrf", "GET", "/csrf")
    side.send("session, none", "GET", "/session")
    side.send("update, no session", "POST", "/session", json={"csrfToken": side.csrf(), "data": {}})
    side.send("update, no csrfToken", "POST", "/session", json={"data": {}})


def signed_in(side: Side) -> None:
    sign_in(side)
    side.send("session", "GET", "/session")
    token = side.csrf()
    side.send("update", "POST", "/session", json={"csrfToken": token, "data": {"name": "Ann 2"}})
    side.send("update, form", "POST", "/session", data={"csrfToken": token, "json": "true"})
    side.send("update, wrong csrfToken", "POST", "/session", json={"csrfToken": "x", "data": {}})
    form = {"csrfToken": token, "callbackUrl": f"{side.origin}/bye", "json": "true"}
    side.send("sign-out", "POST", "/signout", data=form)
    side.send("session after sign-out", "GET", "/session")


def chunked(side: Side) -> None:
    sign_in(side)
    big = {"csrfToken": side.csrf(), "data": {"name": "A" * 6000}}
    side.send("update to a chunked cookie", "POST", "/session", json=big)
    side.send("session from chunks", "GET", "/session")
    form = {"csrfToken": side.csrf(), "json": "true"}
    side.send("sign-out of chunks", "POST", "/signout", data=form)
    side.send("session after chunks", "GET", "/session")


def csrf_failures(side: Side) -> None:
    form = {"username": "ann", "password": "pw-ann", "json": "true"}
    side.send("sign-in, no csrfToken", "POST", "/callback/credentials", data=form)
    form["csrfToken"] = "wrong"
    side.send("sign-in, wrong csrfToken", "POST", "/callback/credentials", data=form)
    side.send("sign-out, no csrfToken", "POST", "/signout", data={"json": "true"})
    side.send("sign-out, wrong csrfToken", "POST", "/signout", data=form)
    form = {"csrfToken": side.csrf(), "json": "true"}
    side.send("sign-out, no session", "POST", "/signout", data=form)
    side.send("session after", "GET", "/session")


def bad_credentials(side: Side) -> None:
    sign_in(side, "wrong password", password="nope")
    sign_in(side, "unknown user", username="nobody")
    side.send("session after", "GET", "/session")


def sign_in_route(side: Side) -> None:
    form = {"username": "ann", "password": "pw-ann", "csrfToken": side.csrf(), "json": "true"}
    side.send("signin/credentials", "POST", "/signin/credentials", data=form)
    side.send("session after signin/credentials", "GET", "/session")
    side.send("signin/unknown", "POST", "/signin/nope", data=form)
    side.send("signin, no provider", "POST", "/signin", data=form)
    side.send("signin/credentials, no csrfToken", "POST", "/signin/credentials", data={})


def unsupported(side: Side) -> None:
    form = {"csrfToken": side.csrf(), "json": "true"}
    side.send("GET unknown action", "GET", "/nonsense")
    side.send("POST unknown action", "POST", "/nonsense", data=form)
    side.send("POST /providers", "POST", "/providers", data=form)
    side.send("POST /csrf", "POST", "/csrf", data=form)
    side.send("GET /_log", "GET", "/_log")
    side.send("DELETE /session", "DELETE", "/session")
    side.send("callback, unknown provider", "POST", "/callback/nope", data=form)
    side.send("GET callback, unknown provider", "GET", "/callback/nope")
    side.send("GET callback/credentials", "GET", "/callback/credentials")


def malformed(side: Side) -> None:
    headers = {"Content-Type": "application/json"}
    side.send("update, bad JSON", "POST", "/session", data="{", headers=headers)
    side.send("sign-in, bad JSON", "POST", "/callback/credentials", data="{", headers=headers)
    side.send("update, JSON list", "POST", "/session", json=[1])
    jar = side.http.cookies
    jar.set(side.session_cookie, "not-a-token", domain="127.0.0.1", path="/")
    side.send("session, forged cookie", "GET", "/session")


def oauth_sign_in(side: Side) -> None:
    """``signIn("oidc")`` and a browser's form, with and without the token, and the
    provider's callback without the state this browser was given."""
    token, back = side.csrf(), f"{side.origin}/dashboard"
    form = {"csrfToken": token, "callbackUrl": back, "json": "true"}
    side.send("signin/oidc", "POST", "/signin/oidc", data=form)
    side.send("signin/oidc, no csrfToken", "POST", "/signin/oidc", data={"json": "true"})
    wrong = {**form, "csrfToken": "wrong"}
    side.send("signin/oidc, wrong csrfToken", "POST", "/signin/oidc", data=wrong)
    side.send("signin/oidc, a form", "POST", "/signin/oidc", data={"csrfToken": token})
    side.send("signin/oidc, a form without csrfToken", "POST", "/signin/oidc", data={})
    side.send("callback/oidc, no state", "GET", "/callback/oidc")
    side.send("callback/oidc, forged state", "GET", "/callback/oidc?code=c&state=forged")
    refused = "/callback/oidc?error=access_denied&state=forged"
    side.send("callback/oidc, the provider's error", "GET", refused)
    side.send("session after", "GET", "/session")


def oauth_round_trip(side: Side) -> None:
    """The whole sign-in: to the provider, its login and consent forms, back to the app's
    callback (the provider's redirect), signed in."""
    form = {"csrfToken": side.csrf(), "callbackUrl": f"{side.origin}/dashboard", "json": "true"}
    url = side.send("signin/oidc", "POST", "/signin/oidc", data=form)["url"]
    back = authorize_in_browser(url, login="zoe", callback_base=side.origin)
    side.send("callback from the provider", "GET", back)
    side.send("session after the provider", "GET", "/session")
    side.send("callback again, the state used", "GET", back)


def oauth_refused(side: Side) -> None:
    """The user refuses consent: the provider sends its ``error`` with the right state."""
    form = {"csrfToken": side.csrf(), "callbackUrl": f"{side.origin}/dashboard", "json": "true"}
    url = side.send("signin/oidc", "POST", "/signin/oidc", data=form)["url"]
    back = authorize_in_browser(url, login="zoe", consent=False, callback_base=side.origin)
    side.send("callback from the provider, consent refused", "GET", back)
    side.send("session after", "GET", "/session")


def email_sign_in(side: Side) -> None:
    """``signIn("email", {email})`` and a browser's form, refused without the token or an
    address; then the link from the email, opened once (signed in), again (spent), forged,
    and without its token."""
    back = f"{side.origin}/dashboard"
    form = {"email": "ann@example.com", "callbackUrl": back, "json": "true"}
    side.send("signin/email, no csrfToken", "POST", "/signin/email", data=form)
    wrong = {**form, "csrfToken": "wrong"}
    side.send("signin/email, wrong csrfToken", "POST", "/signin/email", data=wrong)
    token = side.csrf()
    invalid = {**form, "csrfToken": token, "email": "not an address"}
    side.send("signin/email, not an address", "POST", "/signin/email", data=invalid)
    empty = {**form, "csrfToken": token, "email": ""}
    side.send("signin/email, no address", "POST", "/signin/email", data=empty)
    browser = {k: v for k, v in form.items() if k != "json"}
    side.send("signin/email, a form", "POST", "/signin/email", data={**browser, "csrfToken": token})
    side.send("signin/email", "POST", "/signin/email", data={**form, "csrfToken": token})
    link = side.last_link()
    side.send("session before the link", "GET", "/session")
    side.send("the link", "GET", link)
    side.send("session after the link", "GET", "/session")
    side.send("the link again, spent", "GET", link)
    forged = re.sub(r"token=[^&]+", "token=forged", link)
    side.send("a forged link", "GET", forged)
    side.send("a link without its token", "GET", re.sub(r"&?token=[^&]+", "", link))


def logger(side: Side) -> None:
    side.send("_log", "POST", "/_log", json={"level": "error", "code": "X", "message": "m"})
    side.send("_log, form", "POST", "/_log", data={"level": "warn", "code": "X"})


def pages(side: Side) -> None:
    side.send("signin page", "GET", "/signin?callbackUrl=%2Fdashboard", follow=True)
    side.send("signout page", "GET", "/signout", follow=True)
    side.send("verify-request page", "GET", "/verify-request", follow=True)
    for code in ("", "Unknown", "Verification", "AccessDenied", "Configuration"):
        side.send(f"error page {code or '(none)'}", "GET", f"/error?error={code}", follow=True)
    side.send("error page, a sign-in error", "GET", "/error?error=CredentialsSignin")


SEQUENCES: dict[str, Callable[[Side], None]] = {
    f.__name__: f
    for f in (
        anonymous,
        signed_in,
        chunked,
        csrf_failures,
        bad_credentials,
        sign_in_route,
        unsupported,
        malformed,
        logger,
        pages,
        oauth_sign_in,
        oauth_round_trip,
        oauth_refused,
        email_sign_in,
    )
}


COOKIES = {4: "next-auth.session-token", 5: "authjs.session-token"}


def run(found: Servers, version: int, name: str) -> tuple[Counts, list[str]]:
    """One sequence against the reference and ours; (the counts, the unexpected)."""
    reference = Side(found.reference, COOKIES[version], version, provider=found.issuer)
    ours = Side(found.ours, COOKIE, version, provider=found.issuer)
    SEQUENCES[name](reference)
    SEQUENCES[name](ours)
    return compare(reference, ours, DELIBERATE if version == 4 else DELIBERATE_V5)


@pytest.mark.parametrize("name", SEQUENCES)
def test_the_same_answers_as_next_auth_v4(origins: Servers, name: str) -> None:
    _, problems = run(origins, 4, name)
    assert not problems, "differs from next-auth v4:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", SEQUENCES)
def test_the_same_answers_as_auth_js_v5(origins_v5: Servers, name: str) -> None:
    _, problems = run(origins_v5, 5, name)
    assert not problems, "differs from Auth.js v5:\n" + "\n".join(problems)


@pytest.mark.parametrize("version", [4, 5])
def test_each_deliberate_difference_has_a_browser_test_named_in_the_guide(version: int) -> None:
    deliberate = DELIBERATE if version == 4 else DELIBERATE_V5
    tests = BROWSER_TESTS[version]
    assert set(deliberate.values()) == set(tests)
    guide = (ROOT / "docs" / "guides" / "nextjs.md").read_text()
    for test in {t for named in tests.values() for t in named}:
        path, _, function = test.partition("::")
        assert f"def {function}(" in (ROOT / path).read_text(), test
        assert f"`{test}`" in guide, f"docs/guides/nextjs.md does not name {test}"


def main() -> None:
    """``python tests/test_authjs_parity.py``: how many answers are compared, how many are
    the reference's, how many differ on purpose, for each version."""
    for version in (4, 5):
        total, unexpected = Counts(), 0
        with servers(version) as found:
            for name in SEQUENCES:
                counts, problems = run(found, version, name)
                total.add(counts)
                unexpected += len(problems)
        print(
            f"v{version}: {total.compared} answers compared in {len(SEQUENCES)} sequences, "
            f"{total.same} the same, {total.deliberate} different on purpose, "
            f"{unexpected} unexpected"
        )


if __name__ == "__main__":  # tests/ is then on the path, as under pytest
    main()
