"""A provider organisation registers, verifies its email, and signs in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.providers.models import Organisation
from tests.conftest import PASSWORD
from tests.support import path_of, post_form


@pytest.fixture
def districts(make_district):
    return [make_district("Maidstone"), make_district("Swale")]


def registration(districts, **changes):
    data = {
        "organisation_name": "Swale Youth Trust",
        "organisation_type": "REGISTERED_CHARITY",
        "charity_number": "1123456",
        "company_number": "",
        "address_line_1": "2 Bank Street",
        "address_line_2": "",
        "town": "Sittingbourne",
        "postcode": "me10 4aa",
        "district_ids": [str(d.id) for d in districts],
        "full_name": "Jo Bloggs",
        "email": "Jo@Swale-Youth.example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def counts(db):
    return (db.scalar(select(func.count(Organisation.id))), db.scalar(select(func.count(User.id))))


def test_register_verify_and_sign_in(client, db, districts, mailbox):
    response = post_form(client, "/register", registration(districts))
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)

    organisation = db.scalar(select(Organisation))
    user = db.scalar(select(User))
    assert organisation.charity_number == "1123456" and organisation.postcode == "ME10 4AA"
    assert {d.name for d in organisation.districts} == {"Maidstone", "Swale"}
    assert user.email == "jo@swale-youth.example.org" and user.is_organisation_admin
    assert user.role is Role.PROVIDER and user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"organisation.registered", "user.registered"} <= actions

    # Not verified yet: sign-in is refused and points to a new link.
    refused = post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/verify-email")

    link = mailbox.link_in_last("jo@swale-youth.example.org", "/verify-email/")
    verified = client.get(path_of(link))
    assert verified.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).email_verified_at is not None

    signed_in = post_form(client, "/sign-in", {"email": "JO@swale-youth.example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert "Swale Youth Trust" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"organisation_name": ""}, "organisation_name", "Enter your organisation"),
        ({"organisation_name": "x" * 161}, "organisation_name", "160 characters or fewer"),
        ({"organisation_type": None}, "organisation_type", "Select the type of organisation"),
        ({"organisation_type": "GOVERNMENT"}, "organisation_type", "Select the type of organisation"),
        ({"charity_number": "12AB"}, "charity_number", "correct format"),
        ({"charity_number": ""}, "charity_number", "Enter your charity number"),
        (
            {"organisation_type": "COMMUNITY_INTEREST_COMPANY", "charity_number": ""},
            "company_number",
            "Enter your Companies House number",
        ),
        ({"company_number": "ABC"}, "company_number", "correct format"),
        ({"postcode": "NOT A PC"}, "postcode", "Enter a real postcode"),
        ({"postcode": ""}, "postcode", "Enter postcode"),
        ({"district_ids": None}, "district_ids", "Select the districts"),
        ({"district_ids": ["999999"]}, "district_ids", "from the list"),
        ({"email": "not-an-email"}, "email", "correct format"),
        ({"email": ("a" * 250) + "@x.org"}, "email", "254 characters or fewer"),
        ({"password": "short", "confirm": "short"}, "password", "12 characters or more"),
        ({"password": "passwordpassword", "confirm": "passwordpassword"}, "password", "too common"),
        ({"confirm": "something-else-entirely"}, "confirm", "Passwords must match"),
        ({"full_name": ""}, "full_name", "Enter your full name"),
    ],
)
def test_bad_registration_is_refused_with_nothing_saved(client, db, districts, mailbox, changes, field, message):
    response = post_form(client, "/register", registration(districts, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html and f'href="#{field}"' in html
    assert message in html
    assert counts(db) == (0, 0)
    assert mailbox.messages == []


def test_duplicate_numbers_are_refused(client, db, districts, make_organisation):
    make_organisation(charity_number="1123456")
    response = post_form(client, "/register", registration(districts))
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    # Spaces and case do not get round it either
    make_organisation(charity_number="1200000").company_number = None
    db.execute(
        Organisation.__table__.update()
        .where(Organisation.charity_number == "1200000")
        .values(company_number="SC123456")
    )
    db.commit()
    response = post_form(
        client, "/register", registration(districts, charity_number="1999999", company_number="sc 123456")
    )
    assert response.status_code == 400
    assert "Companies House number is already registered" in response.get_data(as_text=True)
    assert counts(db) == (2, 0)


def test_registering_an_address_already_in_use_reveals_nothing(client, db, districts, make_user, mailbox):
    existing = make_user(email="jo@swale-youth.example.org")
    before = counts(db)
    response = post_form(client, "/register", registration(districts))
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert counts(db) == before
    assert "already has an account" in mailbox.body(mailbox.last_to(existing.email))


def test_missing_csrf_token_is_a_400_with_error_summary(client, db, districts):
    response = client.post("/register", data=registration(districts))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and "<title>Error: " in html
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "nonsense"])
def test_tampered_verification_link_is_refused(client, db, districts, mailbox, mangle):
    post_form(client, "/register", registration(districts))
    token = mailbox.link_in_last("jo@swale-youth.example.org", "/verify-email/").rsplit("/", 1)[1]
    response = client.get(f"/verify-email/{mangle(token)}")
    assert response.status_code == 400 and "This link is not valid" in response.get_data(as_text=True)
    assert db.scalar(select(User)).email_verified_at is None


def test_expired_verification_link_is_refused(app, client, db, districts, mailbox, monkeypatch):
    post_form(client, "/register", registration(districts))
    link = mailbox.link_in_last("jo@swale-youth.example.org", "/verify-email/")
    monkeypatch.setitem(app.config, "VERIFY_TOKEN_MAX_AGE", -1)
    response = client.get(path_of(link))
    assert response.status_code == 400 and "This link has expired" in response.get_data(as_text=True)
    assert db.scalar(select(User)).email_verified_at is None


def test_resend_verification_reveals_nothing(client, make_user, mailbox):
    user = make_user(verified=False)
    for address in (user.email, "nobody@example.org"):
        response = post_form(client, "/verify-email", {"email": address})
        assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert len(mailbox.to(user.email)) == 1 and mailbox.to("nobody@example.org") == []


def test_every_problem_with_what_was_typed_is_shown_at_once(client, db, districts):
    response = post_form(
        client,
        "/register",
        registration(districts, charity_number="12AB", postcode="XX1", password="password", confirm="password"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Enter a charity number in the correct format", "Enter a real postcode"):
        assert message in html
    assert html.count('href="#password"') == 1  # the weak password too, linked from the summary
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("arrange", ["new address", "address with an account", "incumbent's contact address"])
def test_every_way_registration_can_end_hashes_the_password(client, db, districts, make_user, monkeypatch, arrange):
    """Only new addresses used to be hashed: ~260 ms against ~50 ms told a stranger which
    addresses have accounts (issue 9, item 4)."""
    from tests.accounts.hasher import count_hasher_calls

    if arrange == "address with an account":
        make_user(email="jo@swale-youth.example.org")
    elif arrange == "incumbent's contact address":
        db.add(Organisation(name="Known Charity", charity_number="1123456", contact_email="jo@swale-youth.example.org"))
        db.commit()
    calls = count_hasher_calls(monkeypatch)
    response = post_form(client, "/register", registration(districts))
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert calls == ["hash"]
