"""Quality-assurance evidence: uploads, downloads, flags, archiving and expiry reminders."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.clock import now as utcnow
from portal.db import transaction
from portal.files import StoredFile
from portal.providers.evidence import EXPIRED, EXPIRES_BEFORE_START, EXPIRES_SOON, evidence_flags, send_reminders
from portal.providers.models import Evidence, EvidenceKind
from tests.conftest import PASSWORD
from tests.support import csrf_token_from, post_form

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
PDF = b"%PDF-1.4\n% insurance certificate\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def clock(app, monkeypatch):
    def set_now(moment: datetime):
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)

    set_now(NOW)
    return set_now


def sign_in(app, user):
    client = app.test_client()
    assert post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def upload(
    client,
    content=PDF,
    filename="certificate.pdf",
    kind="INSURANCE",
    title="Public liability insurance",
    expires=("31", "3", "2027"),
):
    data = {"kind": kind, "title": title, "file": (io.BytesIO(content), filename), "expires_on": list(expires)}
    return post_form(client, "/organisation/evidence/new", data, content_type="multipart/form-data")


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_upload_keeps_the_file_with_its_hash_for_the_organisation_only(app, db, make_user):
    provider = make_user()
    client = sign_in(app, provider)
    organisation_page = client.get("/organisation").get_data(as_text=True)
    assert 'href="/organisation/evidence"' in organisation_page and "Quality-assurance evidence" in organisation_page

    response = upload(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation/evidence")
    evidence = db.scalar(select(Evidence))
    assert evidence.organisation_id == provider.organisation_id and evidence.kind is EvidenceKind.INSURANCE
    assert evidence.title == "Public liability insurance" and evidence.expires_on == date(2027, 3, 31)
    assert evidence.uploaded_by_id == provider.id and evidence.uploaded_at == NOW
    assert evidence.file.sha256 == hashlib.sha256(PDF).hexdigest() and evidence.file.filename == "certificate.pdf"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.added"))
    assert event.actor_id == provider.id and event.details["sha256"] == evidence.file.sha256

    page = client.get("/organisation/evidence").get_data(as_text=True)
    assert "Public liability insurance" in page and "Insurance certificate" in page and "31 March 2027" in page
    assert "23 November 2026" in page  # uploaded
    download = client.get(f"/organisation/evidence/{evidence.id}/file")
    assert download.status_code == 200 and download.get_data() == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"] == "application/pdf"

    colleague = sign_in(app, make_user(organisation=provider.organisation, is_organisation_admin=False))
    assert colleague.get(f"/organisation/evidence/{evidence.id}/file").get_data() == PDF

    stranger = sign_in(app, make_user())
    assert stranger.get(f"/organisation/evidence/{evidence.id}/file").status_code == 404
    assert "Public liability insurance" not in stranger.get("/organisation/evidence").get_data(as_text=True)
    refused = post_form(
        stranger, f"/organisation/evidence/{evidence.id}/archive", {}, form_url="/organisation/evidence"
    )
    assert refused.status_code == 404
    assert (
        sign_in(app, make_user(role=Role.OFFICER)).get(f"/organisation/evidence/{evidence.id}/file").status_code == 403
    )
    db.expire_all()
    assert db.get(Evidence, evidence.id).archived_at is None


def test_archiving_takes_it_out_of_the_list(app, db, make_user):
    provider = make_user()
    client = sign_in(app, provider)
    upload(client)
    evidence = db.scalar(select(Evidence))
    response = post_form(client, f"/organisation/evidence/{evidence.id}/archive", {}, form_url="/organisation/evidence")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Evidence, evidence.id).archived_at == NOW
    assert "has been archived" in client.get("/organisation/evidence").get_data(as_text=True)
    assert "Public liability insurance" not in client.get("/organisation/evidence").get_data(as_text=True)
    assert client.get(f"/organisation/evidence/{evidence.id}/file").status_code == 200  # bids may still hold it
    again = post_form(client, f"/organisation/evidence/{evidence.id}/archive", {}, form_url="/organisation/evidence")
    assert again.status_code == 400 and "already been archived" in again.get_data(as_text=True)
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "evidence.archived")) == 1


@pytest.mark.parametrize(
    "content, filename, message",
    [
        (b"MZ\x90\x00 a program, called a PDF", "policy.pdf", "The selected file must be a PDF, Word, Excel"),
        (b"<html><script>alert(1)</script></html>", "policy.docx", "The selected file must be a PDF, Word, Excel"),
        (b"", "empty.pdf", "The selected file is empty"),
    ],
)
def test_a_disguised_or_empty_file_is_refused_and_nothing_saved(app, db, make_user, content, filename, message):
    client = sign_in(app, make_user())
    response = upload(client, content=content, filename=filename)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, Evidence) == 0 and count(db, StoredFile) == 0


def test_an_oversize_file_is_refused(app, db, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1024 * 1024)
    client = sign_in(app, make_user())
    page = client.get("/organisation/evidence/new").get_data(as_text=True)
    # Encoded here: the test client would spool a body this large to a temporary file it never closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": csrf_token_from(page),
            "kind": "INSURANCE",
            "title": "Insurance",
            "file": FileStorage(io.BytesIO(PDF + b"0" * (1024 * 1024)), "certificate.pdf"),
        }
    )
    response = client.post(
        "/organisation/evidence/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert "The selected file must be smaller than 1MB" in response.get_data(as_text=True)
    assert count(db, Evidence) == 0 and count(db, StoredFile) == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"kind": ""}, "Select what kind of document it is"),
        ({"kind": "NOT_A_KIND"}, "Select what kind of document it is"),
        ({"title": ""}, "Enter a title for the document"),
        ({"expires": ("31", "2", "2027")}, "Expiry date (optional) must be a real date"),
        ({"expires": ("1", "11", "2026")}, "this document has already expired"),
    ],
)
def test_form_errors(app, db, make_user, changes, message):
    client = sign_in(app, make_user())
    response = upload(client, **changes)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(db, Evidence) == 0


def test_no_file_selected(app, db, make_user):
    client = sign_in(app, make_user())
    response = post_form(
        client,
        "/organisation/evidence/new",
        {"kind": "INSURANCE", "title": "Insurance", "expires_on": ["", "", ""]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "Select a file" in response.get_data(as_text=True)
    assert count(db, Evidence) == 0


def test_an_expiry_date_is_optional(app, db, make_user):
    client = sign_in(app, make_user())
    assert (
        upload(client, kind="SAFEGUARDING_POLICY", title="Safeguarding policy", expires=("", "", "")).status_code == 302
    )
    assert db.scalar(select(Evidence)).expires_on is None
    assert "Does not expire" in client.get("/organisation/evidence").get_data(as_text=True)


def test_flags():
    evidence = Evidence(expires_on=date(2027, 3, 31))
    assert evidence_flags(evidence, date(2027, 4, 1)) == EXPIRED
    assert evidence_flags(evidence, date(2027, 4, 1), contract_start=date(2027, 6, 1)) == EXPIRED
    assert evidence_flags(evidence, date(2027, 3, 31)) is None  # valid through its last day
    assert evidence_flags(evidence, date(2027, 1, 1), contract_start=date(2027, 4, 1)) == EXPIRES_BEFORE_START
    assert evidence_flags(evidence, date(2027, 1, 1), contract_start=date(2027, 3, 31)) is None
    assert evidence_flags(Evidence(expires_on=None), date(2030, 1, 1), contract_start=date(2031, 1, 1)) is None


def test_the_list_flags_expired_and_soon_to_expire_documents(app, db, make_user, clock):
    client = sign_in(app, make_user())
    upload(client, title="Insurance 2026", expires=("10", "12", "2026"))
    upload(client, kind="ACCOUNTS", title="Accounts 2025", expires=("30", "6", "2027"))
    page = client.get("/organisation/evidence").get_data(as_text=True)
    assert page.count(EXPIRES_SOON) == 1 and EXPIRED not in page
    clock(datetime(2026, 12, 11, 12, tzinfo=UTC))
    page = client.get("/organisation/evidence").get_data(as_text=True)
    assert page.count(EXPIRED) == 1 and EXPIRES_SOON not in page


# --- Reminders ------------------------------------------------------------------------------


def add(db, organisation, title, expires_on, archived=False):
    stored = StoredFile(
        filename=f"{title}.pdf",
        content_type="application/pdf",
        kind="PDF",
        size=len(PDF),
        sha256=hashlib.sha256(title.encode()).hexdigest(),
    )
    db.add(stored)
    db.flush()
    evidence = Evidence(
        organisation_id=organisation.id,
        kind=EvidenceKind.INSURANCE,
        title=title,
        file_id=stored.id,
        expires_on=expires_on,
        archived_at=utcnow() if archived else None,
    )
    db.add(evidence)
    db.commit()
    return evidence


@pytest.fixture
def organisation_people(db, make_organisation, make_user):
    organisation = make_organisation()
    active = [make_user(organisation=organisation, email=f"person{n}@charity.example.org") for n in (1, 2)]
    gone = make_user(organisation=organisation, email="gone@charity.example.org")
    gone.deactivated_at = utcnow()
    make_user(organisation=organisation, email="unverified@charity.example.org", verified=False)
    db.commit()
    return organisation, [u.email for u in active]


def run_reminders(app) -> int:
    """What the worker runs: no request, one transaction."""
    with app.app_context(), transaction() as session:
        return send_reminders(session, TODAY)


def test_reminders_go_once_per_expiry_to_active_people(app, db, mailbox, organisation_people, make_organisation):
    organisation, emails = organisation_people
    due = add(db, organisation, "Employers liability", TODAY + timedelta(days=10))
    add(db, organisation, "Accounts", TODAY + timedelta(days=90))
    add(db, organisation, "Old insurance", TODAY + timedelta(days=5), archived=True)
    add(db, organisation, "Lapsed accreditation", TODAY - timedelta(days=1))
    add(db, organisation, "Policy", None)
    other = add(db, make_organisation(), "Their insurance", TODAY + timedelta(days=30))  # nobody to tell

    assert run_reminders(app) == 2
    assert sorted(m["To"] for m in mailbox.messages) == emails
    message = mailbox.last_to(emails[0])
    assert message["Subject"] == "Employers liability expires on 3 December 2026"
    body = mailbox.body(message)
    assert "(in 10 days)" in body and "/organisation/evidence" in body
    db.expire_all()
    assert db.get(Evidence, due.id).reminder_sent_for == due.expires_on
    assert db.get(Evidence, other.id).reminder_sent_for == other.expires_on

    mailbox.clear()
    assert run_reminders(app) == 0
    assert mailbox.messages == []

    # Renewed with a new expiry date inside the window: a new reminder.
    renewed = db.get(Evidence, due.id)
    renewed.expires_on = TODAY + timedelta(days=20)
    db.commit()
    assert run_reminders(app) == 2
    assert {m["Subject"] for m in mailbox.messages} == {"Employers liability expires on 13 December 2026"}
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "evidence.reminder_sent")) == 3


def test_the_command_sends_reminders(app, db, mailbox, organisation_people):
    organisation, emails = organisation_people
    add(db, organisation, "Safeguarding accreditation", TODAY + timedelta(days=30))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["evidence", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 evidence reminders sent"
    assert sorted(m["To"] for m in mailbox.messages) == emails
    assert "http://127.0.0.1:5000/organisation/evidence" in mailbox.body(mailbox.last_to(emails[0]))
    again = runner.invoke(args=["evidence", "send-reminders"])
    assert again.output.strip() == "0 evidence reminders sent" and len(mailbox.messages) == 2
