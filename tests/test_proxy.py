"""Behind a proxy on another host, TRUSTED_PROXIES decides whether its headers are believed."""

from __future__ import annotations

import pytest

from portal import create_app

FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "portal.example"}


def _app(app, proxies: int, monkeypatch, production: bool = False):
    if production:
        monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("TRUSTED_PROXIES", str(proxies))
    return create_app(
        {key: app.config[key] for key in ("DATABASE_URL", "INSTANCE_PATH", "RATELIMIT_STORAGE_URI")} | {"TESTING": True}
    )


def test_trusted_proxies_comes_from_the_environment(app, monkeypatch):
    assert _app(app, 2, monkeypatch).config["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize("proxies, hsts", [(0, False), (1, True)])
def test_hsts_follows_the_proxy_only_when_it_is_trusted(app, monkeypatch, proxies, hsts):
    response = (
        _app(app, proxies, monkeypatch)
        .test_client()
        .get("/", headers=FORWARDED_HTTPS, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    )
    assert ("Strict-Transport-Security" in response.headers) is hsts


def test_secure_session_cookie_behind_a_trusted_proxy_in_production(app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    production = _app(app, 1, monkeypatch, production=True)
    client = production.test_client()
    response = client.get("/sign-in", headers=FORWARDED_HTTPS, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert "Strict-Transport-Security" in response.headers
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie
