"""Security headers on every kind of response, and the session cookie."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest

from portal.config import load_config
from tests.conftest import PASSWORD
from tests.support import csrf_token_from

SCRIPT_NONCE = re.compile(r'<script\b[^>]*\bnonce="([^"]+)"')
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, "no Content-Security-Policy header"
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def header_nonce(response) -> str:
    script_src = directives(response).get("script-src")
    assert script_src is not None, "the CSP has no script-src"
    nonces = [source for source in script_src if source.startswith("'nonce-")]
    assert len(nonces) == 1, f"script-src has no single nonce: {script_src}"
    return nonces[0][len("'nonce-") : -1]


EXPECTED_STATUS = {"public page": 200, "signed-in page": 200, "error page": 404, "static file": 200}
KINDS = list(EXPECTED_STATUS)
HTML_KINDS = ["public page", "signed-in page", "error page"]
URLS = {
    "public page": "/",
    "signed-in page": "/dashboard",
    "error page": "/no-such-page",
    "static file": "/static/css/app.css",
}


@pytest.fixture
def response_of(client, make_user, login_as):
    def get(kind):
        if kind == "signed-in page":
            login_as(make_user())
        response = client.get(URLS[kind])
        response.get_data()  # read the body in full, then let go of the file a static response streams
        response.close()
        assert response.status_code == EXPECTED_STATUS[kind]
        return response

    return get


@pytest.mark.parametrize("kind", KINDS)
def test_content_security_policy(kind, response_of):
    response = response_of(kind)
    policy = directives(response)
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert len(header_nonce(response)) >= 16, "the nonce is too short to be unguessable"
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("object-src") == ["'none'"]
    assert "default-src" in policy


@pytest.mark.parametrize("kind", KINDS)
def test_other_headers(kind, response_of):
    response = response_of(kind)
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy"), "no Referrer-Policy header"
    assert "Strict-Transport-Security" not in response.headers, "HSTS must not be sent over plain http"


@pytest.mark.parametrize("kind", HTML_KINDS)
def test_inline_script_carries_the_header_nonce(kind, response_of):
    response = response_of(kind)
    html = response.get_data(as_text=True)
    scripts = SCRIPT_TAG.findall(html)
    inline = [attributes for attributes in scripts if "src=" not in attributes]
    assert inline, "the page has no inline <script> (the GOV.UK template prints one)"
    page_nonces = SCRIPT_NONCE.findall(html)
    assert len(page_nonces) == len(inline), "an inline <script> without a nonce"
    assert set(page_nonces) == {header_nonce(response)}


def test_the_nonce_is_new_on_every_response(client):
    first, second = client.get("/"), client.get("/")
    assert header_nonce(first) != header_nonce(second)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.status_code == 200
    hsts = secure.headers.get("Strict-Transport-Security", "")
    match = re.search(r"max-age=(\d+)", hsts)
    assert match and int(match.group(1)) >= 31536000, f"weak or missing HSTS over https: {hsts!r}"


def session_cookie_header(response, name) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, f"the response sets no {name} cookie"
    return found[-1]


def test_session_cookie_flags_after_sign_in(app, client, make_user):
    user = make_user()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    header = session_cookie_header(response, app.config["SESSION_COOKIE_NAME"])
    cookie = SimpleCookie()
    cookie.load(header)
    morsel = cookie[app.config["SESSION_COOKIE_NAME"]]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert not morsel["secure"], "tests run over http, so Secure is off here"


def test_session_cookie_is_secure_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db/portal")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_session_cookie_is_not_secure_in_development(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert load_config({"INSTANCE_PATH": str(tmp_path)})["SESSION_COOKIE_SECURE"] is False


def test_sign_in_starts_a_new_session(app, client, make_user):
    name = app.config["SESSION_COOKIE_NAME"]
    user = make_user()
    page = client.get("/sign-in")
    before = client.get_cookie(name)
    assert before is not None, "the sign-in page should set a session (it holds the CSRF token)"
    response = client.post(
        "/sign-in",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    after = client.get_cookie(name)
    assert after is not None and after.value != before.value
    # The old session holds nothing of the new one: its CSRF token no longer works.
    stale = client.post("/account/password", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert stale.status_code == 400
    assert "the page had been open too long" in stale.get_data(as_text=True)
