"""Importing the register: the whole file is checked first; re-importing changes nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.agreements.models import Agreement, AgreementExtension, AgreementSpend
from portal.providers.models import Organisation
from tests.agreements.conftest import GOOD_ROWS, HEADER, csv_file
from tests.support import post_form


def upload(client, file_and_name):
    return post_form(client, "/agreements/import", {"file": file_and_name}, content_type="multipart/form-data")


def agreement_count(db):
    return db.scalar(select(func.count(Agreement.id)))


def test_good_csv_imports_and_invites_new_providers(
    client, db, defaults, officer, login_as, mailbox, make_organisation
):
    known = make_organisation(name="Medway Valley Young Carers", charity_number="1098765")
    login_as(officer)
    response = upload(client, csv_file(*GOOD_ROWS))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Register imported" in html and "3 new, 0 updated, 0 unchanged" in html

    eip = db.scalar(select(Agreement).where(Agreement.reference == "EIP-1"))
    assert eip.organisation_id == known.id  # matched by charity number, not by the different name
    assert eip.annual_value_pence == 8_500_000 and {d.name for d in eip.districts} == {"Maidstone", "Swale"}
    assert {m.name for m in eip.delivery_modes} == {"FACE_TO_FACE", "OUTREACH"}
    dcs = db.scalar(select(Agreement).where(Agreement.reference == "DCS-1"))
    assert dcs.annual_value_pence == 4_000_050 and str(dcs.end_date) == "2011-09-30"
    assert str(dcs.original_end_date) == "2011-03-31" and len(dcs.extensions) == 1
    assert db.scalar(select(AgreementSpend.amount_pence).where(AgreementSpend.agreement_id == eip.id)) == 8_500_000

    new = db.scalar(select(Organisation).where(Organisation.name == "Brand New Trust"))
    assert new.registered_at is None and new.contact_email == "new@brand-new.example.org"
    assert "/register?claim=" in mailbox.body(mailbox.last_to("new@brand-new.example.org"))
    assert mailbox.to("hello@weald.example.org")  # also new (no match by company number or name)


def test_reimporting_the_same_file_changes_nothing(client, db, defaults, officer, login_as):
    login_as(officer)
    upload(client, csv_file(*GOOD_ROWS))
    before = (
        agreement_count(db),
        db.scalar(select(func.count(Organisation.id))),
        db.scalar(select(func.count(AgreementExtension.id))),
        db.scalar(select(func.count(AgreementSpend.id))),
    )
    response = upload(client, csv_file(*GOOD_ROWS))
    assert "0 new, 0 updated, 3 unchanged" in response.get_data(as_text=True)
    after = (
        agreement_count(db),
        db.scalar(select(func.count(Organisation.id))),
        db.scalar(select(func.count(AgreementExtension.id))),
        db.scalar(select(func.count(AgreementSpend.id))),
    )
    assert after == before


def test_a_changed_row_updates_its_agreement(client, db, defaults, officer, login_as):
    login_as(officer)
    upload(client, csv_file(*GOOD_ROWS))
    changed = GOOD_ROWS[0].replace('"£85,000"', "90000")
    response = upload(client, csv_file(changed, *GOOD_ROWS[1:]))
    assert "0 new, 1 updated, 2 unchanged" in response.get_data(as_text=True)
    assert db.scalar(select(Agreement.annual_value_pence).where(Agreement.reference == "EIP-1")) == 9_000_000


def test_xlsx_imports_the_same_as_csv(client, db, defaults, officer, login_as):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            "X-1",
            "Excel Trust",
            "1111111",
            None,
            "x@excel.example.org",
            "Family support",
            "Early Intervention & Prevention",
            "Swale",
            "Face-to-face",
            1500,
            "01/04/2010",
            "31/03/2012",
            None,
            None,
            1500,
        ]
    )
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    login_as(officer)
    response = upload(client, (data, "register.xlsx"))
    assert response.status_code == 200 and "1 new" in response.get_data(as_text=True)
    assert db.scalar(select(Agreement.annual_value_pence).where(Agreement.reference == "X-1")) == 150_000


BASE = GOOD_ROWS[2].split(",")


def row(**changes):
    columns = HEADER.lower().split(",")
    values = list(BASE)
    for name, value in changes.items():
        values[columns.index(name.replace("_", " ").replace("spend 2010 11", "spend 2010/11"))] = value
    return ",".join(values)


@pytest.mark.parametrize(
    "bad, column, reason",
    [
        (row(category="Astrology"), "category", "Unknown category"),
        (row(end_date="01/04/2009"), "end date", "End date must be on or after the start date"),
        (row(start_date="31/02/2010"), "start date", "is not a real date"),
        (row(end_date="next year"), "end date", "is not a real date"),
        (row(annual_value="-5"), "annual value", "must not be negative"),
        (row(annual_value="lots"), "annual value", "not an amount of money"),
        (row(districts="Atlantis"), "districts", "Unknown district"),
        (row(districts=""), "districts", "Enter at least one district"),
        (row(delivery_modes="Carrier pigeon"), "delivery modes", "Unknown delivery mode"),
        (row(reference=""), "reference", "Enter the agreement reference"),
        (row(charity_number="12AB"), "charity number", "not in the correct format"),
        (row(contact_email="not-an-email"), "contact email", "is not an email address"),
        (row(contact_email=""), "contact email", "enter a contact email to invite it"),
        (row(extended_end_date="01/01/2013"), "extended end date", "must be after the end date"),
    ],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_is_imported(
    client, db, defaults, officer, login_as, bad, column, reason
):
    login_as(officer)
    response = upload(client, csv_file(GOOD_ROWS[0], bad))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing has been imported" in html
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>' in html  # the bad row's number
    assert f'<td class="govuk-table__cell">{column}</td>' in html and reason in html
    assert agreement_count(db) == 0


def test_duplicate_reference_in_the_file(client, db, defaults, officer, login_as):
    login_as(officer)
    response = upload(client, csv_file(GOOD_ROWS[2], GOOD_ROWS[2]))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Duplicate reference: also on row 2" in html
    assert agreement_count(db) == 0


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"", "empty.csv", "The selected file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "register.csv", "must be a CSV or Excel"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "register.xlsx", "must be a CSV or Excel"),
        (b"PK\x03\x04not really a zip", "register.xlsx", "must be a CSV or Excel"),
        (b"name,colour\nx,blue\n", "register.csv", "missing these columns: reference"),
        (HEADER.encode() + b"\n", "register.csv", "no agreements"),
    ],
)
def test_unreadable_files_get_a_clear_message(client, db, defaults, officer, login_as, content, name, message):
    login_as(officer)
    response = upload(client, (io.BytesIO(content), name))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert agreement_count(db) == 0


def test_no_file_chosen(client, defaults, officer, login_as):
    login_as(officer)
    response = post_form(client, "/agreements/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Select a CSV or Excel file" in response.get_data(as_text=True)


def test_too_large_a_file(app, client, defaults, officer, login_as, monkeypatch):
    from portal.agreements.importing import reading

    monkeypatch.setattr(reading, "MAX_IMPORT_BYTES", 100)
    login_as(officer)
    response = upload(client, csv_file(*GOOD_ROWS))
    assert response.status_code == 400 and "must be smaller than" in response.get_data(as_text=True)


def test_incumbent_registers_through_its_invitation_and_finds_its_agreements(
    app, client, db, defaults, officer, login_as, mailbox
):
    from tests.conftest import PASSWORD
    from tests.support import path_of

    login_as(officer)
    upload(client, csv_file(GOOD_ROWS[2]))
    link = path_of(mailbox.link_in_last("new@brand-new.example.org", "/register?claim="))
    newcomer = app.test_client()
    form = newcomer.get(link).get_data(as_text=True)
    assert "Brand New Trust" in form and "already holds agreements" in form
    from portal.providers.models import District

    maidstone = db.scalar(select(District.id).where(District.name == "Maidstone"))
    response = post_form(
        newcomer,
        link,
        {
            "organisation_name": "Brand New Trust",
            "organisation_type": "OTHER",
            "charity_number": "",
            "company_number": "",
            "address_line_1": "1 Road",
            "town": "Maidstone",
            "postcode": "ME14 1XQ",
            "district_ids": [str(maidstone)],
            "full_name": "Ned New",
            "email": "ned@brand-new.example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    organisations = db.scalars(select(Organisation).where(Organisation.name == "Brand New Trust")).all()
    assert len(organisations) == 1 and organisations[0].registered_at is not None
    newcomer.get(path_of(mailbox.link_in_last("ned@brand-new.example.org", "/verify-email/")))
    post_form(newcomer, "/sign-in", {"email": "ned@brand-new.example.org", "password": PASSWORD})
    assert "LC-1" in newcomer.get("/dashboard").get_data(as_text=True)


def test_registering_with_an_incumbents_number_needs_the_invitation_or_its_contact_address(
    client, db, defaults, make_district
):
    from tests.conftest import PASSWORD

    db.add(Organisation(name="Known Charity", charity_number="1222222", contact_email="boss@known.example.org"))
    db.commit()
    district = make_district()
    data = {
        "organisation_name": "Known Charity",
        "organisation_type": "REGISTERED_CHARITY",
        "charity_number": "1222222",
        "address_line_1": "1 Road",
        "town": "Town",
        "postcode": "ME14 1XQ",
        "district_ids": [str(district.id)],
        "full_name": "Imposter",
        "email": "imposter@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    refused = post_form(client, "/register", data)
    assert refused.status_code == 400 and "b…@known.example.org" in refused.get_data(as_text=True)
    accepted = post_form(client, "/register", {**data, "email": "Boss@known.example.org"})
    assert accepted.status_code == 200
    assert db.scalar(select(func.count(Organisation.id)).where(Organisation.charity_number == "1222222")) == 1


# An agreement still running on the day of the import, extended in the register.
EXTENDED_ROW = (
    "EXT-1,Known Trust,1555555,,,Short breaks,Early Intervention & Prevention,Maidstone,Outreach,1000,"
    "01/04/2024,31/03/2027,30/09/2027,Framework delayed,"
)


def _extension_events(db):
    from portal.audit.models import AuditEvent

    return db.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.extended")).all()


@pytest.fixture
def incumbent_person(db, defaults, make_organisation, make_user):
    return make_user(organisation=make_organisation(name="Known Trust", charity_number="1555555"))


def test_imported_extensions_are_audited_and_noticed_by_default(
    client, db, at, officer, login_as, mailbox, incumbent_person
):
    from datetime import date

    from portal.agreements.models import EndingNotice, NoticeKind

    at(date(2026, 11, 23))
    login_as(officer)
    response = upload(client, csv_file(EXTENDED_ROW, GOOD_ROWS[1]))
    assert response.status_code == 200 and "2 extensions were recorded" in response.get_data(as_text=True)
    extended = db.scalar(select(Agreement).where(Agreement.reference == "EXT-1"))
    assert (extended.original_end_date, extended.end_date) == (date(2027, 3, 31), date(2027, 9, 30))
    events = _extension_events(db)
    assert len(events) == 2 and all(e.actor_id == officer.id for e in events)  # the 2011 one too
    assert {e.details["new_end_date"] for e in events} == {"2027-09-30", "2011-09-30"}
    # A notice only for the agreement still running: the one that ended in 2011 has nothing to act on.
    notices = db.scalars(select(EndingNotice).where(EndingNotice.kind == NoticeKind.EXTENSION)).all()
    assert [n.agreement_id for n in notices] == [extended.id]
    assert "extended to 30 September 2027" in mailbox.last_to(incumbent_person.email)["Subject"]


def test_the_officer_can_import_extensions_without_notices(
    client, db, at, officer, login_as, mailbox, incumbent_person
):
    from datetime import date

    from portal.agreements.models import EndingNotice

    at(date(2026, 11, 23))
    login_as(officer)
    page = client.get("/agreements/import").get_data(as_text=True)
    assert "Record the extensions without sending notices" in page
    response = post_form(
        client,
        "/agreements/import",
        {"file": csv_file(EXTENDED_ROW), "extension_notices": "none"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "1 extension was recorded" in response.get_data(as_text=True)
    assert len(_extension_events(db)) == 1
    assert db.scalar(select(func.count(EndingNotice.id))) == 0
    assert mailbox.to(incumbent_person.email) == []


def test_references_are_matched_whatever_their_case_in_batches(client, db, defaults, officer, login_as, monkeypatch):
    from portal.agreements.importing import applying

    monkeypatch.setattr(applying, "REFERENCES_PER_QUERY", 2)  # three references: two queries
    login_as(officer)
    upload(client, csv_file(*GOOD_ROWS))
    lower_case = [row.replace(row.split(",")[0], row.split(",")[0].lower(), 1) for row in GOOD_ROWS]
    response = upload(client, csv_file(*lower_case))
    assert "0 new, 0 updated, 3 unchanged" in response.get_data(as_text=True)
    assert agreement_count(db) == 3


def test_money_in_the_register_has_the_portals_one_bound(client, db, defaults, officer, login_as):
    login_as(officer)
    response = upload(client, csv_file(row(annual_value="1000000001"), row(reference="LC-2", annual_value="10.005")))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Annual value must be £1,000,000,000 or less" in html
    assert "Annual value must be an amount in pounds and pence" in html
    assert agreement_count(db) == 0
