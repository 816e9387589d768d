"""An organisation's administrator changes its details, with the checks registration
makes, audited; its other members see them read-only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.providers.models import Organisation
from tests.support import post_form

GOOD = {
    "organisation_name": "Swale Youth Trust",
    "organisation_type": "COMPANY_LIMITED_BY_GUARANTEE",
    "charity_number": "",
    "company_number": "1234567",  # Companies House drops the leading zero in print
    "address_line_1": "2 Bank Street",
    "address_line_2": "",
    "town": "Sittingbourne",
    "postcode": "me104aa",
}


@pytest.fixture
def organisation(db, make_district, make_organisation):
    maidstone, swale = make_district("Maidstone"), make_district("Swale")
    organisation = make_organisation(name="Maidstone Carers", districts=[maidstone])
    return organisation, maidstone, swale


def test_the_administrator_changes_the_details_and_the_change_is_audited(client, db, organisation, make_user, login_as):
    org, maidstone, swale = organisation
    admin = make_user(organisation=org)
    login_as(admin)
    page = client.get("/organisation/details").get_data(as_text=True)
    assert 'value="Maidstone Carers"' in page and re.search(rf'value="{maidstone.id}"\s+checked', page)

    response = post_form(client, "/organisation/details", {**GOOD, "district_ids": [str(maidstone.id), str(swale.id)]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation")
    db.expire_all()
    changed = db.get(Organisation, org.id)
    assert changed.name == "Swale Youth Trust" and changed.company_number == "01234567"
    assert changed.postcode == "ME10 4AA" and changed.charity_number is None
    assert [d.name for d in changed.districts] == ["Maidstone", "Swale"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.details_changed"))
    assert event.actor_id == admin.id and event.object_id == org.id
    assert event.details["changed"]["name"] == ["Maidstone Carers", "Swale Youth Trust"]
    assert "town" in event.details["changed"] and "address_line_2" not in event.details["changed"]
    assert "Your organisation&#39;s details have been saved" in client.get("/organisation").get_data(as_text=True)


def test_bad_details_are_refused_all_at_once_with_the_registration_checks(
    client, db, organisation, make_user, login_as
):
    org, maidstone, _ = organisation
    login_as(make_user(organisation=org))
    bad = {
        **GOOD,
        "organisation_type": "REGISTERED_CHARITY",  # needs a charity number
        "company_number": "12AB",
        "postcode": "ZZ9 9ZZZ",
        "district_ids": [str(maidstone.id)],
    }
    response = post_form(client, "/organisation/details", bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    for message in (
        "Enter your charity number",
        "Enter a Companies House number in the correct format",
        "Enter a real postcode",
    ):
        assert message in summary, message
    assert "Error: " in html.split("</title>", 1)[0]
    response = post_form(client, "/organisation/details", GOOD)  # no districts
    assert response.status_code == 400
    assert "Select the districts your organisation serves" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Organisation, org.id).name == "Maidstone Carers"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.details_changed")) is None


def test_a_number_another_organisation_holds_is_refused(
    client, db, organisation, make_user, make_organisation, login_as
):
    org, maidstone, _ = organisation
    make_organisation(name="Other Trust", charity_number="1099999")
    login_as(make_user(organisation=org))
    data = {**GOOD, "organisation_type": "REGISTERED_CHARITY", "charity_number": "1099999"}
    response = post_form(client, "/organisation/details", {**data, "district_ids": [str(maidstone.id)]})
    assert response.status_code == 400
    assert "Another organisation with this charity number is already registered" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Organisation, org.id).charity_number != "1099999"


def test_keeping_its_own_number_is_no_clash(client, db, organisation, make_user, login_as):
    org, maidstone, _ = organisation
    login_as(make_user(organisation=org))
    data = {**GOOD, "organisation_type": "REGISTERED_CHARITY", "charity_number": org.charity_number}
    response = post_form(client, "/organisation/details", {**data, "district_ids": [str(maidstone.id)]})
    assert response.status_code == 302


def test_other_members_see_the_details_read_only(client, organisation, make_user, login_as):
    org, _, _ = organisation
    login_as(make_user(organisation=org, is_organisation_admin=False))
    page = client.get("/organisation").get_data(as_text=True)
    assert "Maidstone Carers" in page and "/organisation/details" not in page
    assert "Only your organisation's administrators can change these details" in page
    assert client.get("/organisation/details").status_code == 403


def test_the_administrator_is_offered_a_change_link_for_each_detail(client, organisation, make_user, login_as):
    org, _, _ = organisation
    login_as(make_user(organisation=org))
    page = client.get("/organisation").get_data(as_text=True)
    assert page.count('href="/organisation/details"') == 6
    assert 'Change<span class="govuk-visually-hidden"> Districts served</span>' in page
