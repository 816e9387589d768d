"""The executive decisions register: recording, validation, documents, the public pages."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.agreements.models import ServiceCategory
from portal.audit.models import AuditEvent
from portal.decisions import services
from portal.decisions.models import Decision, DecisionDocument
from portal.errors import RuleViolation
from portal.tenders.models import Tender, TenderStatus
from tests.conftest import PASSWORD
from tests.support import csrf_token_from, post_form

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Decision 22/00094, as the council published it.
SEED = {
    "number": "22/00094",
    "title": "Family Hubs Transformation",
    "decision_maker": "Cabinet Member for Integrated Children's Services",
    "status": "Recommendations Approved",
    "is_key_decision": "yes",
    "is_subject_to_call_in": "no",
    "is_urgent": "yes",
    "is_exempt": "no",
    "lead_officer": "Director of Integrated Children's Services",
    "division": "Children, Young People and Education",
    "reasons": "To explore how the Family Hubs model could work in Kent.\n\n"
    "Prior to any implementation or delivery of Family Hubs, detailed proposals will be subject to "
    "further decision-making.",
    "decision_text": "As Cabinet Member for Integrated Children's Services, I agree:\n\n"
    "a. the principle of adopting a Family Hub Model of provision for Open Access Services in Kent.",
    "decision_date": ["14", "10", "2022"],
    "publication_date": ["14", "10", "2022"],
}


@pytest.fixture
def officer(make_user):
    return make_user(role=Role.OFFICER)


def signed_in(app, user):
    client = app.test_client()
    assert post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _count(db, model=Decision):
    return db.scalar(select(func.count(model.id)))


def summary_rows(html: str) -> list[tuple[str, str]]:
    """The decision's summary list as (key, value) text, tags and spacing removed."""
    start = html.index('id="decision-summary"')
    block = html[start : html.index("</dl>", start)]
    text = lambda fragment: " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())  # noqa: E731
    return [(text(k), text(v)) for k, v in re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", block, re.S)]


def make_decision(db, number, title="Recommissioning", decision_date=date(2026, 10, 1), **fields):
    decision = Decision(
        number=number,
        title=title,
        decision_maker="Cabinet Member",
        status=fields.pop("status", "Approved"),
        reasons="Reasons.",
        decision_text="Decision.",
        decision_date=decision_date,
        publication_date=fields.pop("publication_date", decision_date),
        **fields,
    )
    db.add(decision)
    db.commit()
    return decision


def test_officer_records_the_seed_decision_and_its_document(app, client, db, officer, login_as):
    login_as(officer)
    response = post_form(client, "/decisions/new", SEED)
    decision = db.scalar(select(Decision))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/decisions/{decision.id}/documents/new"
    assert (
        decision.number,
        decision.is_key_decision,
        decision.is_subject_to_call_in,
        decision.is_urgent,
        decision.is_exempt,
        decision.decision_date,
        decision.publication_date,
        decision.recorded_by_id,
    ) == ("22/00094", True, False, True, False, date(2022, 10, 14), date(2022, 10, 14), officer.id)
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "decision")) == "decision.recorded"

    upload = post_form(
        client,
        f"/decisions/{decision.id}/documents/new",
        {"title": "Equality Impact Assessment", "file": (io.BytesIO(PDF), "EqIA Family Hubs.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302 and upload.headers["Location"] == f"/decisions/{decision.id}"
    document = db.scalar(select(DecisionDocument))
    assert document.title == "Equality Impact Assessment" and document.decision_id == decision.id

    public = app.test_client()
    html = public.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert html.count("<h1") == 1 and "22/00094 – Family Hubs Transformation" in html
    assert summary_rows(html) == [
        ("Decision maker", "Cabinet Member for Integrated Children's Services"),
        ("Decision status", "Recommendations Approved"),
        ("Key decision", "Yes"),
        ("Subject to call-in", "No (urgent decision)"),
        (
            "Takes effect",
            "14 October 2022 Not subject to call-in (it is an urgent decision), so it took effect when it was made",
        ),
        ("Urgent item", "Yes"),
        ("Exempt from publication", "No"),
        ("Lead officer", "Director of Integrated Children's Services"),
        ("Division", "Children, Young People and Education"),
        ("Date of decision", "14 October 2022"),
        ("Publication date", "14 October 2022"),
    ]
    assert "Reasons for the decision" in html and "To explore how the Family Hubs model could work in Kent." in html
    assert '<p class="govuk-body">Prior to any implementation' in html  # paragraphs kept
    assert "a. the principle of adopting a Family Hub Model" in html
    link = f"/decisions/{decision.id}/documents/{document.id}"
    assert f'href="{link}"' in html and "Equality Impact Assessment" in html
    documents = html[html.index('id="documents"') :]
    assert re.search(r"Equality Impact Assessment</a>\s*<span[^>]*>PDF, 1KB</span>", documents)

    download = public.get(link)
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="EqIA Family Hubs.pdf"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"number": "2200094"}, "two digits, a slash and five digits"),
        ({"number": "22/0094"}, "two digits, a slash and five digits"),
        ({"number": "2022/00094"}, "two digits, a slash and five digits"),
        ({"number": "AB/00094"}, "two digits, a slash and five digits"),
        ({"number": ""}, "Enter the decision number"),
        ({"title": ""}, "Enter the title"),
        ({"title": "x" * 201}, "Title must be 200 characters or fewer"),
        ({"decision_maker": "  "}, "Enter the decision maker"),
        ({"status": ""}, "Select the decision status"),
        ({"status": "Made up"}, "Select the decision status"),
        ({"is_key_decision": ""}, "Select yes if it is a key decision"),
        ({"is_urgent": "maybe"}, "Select yes if it is an urgent item"),
        ({"reasons": ""}, "Enter the reasons for the decision"),
        ({"decision_text": ""}, "Enter the decision"),
        ({"decision_date": ["", "", ""]}, "Enter the date of the decision"),
        ({"decision_date": ["31", "2", "2022"]}, "Date of decision must be a real date"),
        ({"publication_date": ["13", "10", "2022"]}, "The publication date must be the same as or after"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_saved(client, db, officer, login_as, changes, message):
    login_as(officer)
    response = post_form(client, "/decisions/new", {**SEED, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and message in html
    assert _count(db) == 0
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "decision.recorded")) == 0


def test_a_decision_number_is_recorded_once(client, db, officer, login_as):
    make_decision(db, "22/00094")
    login_as(officer)
    response = post_form(client, "/decisions/new", SEED)
    assert response.status_code == 400
    assert "Decision 22/00094 has already been recorded" in response.get_data(as_text=True)
    assert _count(db) == 1


def test_the_service_refuses_bad_data_itself(db, officer):
    data = services.DecisionData(
        number="22/94",
        title="",
        decision_maker="Cabinet Member",
        status="Approved",
        is_key_decision=None,
        is_subject_to_call_in=False,
        is_urgent=False,
        is_exempt=False,
        reasons="Reasons",
        decision_text="Decision",
        decision_date=date(2022, 10, 14),
        publication_date=date(2022, 10, 13),
    )
    fields = [problem.field for problem in services.decision_problems(db, data)]
    assert fields == ["number", "title", "is_key_decision", "publication_date"]
    with pytest.raises(RuleViolation) as refused:
        services.record_decision(db, officer, data)
    assert refused.value.field == "number"
    db.rollback()
    assert _count(db) == 0


def test_a_disallowed_document_is_refused(client, db, officer, login_as):
    decision = make_decision(db, "22/00001")
    login_as(officer)
    response = post_form(
        client,
        f"/decisions/{decision.id}/documents/new",
        {"title": "Report", "file": (io.BytesIO(b"MZ\x90\x00 not a document"), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The selected file must be a PDF, Word, Excel, OpenDocument, PNG or JPEG file" in response.get_data(
        as_text=True
    )
    missing = post_form(
        client, f"/decisions/{decision.id}/documents/new", {"title": "Report"}, content_type="multipart/form-data"
    )
    assert missing.status_code == 400 and "Select a file" in missing.get_data(as_text=True)
    untitled = post_form(
        client,
        f"/decisions/{decision.id}/documents/new",
        {"title": "", "file": (io.BytesIO(PDF), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert untitled.status_code == 400 and "Enter the document" in untitled.get_data(as_text=True)
    assert _count(db, DecisionDocument) == 0
    assert client.get("/decisions/999999/documents/new").status_code == 404


def test_only_officers_and_admins_record(app, client, db, make_user):
    decision = make_decision(db, "22/00002")
    assert client.get("/decisions/new").status_code == 302  # to sign in
    for role, status in ((Role.PROVIDER, 403), (Role.EVALUATOR, 403), (Role.OFFICER, 200), (Role.ADMIN, 200)):
        user_client = signed_in(app, make_user(role=role))
        assert user_client.get("/decisions/new").status_code == status, role
        assert user_client.get(f"/decisions/{decision.id}/documents/new").status_code == status, role
    provider = signed_in(app, make_user())
    token = csrf_token_from(provider.get("/decisions").get_data(as_text=True))
    assert provider.post("/decisions/new", data={**SEED, "csrf_token": token}).status_code == 403
    assert _count(db) == 1


def test_the_register_lists_decisions_newest_first(client, db, make_user, login_as):
    make_decision(db, "21/00001", title="Oldest", decision_date=date(2021, 5, 1))
    make_decision(db, "23/00001", title="Newest", decision_date=date(2023, 5, 1))
    make_decision(db, "22/00001", title="Middle", decision_date=date(2022, 5, 1))
    html = client.get("/decisions").get_data(as_text=True)
    assert html.index("23/00001") < html.index("22/00001") < html.index("21/00001")
    assert "3 decisions" in html and "Record a decision" not in html
    login_as(make_user(role=Role.OFFICER))
    assert 'href="/decisions/new"' in client.get("/decisions").get_data(as_text=True)


def test_a_decision_lists_the_tenders_it_authorised(app, client, db, make_user):
    decision = make_decision(db, "22/00094", title="Family Hubs Transformation")
    category = ServiceCategory(name="Early Intervention & Prevention")
    db.add(category)
    db.flush()
    db.add_all(
        [
            Tender(
                reference="KCC-DEC-OPEN",
                title="Open hubs tender",
                category_id=category.id,
                decision_id=decision.id,
                status=TenderStatus.PUBLISHED,
                published_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
            ),
            Tender(
                reference="KCC-DEC-DRAFT",
                title="Draft hubs tender",
                category_id=category.id,
                decision_id=decision.id,
                status=TenderStatus.DRAFT,
            ),
        ]
    )
    db.commit()
    public = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert 'href="/opportunities/KCC-DEC-OPEN"' in public and "KCC-DEC-DRAFT" not in public
    provider = signed_in(app, make_user()).get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "KCC-DEC-OPEN" in provider and "KCC-DEC-DRAFT" not in provider
    staff = signed_in(app, make_user(role=Role.OFFICER)).get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "KCC-DEC-OPEN" in staff and "KCC-DEC-DRAFT" in staff


def test_decision_404s(client, db):
    one = make_decision(db, "22/00003")
    other = make_decision(db, "22/00004")
    db.add(DecisionDocument(decision_id=other.id, title="Report", file=_stored(db)))
    db.commit()
    document = db.scalar(select(DecisionDocument))
    assert client.get("/decisions/999999").status_code == 404
    assert client.get(f"/decisions/{one.id}/documents/{document.id}").status_code == 404
    assert client.get(f"/decisions/{other.id}/documents/999999").status_code == 404


def _stored(db):
    from portal.files import StoredFile

    return StoredFile(filename="report.pdf", content_type="application/pdf", kind="PDF", size=len(PDF), sha256="0" * 64)


def test_every_problem_the_service_finds_is_shown_at_once(client, db, officer, login_as):
    make_decision(db, "22/00094")
    login_as(officer)
    response = post_form(client, "/decisions/new", {**SEED, "publication_date": ["13", "10", "2022"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Decision 22/00094 has already been recorded" in html
    assert "The publication date must be the same as or after" in html
    assert _count(db) == 1


@pytest.mark.parametrize(
    "role, may_record",
    [(None, False), (Role.PROVIDER, False), (Role.EVALUATOR, False), (Role.OFFICER, True), (Role.ADMIN, True)],
)
def test_the_record_button_and_the_recording_pages_agree(app, db, make_user, role, may_record):
    from portal.decisions.policies import can_record

    decision = make_decision(db, "22/00001")
    user = make_user(role=role) if role is not None else None
    client = app.test_client() if user is None else signed_in(app, user)
    index = client.get("/decisions").get_data(as_text=True)
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert ("Record a decision" in index) is may_record
    assert ("Add a document" in page) is may_record
    assert (client.get("/decisions/new").status_code == 200) is may_record
    if user is not None:
        assert can_record(user) is may_record


# --- Call-in and when a decision takes effect ------------------------------------------------


@pytest.mark.parametrize(
    "published, ends",
    [
        (date(2026, 9, 21), date(2026, 9, 28)),  # a Monday: the 5 working days after it
        (date(2026, 9, 25), date(2026, 10, 2)),  # a Friday: the weekend does not count
        (date(2026, 12, 24), date(2027, 1, 5)),  # Christmas, Boxing Day (on the 28th) and New Year's Day do not
        (date(2026, 11, 27), date(2026, 12, 4)),  # St Andrew's Day is a Scottish holiday: a working day in Kent
        (date(2026, 4, 2), date(2026, 4, 13)),  # Good Friday and Easter Monday
    ],
)
def test_the_call_in_period_is_5_clear_working_days_after_publication(published, ends):
    from portal.decisions.call_in import call_in_ends

    assert call_in_ends(published) == ends


def test_a_decision_subject_to_call_in_shows_when_the_period_ends_and_when_it_takes_effect(
    app, client, db, monkeypatch
):
    def fixed_today(day: date) -> None:
        monkeypatch.setitem(app.config, "FIXED_NOW", datetime.combine(day, time(12), tzinfo=UTC))

    decision = make_decision(
        db,
        "26/01702",
        decision_date=date(2026, 9, 20),
        publication_date=date(2026, 9, 21),
        is_key_decision=True,
        is_subject_to_call_in=True,
    )
    fixed_today(date(2026, 9, 24))
    rows = dict(summary_rows(client.get(f"/decisions/{decision.id}").get_data(as_text=True)))
    assert rows["Subject to call-in"] == "Yes"
    assert rows["Call-in period ends"] == "28 September 2026"
    assert rows["Takes effect"] == (
        "29 September 2026 Unless it is called in for scrutiny before the call-in period ends"
    )
    fixed_today(date(2026, 11, 23))
    rows = dict(summary_rows(client.get(f"/decisions/{decision.id}").get_data(as_text=True)))
    assert rows["Takes effect"] == "29 September 2026 It was not called in during the call-in period"


@pytest.mark.parametrize(
    "status, says",
    [
        ("Item Called In", "Not yet: the decision has been called in for scrutiny by councillors"),
        ("Withdrawn", "It does not take effect: the decision is withdrawn"),
        ("Deferred", "Not yet: the decision has not been made"),
        ("For Determination", "Not yet: the decision has not been made"),
    ],
)
def test_a_decision_called_in_or_withdrawn_gives_no_date(client, db, status, says):
    decision = make_decision(db, "26/01703", status=status, is_subject_to_call_in=True)
    rows = dict(summary_rows(client.get(f"/decisions/{decision.id}").get_data(as_text=True)))
    assert rows["Takes effect"] == says and rows["Call-in period ends"] == "8 October 2026"


def test_a_decision_not_subject_to_call_in_took_effect_when_made(client, db):
    decision = make_decision(db, "26/01704", decision_date=date(2026, 10, 1))
    rows = dict(summary_rows(client.get(f"/decisions/{decision.id}").get_data(as_text=True)))
    assert rows["Subject to call-in"] == "No" and "Call-in period ends" not in rows
    assert rows["Takes effect"].startswith("1 October 2026 Not subject to call-in, so")


def test_a_decision_without_documents_says_so(client, db):
    decision = make_decision(db, "26/01705")
    html = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert ">Documents</h2>" in html and "No documents have been published with this decision yet." in html


def test_the_decision_form_has_no_none_hints(client, db, officer, login_as):
    login_as(officer)
    html = client.get("/decisions/new").get_data(as_text=True)
    assert ">None<" not in html and not re.search(r"govuk-hint[^>]*>\s*None\s*<", html)
    for hint in ("A key decision spends or saves", "takes effect 5 clear working days", "not subject to call-in"):
        assert hint in html


# --- The demo's decision: its prose moves with its dates ------------------------------------


def test_the_demo_decision_prose_moves_with_its_dates():
    from portal.tenders.demo_data import DECISION, decision_for

    assert decision_for(0) == DECISION
    moved = decision_for(15)
    assert moved["decision_date"] == date(2026, 9, 20) and moved["publication_date"] == date(2026, 9, 21)
    assert "end on 31 March 2027" in moved["reasons"] and "services from April 2027" in moved["reasons"]
    assert "from 1 April 2027" in moved["decision_text"]
    assert not re.search(r"\b20(0\d|1\d)\b", moved["reasons"] + moved["decision_text"])


def test_the_demo_decisions_have_their_documents(app, db):
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    for number in ("11/01702", "22/00094"):
        decision = db.scalar(select(Decision).where(Decision.number == number))
        assert [d.title for d in decision.documents] == ["Record of decision", "Report to the Cabinet Member"]
