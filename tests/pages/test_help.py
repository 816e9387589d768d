"""The help and contact page, linked from every page's footer, and the start page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.config import load_config
from tests.tenders.factories_public import NOW, build_tender, fixed_now  # noqa: F401 (fixture)


def test_help_is_linked_from_every_page_footer(client):
    for path in ("/", "/opportunities", "/accessibility", "/help"):
        html = client.get(path).get_data(as_text=True)
        footer = html[html.index('<footer class="govuk-footer">') :]
        assert 'href="/help">Help and contact</a>' in footer, path


def test_help_gives_the_configured_contact_and_what_to_do(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SERVICE_CONTACT_EMAIL", "vcs.commissioning@council.example")
    monkeypatch.setitem(app.config, "SERVICE_CONTACT_PHONE", "03000 41 41 41")
    monkeypatch.setitem(app.config, "SERVICE_RESPONSE_WORKING_DAYS", 3)
    response = client.get("/help")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "<title>Help and contact – " in html
    assert 'href="mailto:vcs.commissioning@council.example"' in html and "commissioning@example.gov.uk" not in html
    assert "03000 41 41 41" in html and "Monday to Friday, 9am to 5pm" in html
    assert "We reply to emails within 3 working days." in html
    for section in ('id="contact"', 'id="missed-deadline"', 'id="technical-problems"'):
        assert section in html
    assert "cannot accept a bid that arrives after the deadline" in html
    assert 'href="/password-reset"' in html and 'href="/verify-email"' in html
    assert "works for 1 hour." in html and "works for 48 hours" in html and "up to 10MB each" in html


def test_the_phone_line_is_left_out_when_there_is_none(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SERVICE_CONTACT_PHONE", None)
    monkeypatch.setitem(app.config, "SERVICE_RESPONSE_WORKING_DAYS", 1)
    html = client.get("/help").get_data(as_text=True)
    assert "Telephone" not in html and "We reply to emails within 1 working day." in html


def test_contact_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICE_CONTACT_EMAIL", "help@council.example")
    monkeypatch.setenv("SERVICE_CONTACT_PHONE", "01234 567890")
    monkeypatch.setenv("SERVICE_RESPONSE_WORKING_DAYS", "5")
    config = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert config["SERVICE_CONTACT_EMAIL"] == "help@council.example"
    assert config["SERVICE_CONTACT_PHONE"] == "01234 567890"
    assert config["SERVICE_RESPONSE_WORKING_DAYS"] == 5
    monkeypatch.delenv("SERVICE_CONTACT_PHONE")
    assert load_config({"INSTANCE_PATH": str(tmp_path)})["SERVICE_CONTACT_PHONE"] is None


def test_production_warns_about_the_example_contact_address(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db/portal")
    monkeypatch.delenv("SERVICE_CONTACT_EMAIL", raising=False)
    load_config({"INSTANCE_PATH": str(tmp_path)})
    assert "SERVICE_CONTACT_EMAIL is the example address" in caplog.text


# --- The start page ----------------------------------------------------------------


def test_the_start_page_says_what_the_service_is_for_and_what_you_need(client):
    html = client.get("/").get_data(as_text=True)
    assert "Use this service to bid for contracts to provide children's services" in html
    before = html[html.index('id="before-you-start"') :]
    for need in ("charity number or company number", "safeguarding policy and insurance certificates", "several days"):
        assert need in before, need
    assert "about 10 minutes" in html
    start = html[html.index("govuk-button--start") - 200 :]
    assert 'href="/register"' in start[:400] and "Start now" in start[:600]
    assert 'href="/help"' in html


@pytest.mark.parametrize(
    "count, says",
    [(0, "No opportunities are open for bids"), (1, "1 opportunity is open"), (2, "2 opportunities are open")],
)
def test_the_start_page_says_how_many_opportunities_are_open(app, client, db, fixed_now, count, says):  # noqa: F811
    for _ in range(count):
        build_tender(app, db)
    build_tender(app, db, submission_deadline=NOW - timedelta(hours=1))  # past its deadline: not open
    html = client.get("/").get_data(as_text=True)
    assert says in html[html.index('id="open-now"') :]


def test_signed_in_the_start_page_leads_home(client, make_user, login_as):
    login_as(make_user())
    html = client.get("/").get_data(as_text=True)
    assert 'href="/dashboard"' in html and "Start now" not in html
