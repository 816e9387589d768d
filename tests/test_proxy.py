"""Behind a proxy on another host, TRUSTED_PROXIES decides whether its headers are believed."""

from __future__ import annotations

import pytest

from portal import create_app

FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "portal.example"}


@pytest.fixture
def make_app(app, monkeypatch):
    """Another app on the test database, configured from the environment; its connections
    are closed afterwards (left to the garbage collector, PostgreSQL's warn as they go)."""
    made = []

    def make(proxies: int, production: bool = False):
        if production:
            monkeypatch.setenv("PORTAL_ENV", "production")
        monkeypatch.setenv("TRUSTED_PROXIES", str(proxies))
        overrides = {key: app.config[key] for key in ("DATABASE_URL", "INSTANCE_PATH", "RATELIMIT_STORAGE_URI")}
        made.append(create_app(overrides | {"TESTING": True}))
        return made[-1]

    yield make
    for each in made:
        each.extensions["db_engine"].dispose()


def test_trusted_proxies_comes_from_the_environment(make_app):
    assert make_app(2).config["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize("proxies, hsts", [(0, False), (1, True)])
def test_hsts_follows_the_proxy_only_when_it_is_trusted(make_app, proxies, hsts):
    response = (
        make_app(proxies).test_client().get("/", headers=FORWARDED_HTTPS, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    )
    assert ("Strict-Transport-Security" in response.headers) is hsts


def test_secure_session_cookie_behind_a_trusted_proxy_in_production(app, make_app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    production = make_app(1, production=True)
    client = production.test_client()
    response = client.get("/sign-in", headers=FORWARDED_HTTPS, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert "Strict-Transport-Security" in response.headers
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie
