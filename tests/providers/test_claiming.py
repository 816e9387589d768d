"""Claiming an organisation the council imported with its agreements (issue 9, item 6).

Typing an incumbent's number and its contact address proves nothing: the record must
not change until someone who reads that address acts on it. Until then the real
organisation can still claim it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.providers.models import Organisation
from tests.conftest import PASSWORD
from tests.support import path_of, post_form

CONTACT = "boss@known.example.org"


@pytest.fixture
def incumbent(db, make_district):
    make_district("Maidstone")
    organisation = Organisation(name="Known Charity", charity_number="1222222", contact_email=CONTACT)
    db.add(organisation)
    db.commit()
    return organisation


def registration(db, **changes):
    from portal.providers.models import District

    data = {
        "organisation_name": "Known Charity",
        "organisation_type": "REGISTERED_CHARITY",
        "charity_number": "1222222",
        "company_number": "",
        "address_line_1": "1 Real Road",
        "address_line_2": "",
        "town": "Maidstone",
        "postcode": "ME14 1XQ",
        "district_ids": [str(db.scalar(select(District.id)))],
        "full_name": "Bo Boss",
        "email": CONTACT,
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(changes)
    return data


def as_stored(db, organisation_id) -> dict:
    db.expire_all()
    organisation = db.get(Organisation, organisation_id)
    return {
        "name": organisation.name,
        "type": organisation.organisation_type,
        "address": organisation.address_line_1,
        "town": organisation.town,
        "postcode": organisation.postcode,
        "registered_at": organisation.registered_at,
        "districts": [d.id for d in organisation.districts],
        "members": [u.email for u in organisation.members],
    }


def test_an_unverified_claimant_changes_nothing(client, db, incumbent, mailbox):
    before = as_stored(db, incumbent.id)
    response = post_form(
        client,
        "/register",
        registration(db, organisation_name="Imposter Ltd", address_line_1="9 Fake Street", full_name="Imposter"),
    )
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)

    assert as_stored(db, incumbent.id) == before
    assert before["registered_at"] is None and before["members"] == []
    assert db.scalar(select(func.count(User.id))) == 0
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("organisation.%"))) == 0
    # The contact address is told, with the link only its reader can follow.
    body = mailbox.body(mailbox.last_to(CONTACT))
    assert "Known Charity" in body and "/register?claim=" in body and "Nothing has changed" in body


def test_after_verifying_through_the_link_the_claim_applies(app, client, db, incumbent, mailbox):
    post_form(client, "/register", registration(db))
    link = path_of(mailbox.link_in_last(CONTACT, "/register?claim="))

    claimant = app.test_client()
    form = claimant.get(link).get_data(as_text=True)
    assert "already holds agreements" in form
    response = post_form(claimant, link, registration(db, organisation_name="Known Charity (Kent)"))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    stored = as_stored(db, incumbent.id)
    assert stored["name"] == "Known Charity (Kent)" and stored["address"] == "1 Real Road"
    assert stored["registered_at"] is not None and stored["members"] == [CONTACT]
    assert db.scalar(select(func.count(Organisation.id))) == 1
    assert "organisation.claimed" in set(db.scalars(select(AuditEvent.action)))

    claimant.get(path_of(mailbox.link_in_last(CONTACT, "/verify-email/")))
    assert post_form(claimant, "/sign-in", {"email": CONTACT, "password": PASSWORD}).status_code == 302
    assert "Known Charity (Kent)" in claimant.get("/dashboard").get_data(as_text=True)


def test_the_real_organisation_can_still_claim_it_after_an_imposter_tried(app, client, db, incumbent, mailbox):
    from portal.providers.services import make_claim_token

    post_form(client, "/register", registration(db, organisation_name="Imposter Ltd", full_name="Imposter"))
    with app.test_request_context():
        invitation = f"/register?claim={make_claim_token(incumbent)}"  # as the import's invitation sends it

    real = app.test_client()
    response = post_form(real, invitation, registration(db, email="office@known.example.org", full_name="Real Person"))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    stored = as_stored(db, incumbent.id)
    assert stored["name"] == "Known Charity" and stored["registered_at"] is not None
    assert stored["members"] == ["office@known.example.org"]

    # Once claimed, the old link and the number are spent.
    again = post_form(app.test_client(), "/register", registration(db, email=CONTACT))
    assert again.status_code == 400 and "already registered" in again.get_data(as_text=True)


def test_a_claimant_with_another_address_is_refused_as_before(client, db, incumbent):
    before = as_stored(db, incumbent.id)
    response = post_form(client, "/register", registration(db, email="someone@else.example.org"))
    assert response.status_code == 400 and "b…@known.example.org" in response.get_data(as_text=True)
    assert as_stored(db, incumbent.id) == before
