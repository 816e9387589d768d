"""The officers' pages through the test client: building a draft, refusing bad
input without saving half of it, publishing, amending, cancelling and answering
clarification questions."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.agreements.models import Agreement, EndingNotice
from portal.audit.models import AuditEvent
from portal.files import StoredFile
from portal.tenders import services
from portal.tenders.models import (
    Amendment,
    Clarification,
    Lot,
    Question,
    QuestionKind,
    QuestionnaireSection,
    Tender,
    TenderDocument,
    TenderStatus,
    TieBreak,
)
from tests.support import Mailbox, count_queries, csrf_token_from, post_form
from tests.tenders.conftest import NOW, commit_and_send

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def fresh(db, model, object_id):
    db.expire_all()
    return db.get(model, object_id)


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def refused(response, *messages):
    """A failed POST: 400, the error summary, and each message shown."""
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:3000]
    assert "govuk-error-summary" in html and "<title>Error: " in html
    for message in messages:
        assert message in html, f"{message!r} not in the page"
    return html


def date_parts(moment) -> list[str]:
    return [str(moment.day), str(moment.month), str(moment.year)]


def timetable_data(**overrides) -> dict:
    data = {
        "clarification_deadline": ["7", "12", "2026"],
        "clarification_deadline_time": "17:00",
        "answers_by": ["10", "12", "2026"],
        "answers_by_time": "12:00",
        "submission_deadline": ["21", "12", "2026"],
        "submission_deadline_time": "12:00",
        "evaluation_date": ["4", "1", "2027"],
        "intended_award_date": ["1", "2", "2027"],
        "standstill_end_date": ["12", "2", "2027"],
        "contract_start_date": ["1", "4", "2027"],
    }
    data.update(overrides)
    return data


def timetable_of(tender) -> dict:
    return {
        name: getattr(tender, name)
        for name in (
            "clarification_deadline",
            "answers_by",
            "submission_deadline",
            "evaluation_date",
            "intended_award_date",
            "standstill_end_date",
            "contract_start_date",
        )
    }


@pytest.fixture
def signed_in_officer(officer, login_as, clock_at):
    login_as(officer)
    return officer


@pytest.fixture
def officer_signed_in_by_form(officer, sign_in_through_form, clock_at):
    """For the tests that count audit rows: signing in through the form writes the one
    sign-in row they expect beside whatever the refused change did not write."""
    sign_in_through_form(officer)
    return officer


@pytest.fixture
def category(make_category):
    return make_category("Early Intervention & Prevention")


def details_data(category, **overrides) -> dict:
    data = {
        "reference": "KCC-EIP-2027",
        "title": "Early help for families",
        "description": "Family support.",
        "category_id": str(category.id),
        "estimated_value_pence": "£1,250,000.50",
        "procedure": "OPEN",
        "is_light_touch": "yes",
        "is_framework": "no",
    }
    data.update(overrides)
    return data


# --- Creating a draft ------------------------------------------------------------


def test_officer_creates_a_draft_and_sees_its_checklist(client, db, signed_in_officer, category):
    listing = client.get("/tenders")
    assert listing.status_code == 200 and "Create a tender" in listing.get_data(as_text=True)
    response = post_form(client, "/tenders/new", details_data(category))
    assert response.status_code == 302
    tender = db.scalar(select(Tender).where(Tender.reference == "KCC-EIP-2027"))
    assert response.headers["Location"] == f"/tenders/{tender.id}"
    assert tender.status is TenderStatus.DRAFT and tender.estimated_value_pence == 125_000_050
    assert tender.category_id == category.id and tender.is_light_touch is True and tender.is_framework is False
    assert tender.created_by_id == signed_in_officer.id
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "tender.created")).object_id == tender.id
    overview = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Draft KCC-EIP-2027 created" in overview
    for item in (
        "Add at least one lot",
        "Enter the submission deadline",
        "Link the executive decision that authorised this tender",
        "Record the conflicts of interest assessment",
        "Add the lots first",  # the questionnaire's weights are per lot
    ):
        assert item in overview
    assert f'href="/tenders/{tender.id}/details"' in overview
    assert "£1,250,000.50" in client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    listed = client.get("/tenders").get_data(as_text=True)
    assert "KCC-EIP-2027" in listed and "Draft" in listed


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reference", "", "Enter the reference"),
        ("title", "  ", "Enter the title"),
        ("category_id", "", "Select the service category"),
        ("category_id", "999999", "Select the service category"),
        ("estimated_value_pence", "", "Enter the estimated total value"),
        ("estimated_value_pence", "-5", "Estimated total value cannot be negative"),
        ("estimated_value_pence", "about a million", "Estimated total value must be an amount in pounds"),
        ("estimated_value_pence", "12.345", "must be in pounds and pence"),
        ("estimated_value_pence", "NaN", "Estimated total value must be an amount in pounds"),
        ("estimated_value_pence", "999999999999", "Estimated total value must be less than"),
        ("procedure", "SECRET", "Select the procedure"),
        ("is_framework", "", "Select yes if this is a framework"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_saved(
    client, db, officer_signed_in_by_form, category, field, value, message
):
    response = post_form(client, "/tenders/new", details_data(category, **{field: value}))
    html = refused(response, message)
    assert f'href="#{field}"' in html
    assert count(db, Tender) == 0 and count(db, AuditEvent) == 1  # only the sign-in


def test_a_reference_in_use_is_refused_whatever_its_case(client, db, signed_in_officer, category, make_tender):
    make_tender(reference="KCC-EIP-2027")
    response = post_form(client, "/tenders/new", details_data(category, reference="kcc-eip-2027"))
    refused(response, "A tender with this reference already exists")
    assert count(db, Tender) == 1


def test_details_can_be_changed_while_draft_only(client, db, signed_in_officer, category, make_tender):
    tender = make_tender(category=category)
    response = post_form(
        client,
        f"/tenders/{tender.id}/details",
        details_data(category, reference=tender.reference, title="A better title"),
    )
    assert response.status_code == 302 and fresh(db, Tender, tender.id).title == "A better title"

    published = make_tender(category=category, published=True)
    response = post_form(
        client,
        f"/tenders/{published.id}/details",
        details_data(category, reference=published.reference, title="Sneaky change"),
    )
    refused(response, "This tender has been published: change it by publishing an amendment")
    assert fresh(db, Tender, published.id).title != "Sneaky change"


# --- Timetable -------------------------------------------------------------------


def test_the_timetable_is_read_as_london_time_and_stored_in_utc(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    data = timetable_data(
        clarification_deadline=["20", "5", "2027"],
        answers_by=["25", "5", "2027"],
        submission_deadline=["1", "6", "2027"],
        submission_deadline_time="17:00",
        evaluation_date=["8", "6", "2027"],
        intended_award_date=["1", "7", "2027"],
        standstill_end_date=["12", "7", "2027"],
        contract_start_date=["1", "10", "2027"],
    )
    response = post_form(client, f"/tenders/{tender.id}/timetable", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    saved = fresh(db, Tender, tender.id)
    # British Summer Time: 5pm in London is 4pm UTC.
    assert saved.submission_deadline == datetime(2027, 6, 1, 16, 0, tzinfo=UTC)
    assert saved.clarification_deadline == datetime(2027, 5, 20, 16, 0, tzinfo=UTC)
    assert saved.contract_start_date.isoformat() == "2027-10-01"
    overview = client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    assert "1 June 2027 at 5:00pm" in overview
    form = client.get(f"/tenders/{tender.id}/timetable").get_data(as_text=True)
    assert 'value="17:00"' in form  # prefilled back in London time


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {
                "clarification_deadline": ["18", "11", "2026"],
                "answers_by": ["19", "11", "2026"],
                "submission_deadline": ["20", "11", "2026"],
            },
            "submission_deadline-day",
            "The submission deadline must be in the future",
        ),
        (
            {
                "clarification_deadline": ["21", "12", "2026"],
                "clarification_deadline_time": "12:30",
                "answers_by": ["", "", ""],
                "answers_by_time": "",
            },
            "clarification_deadline-day",
            "Clarification questions must close before the submission deadline",
        ),
        ({"answers_by": ["1", "12", "2026"]}, "answers_by-day", "Answers cannot be due before questions close"),
        (
            {"answers_by": ["22", "12", "2026"]},
            "answers_by-day",
            "Answers must be published before the submission deadline",
        ),
        (
            {"contract_start_date": ["20", "12", "2026"]},
            "contract_start_date-day",
            "The contract must start after the submission deadline",
        ),
        (
            {"submission_deadline_time": "25:00"},
            "submission_deadline_time",
            "Time of the submission deadline must be a time on the 24-hour clock, like 17:00",
        ),
        ({"submission_deadline_time": "5pm"}, "submission_deadline_time", "must be a time on the 24-hour clock"),
        ({"submission_deadline_time": ""}, "submission_deadline_time", "Enter the time for submission deadline"),
        ({"submission_deadline": ["", "", ""]}, "submission_deadline-day", "Enter the date of the submission deadline"),
        (
            {"submission_deadline": ["21", "", "2026"]},
            "submission_deadline-day",
            "Submission deadline must include a month",
        ),
        (
            {"submission_deadline": ["31", "2", "2027"]},
            "submission_deadline-day",
            "Submission deadline must be a real date",
        ),
    ],
)
def test_a_bad_timetable_is_refused_and_nothing_is_saved(
    client, db, officer_signed_in_by_form, make_tender, overrides, field, message
):
    tender = make_tender()
    before = timetable_of(tender)
    response = post_form(client, f"/tenders/{tender.id}/timetable", timetable_data(**overrides))
    html = refused(response, message)
    assert f'href="#{field}"' in html
    assert timetable_of(fresh(db, Tender, tender.id)) == before
    assert count(db, AuditEvent) == 1  # only the sign-in


def test_the_timetable_of_a_published_tender_is_changed_by_amendment_only(client, db, signed_in_officer, make_tender):
    tender = make_tender(published=True)
    before = timetable_of(tender)
    response = post_form(
        client, f"/tenders/{tender.id}/timetable", timetable_data(submission_deadline=["4", "1", "2027"])
    )
    refused(response, "This tender has been published")
    assert timetable_of(fresh(db, Tender, tender.id)) == before


# --- Evaluation method ------------------------------------------------------------


def method_data(**overrides):
    data = {
        "quality_weight": "60",
        "price_weight": "40",
        "minimum_quality_score": "55",
        "tie_break": "PRICE_THEN_QUALITY",
    }
    data.update({f"descriptor_{score}": f"Meaning of {score}" for score in range(6)})
    data.update(overrides)
    return data


def test_the_evaluation_method_is_saved(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    page = client.get(f"/tenders/{tender.id}/evaluation-method").get_data(as_text=True)
    assert "Excellent: exceeds the requirement" in page  # prefilled from the defaults
    response = post_form(client, f"/tenders/{tender.id}/evaluation-method", method_data())
    assert response.status_code == 302
    saved = fresh(db, Tender, tender.id)
    assert (saved.quality_weight, saved.price_weight, saved.minimum_quality_score) == (60, 40, 55)
    assert saved.score_descriptors == {str(s): f"Meaning of {s}" for s in range(6)}
    assert saved.tie_break is TieBreak.PRICE_THEN_QUALITY


def test_the_tie_break_must_be_chosen_and_is_published_with_the_price_formula(
    client, db, signed_in_officer, make_tender
):
    tender = make_tender(status=TenderStatus.DRAFT)
    response = post_form(client, f"/tenders/{tender.id}/evaluation-method", method_data(tie_break=""))
    refused(response, "Select how bids with equal scores are ranked")
    tender = fresh(db, Tender, tender.id)
    tender.tie_break = None
    db.commit()
    checklist = client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    assert "Choose how bids with equal total scores are ranked" in checklist
    post_form(client, f"/tenders/{tender.id}/evaluation-method", method_data())
    page = client.get(f"/tenders/{tender.id}/evaluation-method").get_data(as_text=True)
    # The published formula with a worked example in this tender's own price weight (40).
    assert "lowest price ÷ your price × 40" in page
    assert "80,000 ÷ 100,000 × 40 = 32.00" in page
    assert "The lower price ranks first" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"price_weight": "30"}, "Quality and price must total 100%: they total 90%"),
        ({"quality_weight": "sixty"}, "Quality must be a whole number"),
        ({"quality_weight": "160", "price_weight": "-60"}, "Quality must be between 0 and 100"),
        ({"minimum_quality_score": ""}, "Enter the minimum quality score"),
        ({"descriptor_3": " "}, "Describe what a score of 3 means"),
    ],
)
def test_a_bad_evaluation_method_is_refused(client, db, signed_in_officer, make_tender, overrides, message):
    tender = make_tender()
    response = post_form(client, f"/tenders/{tender.id}/evaluation-method", method_data(**overrides))
    refused(response, message)
    saved = fresh(db, Tender, tender.id)
    assert (saved.quality_weight, saved.price_weight, saved.minimum_quality_score) == (70, 30, 50)


# --- Lots -------------------------------------------------------------------------


def lot_data(districts, **overrides):
    data = {
        "title": "West Kent",
        "description": "Maidstone and around",
        "district_ids": [str(d.id) for d in districts],
        "modes": ["FACE_TO_FACE", "VIRTUAL"],
        "estimated_annual_value_pence": "85,000",
        "max_providers": "3",
        "pricing_instructions": "Give an annual price.",
    }
    data.update(overrides)
    return data


def test_lots_are_added_numbered_changed_and_removed(client, db, signed_in_officer, make_tender, make_district):
    tender = make_tender(lots=0)
    maidstone, swale = make_district("Maidstone"), make_district("Swale")
    assert post_form(client, f"/tenders/{tender.id}/lots/new", lot_data([maidstone, swale])).status_code == 302
    assert post_form(client, f"/tenders/{tender.id}/lots/new", lot_data([swale], title="East Kent")).status_code == 302
    lots = fresh(db, Tender, tender.id).lots
    assert [(lot.number, lot.title) for lot in lots] == [(1, "West Kent"), (2, "East Kent")]
    first = lots[0]
    assert {d.name for d in first.districts} == {"Maidstone", "Swale"}
    assert {m.name for m in first.delivery_modes} == {"FACE_TO_FACE", "VIRTUAL"}
    assert first.estimated_annual_value_pence == 85_000_00 and first.max_providers == 3

    edit_url = f"/tenders/{tender.id}/lots/{first.id}"
    assert 'value="85000"' in client.get(edit_url).get_data(as_text=True)
    response = post_form(client, edit_url, lot_data([swale], modes=["OUTREACH"], max_providers="1"))
    assert response.status_code == 302
    changed = fresh(db, Lot, first.id)
    assert [d.name for d in changed.districts] == ["Swale"] and changed.delivery_modes[0].name == "OUTREACH"

    response = post_form(client, f"/tenders/{tender.id}/lots/{first.id}/remove", {})
    assert response.status_code == 302
    assert [(lot.number, lot.title) for lot in fresh(db, Tender, tender.id).lots] == [(1, "East Kent")]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "Enter the lot&#39;s title"),
        ({"district_ids": []}, "Select the districts the lot covers"),
        ({"district_ids": ["abc"]}, "Select the districts the lot covers"),
        ({"modes": []}, "Select how the services are delivered"),
        ({"modes": ["TELEPATHY"]}, "Select how the services are delivered from the list"),
        ({"estimated_annual_value_pence": "-1"}, "Estimated annual value cannot be negative"),
        ({"estimated_annual_value_pence": "lots"}, "Estimated annual value must be an amount in pounds"),
        ({"max_providers": "0"}, "Maximum number of providers must be between 1 and 1,000"),
        ({"max_providers": "two"}, "Maximum number of providers must be a whole number"),
    ],
)
def test_a_bad_lot_is_refused_and_not_added(
    client, db, signed_in_officer, make_tender, make_district, overrides, message
):
    tender = make_tender(lots=0)
    response = post_form(client, f"/tenders/{tender.id}/lots/new", lot_data([make_district()], **overrides))
    refused(response, message)
    assert count(db, Lot) == 0


def test_lots_of_a_published_tender_cannot_change(client, db, signed_in_officer, make_tender, make_district):
    tender = make_tender(published=True)
    response = post_form(client, f"/tenders/{tender.id}/lots/new", lot_data([make_district()]))
    refused(response, "This tender has been published")
    lot = tender.lots[0]
    refused(post_form(client, f"/tenders/{tender.id}/lots/{lot.id}/remove", {}), "This tender has been published")
    assert count(db, Lot) == 2


def test_another_tenders_lot_is_not_found(client, signed_in_officer, make_tender):
    tender, other = make_tender(), make_tender()
    assert client.get(f"/tenders/{tender.id}/lots/{other.lots[0].id}").status_code == 404
    assert client.get("/tenders/999999").status_code == 404


# --- Questionnaire ---------------------------------------------------------------


def test_questions_are_added_and_the_weight_totals_warn(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    page = client.get(f"/tenders/{tender.id}/questionnaire").get_data(as_text=True)
    assert "Must total 100%" not in page
    quality = next(s for s in tender.sections if s.kind is QuestionKind.QUALITY)
    lot_two = tender.lots[1]
    response = post_form(
        client,
        f"/tenders/{tender.id}/questionnaire/sections/{quality.id}/questions/new",
        {
            "text": "How will you involve young people?",
            "guidance": "Give examples",
            "word_limit": "300",
            "weight": "10",
            "lot_ids": [str(lot_two.id)],
        },
    )
    assert response.status_code == 302
    question = db.scalar(select(Question).where(Question.text == "How will you involve young people?"))
    assert question.kind is QuestionKind.QUALITY and question.weight == 10 and question.word_limit == 300
    assert [lot.number for lot in question.lots] == [2]
    assert services.quality_weight_totals(fresh(db, Tender, tender.id)) == {1: 100, 2: 110}
    page = client.get(f"/tenders/{tender.id}/questionnaire").get_data(as_text=True)
    assert "110%" in page and "Must total 100%" in page
    overview = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "The quality question weights for lot 2 total 110%: they must total 100%" in overview


def test_sections_and_pass_or_fail_questions(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    response = post_form(
        client, f"/tenders/{tender.id}/questionnaire/sections/new", {"title": "Safeguarding", "kind": "PASS_FAIL"}
    )
    assert response.status_code == 302
    section = db.scalar(select(QuestionnaireSection).where(QuestionnaireSection.title == "Safeguarding"))
    assert section.position == 3 and section.kind is QuestionKind.PASS_FAIL
    url = f"/tenders/{tender.id}/questionnaire/sections/{section.id}/questions/new"
    before = count(db, Question)
    refused(
        post_form(client, url, {"text": "Do you have a safeguarding policy?", "guidance": ""}),
        "Select the answer that passes",
    )
    refused(post_form(client, url, {"text": "", "passing_answer": "yes"}), "Enter the question")
    assert count(db, Question) == before
    assert (
        post_form(client, url, {"text": "Do you have a safeguarding policy?", "passing_answer": "yes"}).status_code
        == 302
    )
    question = db.scalar(select(Question).where(Question.section_id == section.id))
    assert question.passing_answer is True and question.kind is QuestionKind.PASS_FAIL and question.weight == 0

    refused(
        post_form(
            client,
            f"/tenders/{tender.id}/questionnaire/sections/{section.id}",
            {"title": "Safeguarding", "kind": "QUALITY"},
        ),
        "Remove the section&#39;s questions before changing its kind",
    )
    section_id, question_id = section.id, question.id
    assert post_form(client, f"/tenders/{tender.id}/questionnaire/sections/{section_id}/remove", {}).status_code == 302
    assert fresh(db, QuestionnaireSection, section_id) is None and db.get(Question, question_id) is None


def test_a_quality_question_out_of_range_is_refused(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    quality = next(s for s in tender.sections if s.kind is QuestionKind.QUALITY)
    url = f"/tenders/{tender.id}/questionnaire/sections/{quality.id}/questions/new"
    other = make_tender()
    before = count(db, Question)
    refused(post_form(client, url, {"text": "Q", "weight": "101"}), "Weight must be between 0 and 100")
    refused(
        post_form(client, url, {"text": "Q", "weight": "5", "word_limit": "0"}),
        "The word limit must be between 1 and 100,000",
    )
    refused(
        post_form(client, url, {"text": "Q", "weight": "5", "lot_ids": [str(other.lots[0].id)]}),
        "Select lots from the list",
    )
    refused(
        post_form(client, url, {"text": "Q", "weight": "5", "minimum_score": "6"}),
        "The minimum score must be between 0 and 5",
    )
    assert count(db, Question) == before


def test_a_quality_question_may_have_a_minimum_score(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    quality = next(s for s in tender.sections if s.kind is QuestionKind.QUALITY)
    url = f"/tenders/{tender.id}/questionnaire/sections/{quality.id}/questions/new"
    response = post_form(client, url, {"text": "How do you keep children safe?", "weight": "5", "minimum_score": "2"})
    assert response.status_code == 302
    question = db.scalar(select(Question).where(Question.text == "How do you keep children safe?"))
    assert question.minimum_score == 2


# --- Documents --------------------------------------------------------------------


def upload(client, tender, content, filename, **fields):
    page = client.get(f"/tenders/{tender.id}/documents")
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "kind": "SPECIFICATION",
        "title": "Service specification",
        "file": (io.BytesIO(content), filename),
        **fields,
    }
    return client.post(f"/tenders/{tender.id}/documents", data=data, content_type="multipart/form-data")


def test_a_disguised_program_is_refused(client, db, signed_in_officer, make_tender):
    tender = make_tender(with_eia=False)
    response = upload(client, tender, EXE, "specification.pdf")
    refused(response, "The selected file must be a PDF, Word, Excel, OpenDocument, PNG or JPEG file")
    assert count(db, TenderDocument) == 0 and count(db, StoredFile) == 0


@pytest.mark.parametrize(
    "fields, message",
    [({"title": ""}, "Enter the document&#39;s title"), ({"kind": "SECRET"}, "Select the kind of document")],
)
def test_a_document_without_its_details_is_refused(client, db, signed_in_officer, make_tender, fields, message):
    tender = make_tender(with_eia=False)
    refused(upload(client, tender, PDF, "spec.pdf", **fields), message)
    assert count(db, TenderDocument) == 0 and count(db, StoredFile) == 0


def test_a_document_is_uploaded_downloaded_and_removed(client, db, signed_in_officer, make_tender):
    tender = make_tender(with_eia=False)
    response = upload(client, tender, PDF, "../../Spec <v2>.pdf")
    assert response.status_code == 302
    document = db.scalar(select(TenderDocument).where(TenderDocument.tender_id == tender.id))
    assert document.title == "Service specification" and document.file.filename == "Spec v2.pdf"
    download = client.get(f"/tenders/{tender.id}/documents/{document.id}/file")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert post_form(client, f"/tenders/{tender.id}/documents/{document.id}/remove", {}).status_code == 302
    assert count(db, TenderDocument) == 0


def test_the_document_field_must_have_a_file(client, db, signed_in_officer, make_tender):
    tender = make_tender(with_eia=False)
    refused(post_form(client, f"/tenders/{tender.id}/documents", {"kind": "TERMS", "title": "Terms"}), "Select a file")
    assert count(db, TenderDocument) == 0


# --- Conflicts, decision, agreements ------------------------------------------------


def test_conflicts_decision_and_replaced_agreements(
    client, db, signed_in_officer, make_tender, make_decision, make_organisation, make_category, category
):
    tender = make_tender(category=category)
    refused(
        post_form(client, f"/tenders/{tender.id}/conflicts", {"conflicts_assessment": "  "}),
        "Enter the conflicts of interest assessment",
    )
    assert (
        post_form(
            client,
            f"/tenders/{tender.id}/conflicts",
            {"conflicts_assessment": "Two panel members declared trusteeships."},
        ).status_code
        == 302
    )
    saved = fresh(db, Tender, tender.id)
    assert saved.conflicts_assessment == "Two panel members declared trusteeships."
    assert saved.conflicts_assessed_by_id == signed_in_officer.id and saved.conflicts_assessed_at == NOW

    older = make_decision(number="21/00001", decision_date=NOW.date() - timedelta(days=400))
    newer = make_decision(number="26/00002", decision_date=NOW.date() - timedelta(days=5))
    page = client.get(f"/tenders/{tender.id}/decision").get_data(as_text=True)
    assert page.index("26/00002") < page.index("21/00001")  # newest first
    refused(
        post_form(client, f"/tenders/{tender.id}/decision", {"decision_id": ""}),
        "Select the decision that authorised this tender",
    )
    assert post_form(client, f"/tenders/{tender.id}/decision", {"decision_id": str(older.id)}).status_code == 302
    assert fresh(db, Tender, tender.id).decision_id == older.id
    assert newer.id != older.id

    incumbent = make_organisation()
    start = tender.contract_start_date

    def agreement(reference, end, category_id=category.id):
        made = Agreement(
            reference=reference,
            organisation_id=incumbent.id,
            service_name=f"Service {reference}",
            category_id=category_id,
            annual_value_pence=1,
            start_date=start - timedelta(days=900),
            original_end_date=end,
            end_date=end,
        )
        db.add(made)
        db.commit()
        return made

    later_ending = agreement("A-2", start)
    sooner_ending = agreement("A-1", start - timedelta(days=30))
    too_late = agreement("A-3", start + timedelta(days=1))
    other_category = agreement(
        "A-4", start - timedelta(days=1), category_id=make_category("Disabled Children's Services").id
    )
    page = client.get(f"/tenders/{tender.id}/agreements").get_data(as_text=True)
    page = re.sub(r'name="csrf_token"[^>]*>', "", page)  # a random token may contain "A-4"
    assert "A-1" in page and "A-2" in page and "A-3" not in page and "A-4" not in page
    assert page.index("A-1") < page.index("A-2")  # soonest ending first
    refused(
        post_form(client, f"/tenders/{tender.id}/agreements", {"agreement_ids": [str(too_late.id)]}),
        "Select agreements from the list",
    )
    response = post_form(
        client, f"/tenders/{tender.id}/agreements", {"agreement_ids": [str(sooner_ending.id), str(later_ending.id)]}
    )
    assert response.status_code == 302
    db.expire_all()
    assert {a.reference for a in db.scalars(select(Agreement).where(Agreement.replacement_tender_id == tender.id))} == {
        "A-1",
        "A-2",
    }
    assert db.get(Agreement, other_category.id).replacement_tender_id is None
    assert db.scalars(select(EndingNotice)).all() == []  # told on publication, not before


# --- Publishing ---------------------------------------------------------------------


def test_publishing_is_refused_with_the_checklist_then_allowed(
    client, db, officer_signed_in_by_form, make_tender, make_decision, make_user, mailbox: Mailbox
):
    tender = make_tender(decision_id=None)
    tender.decision_id = None
    db.commit()
    assert client.get(f"/tenders/{tender.id}/publish").headers["Location"] == f"/tenders/{tender.id}/check"
    page = client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    assert "Link the executive decision that authorised this tender" in page
    assert f'href="/tenders/{tender.id}/decision"' in page

    response = post_form(client, f"/tenders/{tender.id}/publish", {}, form_url=f"/tenders/{tender.id}")
    refused(response, "Link the executive decision that authorised this tender")
    assert fresh(db, Tender, tender.id).status is TenderStatus.DRAFT
    assert count(db, AuditEvent) == 1

    decision = make_decision()
    assert post_form(client, f"/tenders/{tender.id}/decision", {"decision_id": str(decision.id)}).status_code == 302
    watcher = make_user()
    with client.application.test_request_context():
        services.set_alert_preferences(db, watcher, [tender.category_id], [])
    db.commit()
    page = client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    assert "Publish tender" in page and "Link the executive decision" not in page
    response = post_form(client, f"/tenders/{tender.id}/publish", {}, form_url=f"/tenders/{tender.id}/check")
    assert response.status_code == 302 and response.headers["Location"] == f"/tenders/{tender.id}"
    published = fresh(db, Tender, tender.id)
    assert published.status is TenderStatus.PUBLISHED and published.published_at == NOW
    overview = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "has been published" in overview and "Open for bids until 21 December 2026 at midday" in overview
    assert tender.reference in mailbox.last_to(watcher.email)["Subject"]
    again = post_form(client, f"/tenders/{tender.id}/publish", {}, form_url=f"/tenders/{tender.id}")
    refused(again, "This tender has been published")


# --- Amending and cancelling -------------------------------------------------------


def amendment_data(tender, **overrides):
    from portal.dates import LONDON

    data = {"reason": "More time for consortium bids", "description": tender.description}
    for name in ("clarification_deadline", "answers_by", "submission_deadline"):
        local = getattr(tender, name).astimezone(LONDON)
        data[name], data[f"{name}_time"] = date_parts(local), local.strftime("%H:%M")
    for name in ("evaluation_date", "intended_award_date", "standstill_end_date", "contract_start_date"):
        data[name] = date_parts(getattr(tender, name))
    data.update(overrides)
    return data


def test_an_amendment_through_the_page(app, client, db, signed_in_officer, make_tender, make_user, mailbox: Mailbox):
    tender = make_tender(published=True)
    provider = make_user()
    with app.test_request_context():
        services.register_interest(db, provider, tender)
    db.commit()
    form = client.get(f"/tenders/{tender.id}/amend").get_data(as_text=True)
    assert 'value="12:00"' in form and tender.description in form  # prefilled

    later = tender.submission_deadline + timedelta(days=7)
    response = post_form(
        client, f"/tenders/{tender.id}/amend", amendment_data(tender, submission_deadline=date_parts(later))
    )
    assert response.status_code == 302
    amendment = db.scalar(select(Amendment).where(Amendment.tender_id == tender.id))
    assert amendment.reason == "More time for consortium bids"
    assert [c["field"] for c in amendment.changes] == ["submission_deadline"]
    assert fresh(db, Tender, tender.id).submission_deadline == later
    body = mailbox.body(mailbox.last_to(provider.email))
    assert "More time for consortium bids" in body and "28 December 2026 at midday" in body
    overview = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "Amendment 1" in overview and "21 December 2026 at midday" in overview

    earlier = later - timedelta(days=1)
    html = refused(
        post_form(
            client,
            f"/tenders/{tender.id}/amend",
            amendment_data(fresh(db, Tender, tender.id), submission_deadline=date_parts(earlier)),
        ),
        "The submission deadline can only be extended, not brought forward",
    )
    assert 'href="#submission_deadline-day"' in html
    refused(
        post_form(client, f"/tenders/{tender.id}/amend", amendment_data(fresh(db, Tender, tender.id), reason="")),
        "Enter the reason for the amendment",
    )
    refused(
        post_form(client, f"/tenders/{tender.id}/amend", amendment_data(fresh(db, Tender, tender.id))),
        "Nothing has changed",
    )
    assert count(db, Amendment) == 1 and fresh(db, Tender, tender.id).submission_deadline == later


def test_a_draft_cannot_be_amended(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    refused(
        post_form(client, f"/tenders/{tender.id}/amend", amendment_data(tender, description="Changed")),
        "Only a tender that is open for bids can be amended",
    )
    assert count(db, Amendment) == 0 and fresh(db, Tender, tender.id).description != "Changed"


def test_cancelling_through_the_page(client, db, signed_in_officer, make_tender):
    tender = make_tender(published=True)
    refused(post_form(client, f"/tenders/{tender.id}/cancel", {"reason": " "}), "Enter the reason for cancelling")
    assert fresh(db, Tender, tender.id).status is TenderStatus.PUBLISHED
    response = post_form(client, f"/tenders/{tender.id}/cancel", {"reason": "Funding withdrawn"})
    assert response.status_code == 302
    cancelled = fresh(db, Tender, tender.id)
    assert cancelled.status is TenderStatus.CANCELLED and cancelled.cancellation_reason == "Funding withdrawn"
    assert "Funding withdrawn" in client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    refused(post_form(client, f"/tenders/{tender.id}/cancel", {"reason": "Again"}), "cannot be cancelled")


def test_a_tender_past_its_deadline_shows_closed_and_the_worker_closes_it(
    app, client, db, signed_in_officer, make_tender, clock_at
):
    def close_due() -> str:
        return app.test_cli_runner().invoke(args=["tenders", "close-due"]).output

    tender = make_tender(published=True)
    assert "Open for bids until" in client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    clock_at(tender.submission_deadline - timedelta(seconds=1))
    client.get(f"/tenders/{tender.id}")
    assert "0 tenders closed" in close_due()
    assert fresh(db, Tender, tender.id).status is TenderStatus.PUBLISHED
    clock_at(tender.submission_deadline)
    # The page never writes: before the worker runs, it shows the tender closed at its deadline, and
    # offers nothing that needs it open.
    before = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert fresh(db, Tender, tender.id).status is TenderStatus.PUBLISHED
    assert "Closed 21 December 2026 at midday" in before and "Open for bids until" not in before
    assert f'href="/tenders/{tender.id}/amend"' not in before
    assert "1 tenders closed" in close_due()
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    closed = fresh(db, Tender, tender.id)
    assert closed.status is TenderStatus.CLOSED and closed.closed_at == tender.submission_deadline
    assert "Closed 21 December 2026 at midday" in page


# --- Clarification questions ------------------------------------------------------


@pytest.fixture
def asked(app, db, make_tender, make_organisation, make_user):
    """A published tender; an asker from 'Hidden Asker Trust', a colleague, and
    an interested provider from elsewhere; one question."""
    tender = make_tender(published=True)
    organisation = make_organisation(name="Hidden Asker Trust")
    asker = make_user(organisation=organisation)
    colleague = make_user(organisation=organisation)
    other = make_user()
    bystander = make_user()
    with app.test_request_context():
        services.register_interest(db, other, tender)
        clarification = services.ask(db, asker, tender, "Will TUPE apply to our staff?", NOW)
        commit_and_send(db)
    return tender, clarification, asker, colleague, other, bystander


def previewed_digest(html: str) -> str:
    match = re.search(
        r'name="previewed" type="hidden" value="([0-9a-f]+)"|value="([0-9a-f]+)"[^>]*name="previewed"', html
    )
    assert match, "the preview page has no fingerprint of the draft"
    return match.group(1) or match.group(2)


def draft(client, tender, clarification, text, audience, published_question=None):
    """Write (or rewrite) the answer: saved as a draft, nothing sent."""
    return post_form(
        client,
        f"/tenders/{tender.id}/questions/{clarification.id}/answer",
        {
            "answer": text,
            "audience": audience,
            "published_question": clarification.question if published_question is None else published_question,
        },
    )


def send(client, tender, clarification):
    """Send the draft from its preview page, as the officer saw it."""
    preview_url = f"/tenders/{tender.id}/questions/{clarification.id}/preview"
    page = client.get(preview_url)
    assert page.status_code == 200, page.headers.get("Location")
    html = page.get_data(as_text=True)
    return client.post(
        f"/tenders/{tender.id}/questions/{clarification.id}/send",
        data={"csrf_token": csrf_token_from(html), "previewed": previewed_digest(html)},
    )


def answer(client, tender, clarification, text, audience):
    """Write the answer, then send it from the preview: the officer's whole journey."""
    drafted = draft(client, tender, clarification, text, audience)
    if drafted.status_code != 302:
        return drafted
    assert drafted.headers["Location"] == f"/tenders/{tender.id}/questions/{clarification.id}/preview"
    return send(client, tender, clarification)


def test_officers_see_who_asked(client, signed_in_officer, asked):
    tender, clarification, *_ = asked
    page = client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "Hidden Asker Trust" in page and "Will TUPE apply to our staff?" in page
    assert f'href="/tenders/{tender.id}/questions/{clarification.id}/answer"' in page


def test_a_published_answer_goes_to_every_interested_provider_without_naming_the_asker(
    client, db, signed_in_officer, asked, mailbox: Mailbox
):
    tender, clarification, asker, colleague, other, bystander = asked
    response = answer(client, tender, clarification, "Yes, TUPE is likely to apply.", "everyone")
    assert response.status_code == 302
    saved = fresh(db, Clarification, clarification.id)
    assert saved.is_published is True and saved.answer == "Yes, TUPE is likely to apply."
    assert saved.answered_by_id == signed_in_officer.id and saved.answered_at == NOW
    for person in (asker, colleague, other):
        message = mailbox.last_to(person.email)
        text = message["Subject"] + mailbox.body(message)
        assert "Yes, TUPE is likely to apply." in text and "Will TUPE apply to our staff?" in text
        for identity in ("Hidden Asker Trust", asker.full_name, asker.email):
            assert identity not in text
    assert mailbox.to(bystander.email) == []


def test_a_private_answer_goes_to_the_askers_organisation_only(client, db, signed_in_officer, asked, mailbox: Mailbox):
    tender, clarification, asker, colleague, other, bystander = asked
    assert answer(client, tender, clarification, "Only for you.", "asker").status_code == 302
    assert fresh(db, Clarification, clarification.id).is_published is False
    for person in (asker, colleague):
        assert "Only for you." in mailbox.body(mailbox.last_to(person.email))
    assert mailbox.to(other.email) == [] and mailbox.to(bystander.email) == []


@pytest.mark.parametrize(
    "text, audience, wording, message, anchor",
    [
        ("", "everyone", None, "Enter the answer", "answer"),
        ("An answer", "", None, "Select who should see the answer", "audience"),
        ("An answer", "everyone", " ", "Enter the question as it will be published", "published_question"),
    ],
)
def test_a_bad_answer_is_refused(
    client, db, signed_in_officer, asked, mailbox, text, audience, wording, message, anchor
):
    tender, clarification, *_ = asked
    html = refused(draft(client, tender, clarification, text, audience, wording), message)
    assert f'href="#{anchor}"' in html
    saved = fresh(db, Clarification, clarification.id)
    assert saved.answered_at is None and saved.answer is None and mailbox.messages == []


def test_an_answered_question_cannot_be_answered_again(client, db, signed_in_officer, asked):
    tender, clarification, *_ = asked
    assert answer(client, tender, clarification, "First", "everyone").status_code == 302
    response = client.post(
        f"/tenders/{tender.id}/questions/{clarification.id}/answer",
        data={
            "csrf_token": csrf_token_from(client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)),
            "answer": "Second",
            "audience": "asker",
        },
    )
    refused(response, "This question has already been answered")
    assert fresh(db, Clarification, clarification.id).answer == "First"


def test_a_question_of_another_tender_is_not_found(client, signed_in_officer, asked, make_tender):
    _, clarification, *_ = asked
    other = make_tender(published=True)
    token = csrf_token_from(client.get(f"/tenders/{other.id}/questions").get_data(as_text=True))
    for action in ("answer", "send"):
        response = client.post(
            f"/tenders/{other.id}/questions/{clarification.id}/{action}",
            data={"csrf_token": token, "answer": "x", "audience": "everyone", "previewed": "x"},
        )
        assert response.status_code == 404, action
    for page in ("answer", "preview"):
        assert client.get(f"/tenders/{other.id}/questions/{clarification.id}/{page}").status_code == 404, page


# --- Who may use these pages -------------------------------------------------------

OFFICER_PAGES = [
    "/tenders",
    "/tenders/new",
    "/tenders/{id}",
    "/tenders/{id}/details",
    "/tenders/{id}/timetable",
    "/tenders/{id}/evaluation-method",
    "/tenders/{id}/lots/new",
    "/tenders/{id}/lots/{lot}",
    "/tenders/{id}/questionnaire",
    "/tenders/{id}/documents",
    "/tenders/{id}/conflicts",
    "/tenders/{id}/decision",
    "/tenders/{id}/agreements",
    "/tenders/{id}/check",
    "/tenders/{id}/lots",
    "/tenders/{id}/amend",
    "/tenders/{id}/cancel",
    "/tenders/{id}/questions",
]


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.EVALUATOR])
def test_providers_and_evaluators_are_refused(client, db, make_user, login_as, make_tender, role, clock_at):
    tender = make_tender()
    login_as(make_user(role=role))
    for template in OFFICER_PAGES:
        url = template.format(id=tender.id, lot=tender.lots[0].id)
        assert client.get(url).status_code == 403, url
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    for url in (f"/tenders/{tender.id}/publish", f"/tenders/{tender.id}/cancel", "/tenders/new"):
        assert client.post(url, data={"csrf_token": token, "reason": "x", "title": "x"}).status_code == 403, url
    assert fresh(db, Tender, tender.id).status is TenderStatus.DRAFT and count(db, Tender) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, make_tender):
    tender = make_tender()
    response = client.get(f"/tenders/{tender.id}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_officers_and_admins_can_open_every_page(client, make_user, login_as, make_tender, role):
    tender = make_tender(published=True)
    login_as(make_user(role=role))
    for template in OFFICER_PAGES:
        url = template.format(id=tender.id, lot=tender.lots[0].id)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert len(re.findall(r"<h1[ >]", html)) == 1, url


# --- Queries ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tenders/{id}", "/tenders/{id}/questionnaire", "/tenders/{id}/documents"])
def test_pages_use_a_fixed_number_of_queries(app, client, db, signed_in_officer, make_tender, make_district, path):
    small = make_tender(lots=1)
    large = make_tender(lots=4, districts=[make_district() for _ in range(4)])
    for tender, documents in ((small, 1), (large, 4)):
        for n in range(documents):
            assert upload(client, tender, PDF + str(n).encode(), f"doc{n}.pdf").status_code == 302
    counts = []
    for tender in (small, large):
        with count_queries(app) as statements:
            assert client.get(path.format(id=tender.id)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{counts[0]} queries for the small tender, {counts[1]} for the large one"


def test_the_list_uses_a_fixed_number_of_queries(app, client, signed_in_officer, make_tender, make_category):
    make_tender()
    with count_queries(app) as few:
        assert client.get("/tenders").status_code == 200
    for n in range(4):
        make_tender(category=make_category(f"Category for the list {n}"))
    with count_queries(app) as many:
        html = client.get("/tenders").get_data(as_text=True)
    assert html.count('href="/tenders/') >= 5 and len(many) == len(few)
