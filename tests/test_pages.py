"""Page furniture: titles, footer links, error pages in the service's style, no crown."""

from __future__ import annotations

import io

import pytest

from portal.accounts.models import Role


@pytest.mark.parametrize(
    "path, title",
    [
        ("/", "Start"),
        ("/accessibility", "Accessibility statement"),
        ("/privacy", "Privacy notice"),
        ("/cookies", "Cookies"),
    ],
)
def test_information_pages_have_titles_and_footer(client, path, title):
    html = client.get(path).get_data(as_text=True)
    assert f"<title>{title}" in html and "– Commissioning and tendering portal – Kent County Council</title>" in html
    for link in ('href="/accessibility"', 'href="/privacy"', 'href="/cookies"', 'href="#main-content"'):
        assert link in html
    assert "Crown copyright" not in html and "govuk-crest" not in html and "govuk-logo" not in html


def test_navigation_changes_with_role(client, make_user, login_as):
    assert "Register your organisation" in client.get("/").get_data(as_text=True)
    login_as(make_user(role=Role.ADMIN))
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Staff accounts" in html and "Sign out" in html and "Your organisation" not in html


def test_provider_navigation(client, make_user, login_as):
    login_as(make_user())
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Your organisation" in html and "Staff accounts" not in html


def test_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_413_for_an_oversized_request(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post(
        "/sign-in", data={"file": (io.BytesIO(b"x" * 4096), "big.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


def test_500_page_hides_the_error(app, client, monkeypatch):
    def explode():
        raise RuntimeError("database on fire")

    monkeypatch.setitem(app.view_functions, "pages.cookies", explode)
    explode.audience = "anyone"
    response = client.get("/cookies")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "database on fire" not in html and "problem with the service" in html


def test_compiled_css_has_no_gds_transport_font():
    from portal.config import PROJECT_ROOT

    css = (PROJECT_ROOT / "static" / "css" / "app.css").read_text()
    assert "@font-face" not in css and "GDS Transport" not in css
