"""The bidder's side of the award: its own assessment summaries on the outcome
page and as PDF, and "what happens next" on its bid page and receipt.

The world: one lot with five bids. Bid 0 scores 5 on both questions and wins;
bids 1 and 2 (4 and 3) are ranked but not awarded; bid 3 (2 and 2, 40%) is below
the 50% minimum quality score; bid 4 fails the pass or fail question."""

from __future__ import annotations

import html
import re
import zlib

import pytest

from portal.accounts.models import Role
from portal.awards import decisions, notice, summaries
from portal.awards.models import AssessmentSummary
from portal.awards.pdf import latin1
from portal.dates import london_today
from portal.filters import format_date
from portal.tenders.models import TenderStatus
from portal.working_days import standstill_end
from tests import factories
from tests.awards.world import EXPLANATION, FAILURE_REASON, IMPROVEMENT, build_evaluated_tender, top_ranked
from tests.factories import NOW
from tests.support import sign_in_through_session

WINNER, SECOND, THIRD, BELOW, FAILED = range(5)


@pytest.fixture(autouse=True)
def clock_at(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)


def _award(db, world, *, send=True):
    for lot in world.lots:
        award = decisions.propose(db, world.officer, world.tender, lot, top_ranked(db, lot), "", NOW)
        decisions.approve(db, world.approver, world.tender, award, None, NOW)
    summaries.prepare(db, world.officer, world.tender, NOW)
    if send:
        summaries.send(db, world.officer, world.tender, NOW)


@pytest.fixture
def world(app, db):
    """The five-bid lot, evaluated and approved, its summaries prepared (not sent)."""
    with app.app_context():
        world = build_evaluated_tender(
            app,
            db,
            bids=5,
            scores=[5, 4, 3, 2, 3],
            passes=[True, True, True, True, False],
            max_providers=1,
            contract_start_date=NOW.date().replace(year=NOW.year + 1, month=4, day=1),
            replaced_agreements=False,
        )
        _award(db, world, send=False)
    world.people = []
    for organisation in world.organisations:
        world.people.append(factories.make_user(db, Role.PROVIDER, organisation))
    db.commit()
    return world


def _send(app, db, world):
    with app.app_context():
        summaries.send(db, world.officer, world.tender, NOW)
    db.commit()


def _publish(app, db, world):
    with app.app_context():
        published = notice.publish(db, world.officer, world.tender, NOW)
    db.commit()
    return published


def client_for(app, user):
    client = app.test_client()
    sign_in_through_session(client, user)
    return client


def text_of(page: str) -> str:
    """The page's words, without markup, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def pdf_text(document: bytes) -> str:
    """The text a PDF written by fpdf2 shows: every content stream inflated, its
    string operands unescaped and joined (a line wrapped by the layout joins with
    a space, as on the page)."""
    # fpdf2 writes "stream\n", the bytes, "\nendstream": a compressed stream may itself end
    # in a carriage return, which an optional "\r" in the pattern would cut off (and the
    # page would then fail to inflate and go missing, 1 time in 256).
    streams = re.findall(rb"stream\n(.*?)\nendstream", document, flags=re.S)
    words = []
    for raw in streams:
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        for operand in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, flags=re.S):
            text = re.sub(rb"\\(.)", rb"\1", operand).decode("latin-1")
            words.append(text)
    return re.sub(r"\s+", " ", " ".join(words)).strip()


def urls(world, bid):
    return [f"/bids/{bid.id}/outcome"] + [f"/bids/{bid.id}/outcome/lots/{lot.id}.pdf" for lot in world.lots]


# --- Who reads what -------------------------------------------------------------------------


def test_nothing_is_readable_before_the_summaries_are_sent(app, db, world):
    for person in world.people:
        client = client_for(app, person)
        for bid in world.bids:
            for url in urls(world, bid):
                assert client.get(url).status_code == 404, url


def test_a_crawl_as_each_bidder_finds_only_its_own_summary(app, db, world):
    _send(app, db, world)
    for person, own in zip(world.people, world.bids, strict=True):
        client = client_for(app, person)
        for bid in world.bids:
            for url in urls(world, bid):
                status = client.get(url).status_code
                assert status == (200 if bid.id == own.id else 404), (person.email, url, status)
    assert client_for(app, world.people[0]).get("/bids/999999/outcome").status_code == 404
    assert client_for(app, world.people[0]).get(f"/bids/{world.bids[0].id}/outcome/lots/999999.pdf").status_code == 404


def test_summaries_are_never_shown_to_anyone_signed_out_or_to_council_staff(app, db, world):
    _send(app, db, world)
    staff = [world.officer, world.approver, world.evaluators[0], factories.make_user(db, Role.ADMIN)]
    db.commit()
    for bid in world.bids:
        for url in urls(world, bid):
            anonymous = app.test_client().get(url)
            assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"], url
            for user in staff:
                response = client_for(app, user).get(url)
                assert response.status_code in (403, 404), (user.role, url, response.status_code)
                assert EXPLANATION not in response.get_data(as_text=True)


def test_a_provider_without_an_organisation_sees_no_summary(app, db, world):
    _send(app, db, world)
    loner = factories.make_user(db, Role.PROVIDER, None)
    db.commit()
    assert client_for(app, loner).get(urls(world, world.bids[0])[0]).status_code == 404


# --- What a summary says --------------------------------------------------------------------


def _page(app, world, index):
    response = client_for(app, world.people[index]).get(f"/bids/{world.bids[index].id}/outcome")
    assert response.status_code == 200
    return response.get_data(as_text=True), text_of(response.get_data(as_text=True))


def _criteria_blocks(page: str) -> list[str]:
    return [text_of(block) for block in re.findall(r'<div class="govuk-summary-card criterion".*?</dl>', page, re.S)]


def test_each_assessed_summary_has_every_criterion_weighting_score_explanation_and_the_totals(app, db, world):
    _send(app, db, world)
    rows = db.query(AssessmentSummary).filter_by(tender_id=world.tender.id).all()
    assert len(rows) == 5  # every bid in the lot: the three ranked, the one below the threshold, the failure
    questions = world.quality_questions
    for index in (WINNER, SECOND, THIRD):
        page, text = _page(app, world, index)
        blocks = _criteria_blocks(page)
        assert len(blocks) == len(questions)
        for block, question, score in zip(blocks, questions, world.scores[index], strict=True):
            assert question.text in block
            assert f"Weighting {question.weight}%" in block
            assert "Scores available 0 to 5" in block
            assert f"Your score {score} out of 5" in block
            assert EXPLANATION in block
            if score < 5:
                assert f"What would have scored higher: {IMPROVEMENT}" in block
        for label in (
            "Quality (percentage of the quality marks)",
            "Quality score (out of 70)",
            "Price score (out of 30)",
        ):
            assert label in text
        assert "Total score (out of 100)" in text
        assert f"Rank {index + 1} of 3" in text
        # The scale's descriptors: "0 to 5", each explained
        assert "Excellent: exceeds the requirement" in text and "No response, or the response fails" in text
    # Quality 5,5 → 100% → 70; price equal → 30: 100 in total. 4,4 → 56 + 30 = 86. 3,3 → 42 + 30 = 72.
    assert "Total score (out of 100) 100.00" in _page(app, world, WINNER)[1]
    assert "Total score (out of 100) 86.00" in _page(app, world, SECOND)[1]
    assert "Total score (out of 100) 72.00" in _page(app, world, THIRD)[1]


def test_the_unsuccessful_summaries_give_the_winners_scores_and_why_they_did_not_win(app, db, world):
    _send(app, db, world)
    winner_name = world.organisations[WINNER].name
    page, text = _page(app, world, WINNER)
    assert "Outcome Successful" in text
    assert "The winning bid" not in text
    for index in (SECOND, THIRD):
        page, text = _page(app, world, index)
        assert "Outcome Not successful" in text
        assert f"Why your bid did not win Your bid ranked {index + 1} of 3." in text
        assert f"The winning bid: {winner_name}" in text
        for block in _criteria_blocks(page):
            assert "The winning bid's score 5 out of 5" in block
            assert f"Why the winning bid got this score {EXPLANATION}" in block
        assert "Total score (out of 100) 100.00" in text.split("The winning bid:")[1]
        for other in world.organisations:
            if other.id not in (world.organisations[index].id, world.organisations[WINNER].id):
                assert other.name not in text  # no third bidder is named


def test_a_bid_below_the_minimum_score_or_failing_selection_is_told_why(app, db, world):
    _send(app, db, world)
    page, text = _page(app, world, BELOW)
    assert "Outcome Below a minimum score" in text
    assert "Why your bid went no further Below the minimum quality score (40.00% of the quality marks" in text
    assert "Your score 2 out of 5" in text
    page, text = _page(app, world, FAILED)
    assert "Outcome Did not pass selection" in text
    assert "Why your bid did not pass selection" in text
    assert FAILURE_REASON in text
    assert "Your bid was not scored against these questions because it did not pass selection." in text
    blocks = _criteria_blocks(page)
    assert len(blocks) == len(world.quality_questions)  # the criteria and weightings, still
    assert all("Your score Not scored" in b and EXPLANATION not in b for b in blocks)


# --- The PDF ---------------------------------------------------------------------------------


def test_the_pdf_is_an_attachment_with_the_same_scores_and_explanations(app, db, world):
    _send(app, db, world)
    for index in (WINNER, SECOND, FAILED):
        client = client_for(app, world.people[index])
        response = client.get(f"/bids/{world.bids[index].id}/outcome/lots/{world.lot.id}.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Content-Disposition"].endswith('-lot-1.pdf"')
        assert response.headers["Cache-Control"] == "private, no-store"
        document = response.get_data()
        assert document.startswith(b"%PDF")
        words = pdf_text(document)
        page_text = _page(app, world, index)[1]
        assert world.tender.title in words
        if index == FAILED:
            assert "Did not pass selection" in words and FAILURE_REASON in words
            continue
        for question, score in zip(world.quality_questions, world.scores[index], strict=True):
            assert question.text in words
            assert f"{score} out of 5" in words
        assert EXPLANATION in words
        assert "lowest price ÷ this price × 30" in words  # latin-1 survives as it is
        totals = re.findall(r"Total score \(out of 100\) ([\d.]+)", page_text)
        assert totals and all(f"Total score (out of 100) {value}" in words for value in totals)
        if index == SECOND:
            assert f"The winning bid: {world.organisations[WINNER].name}" in words
            assert "Why your bid did not win" in words and "Your bid ranked 2 of 3." in words


def test_text_outside_latin_1_is_written_plainly_not_dropped():
    # "ó" is latin-1 and stays; "Ł" and "ź" are not: the letter stays, its accent goes.
    assert latin1("£100 – “fair” ÷ 2 × 3 … Łódź €5") == '£100 - "fair" ÷ 2 × 3 ... Lódz EUR5'


# --- What happens next on the bid page and receipt -------------------------------------------


def _bid_pages(app, world, index):
    client = client_for(app, world.people[index])
    bid = world.bids[index]
    show = client.get(f"/bids/{bid.id}")
    receipt = client.get(f"/bids/{bid.id}/receipts/{world.submissions[index].version}")
    assert show.status_code == 200 and receipt.status_code == 200
    return text_of(show.get_data(as_text=True)), text_of(receipt.get_data(as_text=True))


def test_the_bid_page_and_receipt_say_what_happens_next_then_link_to_the_outcome(app, db, world):
    outcome_url = f"/bids/{world.bids[SECOND].id}/outcome"
    start = format_date(world.tender.contract_start_date)
    for text in _bid_pages(app, world, SECOND):
        assert "What happens next" in text
        assert "Standstill ends After the award notice is published" in text
        assert f"Contract start {start}" in text
        assert "Read your assessment summary" not in text
        assert (
            f"Evaluation The council plans to finish evaluating bids by {format_date(world.tender.evaluation_date)}"
            in text
        )
    client = client_for(app, world.people[SECOND])
    assert outcome_url not in client.get(f"/bids/{world.bids[SECOND].id}").get_data(as_text=True)

    _send(app, db, world)
    page = client.get(f"/bids/{world.bids[SECOND].id}").get_data(as_text=True)
    assert f'href="{outcome_url}"' in page
    assert "Lot 1: " in text_of(page) and "Not successful" in text_of(page)

    published = _publish(app, db, world)
    ends = standstill_end(london_today(NOW))
    assert published.standstill_ends_on == ends
    for text in _bid_pages(app, world, SECOND):
        assert f"Standstill ends End of {format_date(ends)} (8 working days" in text
    outcome = text_of(client.get(outcome_url).get_data(as_text=True))
    assert f"Standstill ends End of {format_date(ends)}" in outcome
    words = pdf_text(client.get(f"/bids/{world.bids[SECOND].id}/outcome/lots/{world.lot.id}.pdf").get_data())
    assert f"End of {format_date(ends)}" in words


def test_a_cancelled_tenders_bid_page_says_so_instead_of_the_award_timetable(app, db, world):
    world.tender.status, world.tender.cancelled_at = TenderStatus.CANCELLED, NOW
    db.commit()
    for text in _bid_pages(app, world, SECOND):
        assert f"The council cancelled this opportunity on {format_date(NOW)}." in text
        assert "Standstill ends" not in text
