"""The officers' award pages, walked through HTTP from a completed evaluation:
propose, approve (never by the proposer), prepare, reword and send the
summaries, publish the notice, wait out the standstill, enter the contracts and
record the contract details notice. Every refusal is a 400 with its message,
and nothing is saved. Then the award page and the summaries list run the same
number of queries whatever the number of bids."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.agreements.models import Agreement
from portal.audit.models import AuditEvent
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward, LotAwardStatus, Outcome
from portal.decisions.models import Decision
from portal.tenders.models import TenderStatus
from tests import factories
from tests.awards.world import award_through_summaries_sent, build_evaluated_tender, top_ranked
from tests.support import count_queries, csrf_token_for, sign_in_through_session

# 8 working days beginning Monday 23 November 2026, without Monday 30 November (St Andrew's Day)
STANDSTILL_ENDS = date(2026, 12, 3)
FIRST_CONTRACT_DAY = date(2026, 12, 4)
BID_COUNTS = (5, 500)


def client_for(app, user):
    client = app.test_client()
    sign_in_through_session(client, user)
    return client


def post(client, url: str, data: dict | None = None, prefix: str = ""):
    """POST with a CSRF token for the client's session (under the form's prefix, if any)."""
    token = csrf_token_for(client)
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return client.post(url, data={name: token, **(data or {})})


def count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def evaluated(app, db):
    """Three bids in one lot of one place: bid 0 ranks first, bid 1 second, bid 2
    fails selection; each bidder has a person to email; an agreement of each
    bidder and of one non-bidder is to be replaced."""
    world = build_evaluated_tender(app, db, bids=3, passes=[True, True, False])
    people = [factories.make_user(db, Role.PROVIDER, organisation=o) for o in world.organisations]
    db.commit()
    world.extra["people"] = people
    return world


def test_an_officer_walks_from_the_ranking_to_the_new_agreements(app, db, evaluated, mailbox, clock_at):
    w = evaluated
    tender, lot = w.tender, w.lot
    proposer, approver = client_for(app, w.officer), client_for(app, w.approver)
    base = f"/tenders/{tender.id}/award"
    winner_id = top_ranked(db, lot)[0]
    names = {b.id: o.name for b, o in zip(w.bids, w.organisations, strict=True)}

    # The ranking, with the bidders' names; nothing proposed yet.
    page = proposer.get(base)
    assert page.status_code == 200
    html = text_of(page)
    assert "Ranking" in html and all(name in html for name in names.values())
    assert "No award has been proposed yet." in html
    assert "Failed pass or fail question 1" in html

    # Propose: neither bids nor a reason is refused, nothing saved.
    refused = post(proposer, f"{base}/lots/{lot.id}/propose", {}, prefix=f"lot{lot.id}")
    assert refused.status_code == 400
    assert "Select the bids to award, or give the reason for making no award" in text_of(refused)
    assert count(db, LotAward) == 0

    response = post(
        proposer, f"{base}/lots/{lot.id}/propose", {f"lot{lot.id}-winner_bid_ids": winner_id}, f"lot{lot.id}"
    )
    assert response.status_code == 302, text_of(response)[:3000]
    assert response.headers["Location"].endswith(f"{base}#lot-1")
    award = db.scalar(select(LotAward).where(LotAward.lot_id == lot.id))
    assert award.status is LotAwardStatus.PROPOSED and award.proposed_by_id == w.officer.id
    assert [b.id for b in award.winners] == [winner_id]
    html = text_of(proposer.get(base))
    assert f"By {w.officer.full_name}" in html
    assert "Approve the award of lot 1" not in html  # not offered to the proposer

    # The proposer cannot approve their own proposal: 400, nothing saved.
    refused = post(proposer, f"{base}/lots/{lot.id}/approve", {}, prefix=f"approve{lot.id}")
    assert refused.status_code == 400
    assert "A different procurement officer must approve the award you proposed" in text_of(refused)
    assert "There is a problem" in text_of(refused)
    db.expire_all()
    award = db.get(LotAward, award.id)
    assert award.status is LotAwardStatus.PROPOSED and award.approved_by_id is None
    assert count(db, AuditEvent, AuditEvent.action == "award.approved") == 0

    # The second officer approves, citing the tender's decision.
    assert "Approve the award of lot 1" in text_of(approver.get(base))
    response = post(
        approver,
        f"{base}/lots/{lot.id}/approve",
        {f"approve{lot.id}-decision_id": tender.decision_id},
        prefix=f"approve{lot.id}",
    )
    assert response.status_code == 302, text_of(response)[:3000]
    db.expire_all()
    award = db.get(LotAward, award.id)
    assert award.status is LotAwardStatus.APPROVED and award.approved_by_id == w.approver.id
    assert award.decision_id == tender.decision_id
    html = text_of(approver.get(base))
    assert f"By {w.approver.full_name}" in html and db.get(Decision, tender.decision_id).number in html

    # Prepare the summaries: one per bid, listed by bidder with its outcome.
    response = post(proposer, f"{base}/summaries/prepare")
    assert response.status_code == 302, text_of(response)[:3000]
    assert response.headers["Location"].endswith(f"{base}/summaries")
    listing = proposer.get(f"{base}/summaries")
    assert listing.status_code == 200
    html = text_of(listing)
    assert all(name in html for name in names.values())
    assert Outcome.AWARDED.value in html and Outcome.NOT_AWARDED.value in html
    assert Outcome.FAILED_SELECTION.value in html and html.count("Not yet") == 3

    # Preview the second-ranked bid's summary, as the bidder will see it, and reword one explanation.
    second = w.bids[1].id  # ranked second (bid 0 won)
    assert winner_id == w.bids[0].id
    row = db.scalar(select(AssessmentSummary).where(AssessmentSummary.bid_id == second))
    url = f"{base}/summaries/{row.id}"
    preview = proposer.get(url)
    assert preview.status_code == 200
    assert names[winner_id] in text_of(preview)  # the winner's scores are shown to an unsuccessful bidder
    question = w.quality_questions[0]
    before = {c["question_id"]: c for c in row.content["criteria"]}
    refused = post(proposer, url, {f"explanation_{question.id}": "  "})
    assert refused.status_code == 400 and "Explain the score for question" in text_of(refused)
    reworded = "Your answer named the schools you visit but not how often families are followed up."
    data = {f"explanation_{q.id}": before[q.id]["explanation"] for q in w.quality_questions}
    data[f"explanation_{question.id}"] = reworded
    data[f"score_{question.id}"] = "5"  # not a field: a score cannot be posted
    response = post(proposer, url, data)
    assert response.status_code == 302, text_of(response)[:3000]
    db.expire_all()
    after = {c["question_id"]: c for c in db.get(AssessmentSummary, row.id).content["criteria"]}
    assert after[question.id]["explanation"] == reworded
    assert after[question.id]["score"] == before[question.id]["score"]
    assert {k: v["score"] for k, v in after.items()} == {k: v["score"] for k, v in before.items()}
    assert reworded in text_of(proposer.get(url))

    # The notice cannot be published before the summaries are sent: 400, nothing saved.
    refused = post(proposer, f"{base}/notice", {"voluntary_standstill": "yes", "standstill_days": "8"})
    assert refused.status_code == 400
    assert "Send every assessment summary before publishing the award notice" in text_of(refused)
    assert count(db, AwardNotice) == 0

    # Send them all: each bidder's person is emailed.
    mailbox.clear()
    response = post(proposer, f"{base}/summaries/send")
    assert response.status_code == 302, text_of(response)[:3000]
    assert count(db, AssessmentSummary, AssessmentSummary.sent_at.is_(None)) == 0
    for person in w.extra["people"]:
        message = mailbox.last_to(person.email)
        assert "/outcome" in mailbox.body(message)
    assert "Send every summary" not in text_of(proposer.get(f"{base}/summaries"))

    # Publish: a light touch tender, a voluntary standstill of 8 working days by default.
    form = proposer.get(f"{base}/notice")
    assert form.status_code == 200
    assert 'value="yes" checked' in text_of(form) and 'value="8"' in text_of(form)
    response = post(proposer, f"{base}/notice", {"voluntary_standstill": "yes", "standstill_days": "8"})
    assert response.status_code == 302, text_of(response)[:3000]
    notice = db.scalar(select(AwardNotice).where(AwardNotice.tender_id == tender.id))
    assert notice.standstill_days == 8 and notice.is_voluntary_standstill
    assert notice.standstill_ends_on == STANDSTILL_ENDS
    db.refresh(tender)
    assert tender.status is TenderStatus.AWARDED
    assert "3 December 2026" in text_of(proposer.get(f"{base}/notice"))
    assert "3 December 2026" in text_of(proposer.get(base))

    # Contracts during the standstill: refused with the first day they can be entered.
    page = proposer.get(f"{base}/contracts")
    assert page.status_code == 200 and "4 December 2026" in text_of(page)
    refused = post(proposer, f"{base}/contracts", {"end_date": ["31", "3", "2030"]})
    assert refused.status_code == 400
    assert "contracts can be entered from 4 December 2026" in text_of(refused)
    assert count(db, Agreement, Agreement.awarded_from_tender_id == tender.id) == 0
    assert count(db, Agreement, Agreement.replaced_at.is_not(None)) == 0

    # The standstill over: the end date defaults to 3 years after the start, less a day.
    clock_at(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    page = text_of(proposer.get(f"{base}/contracts"))
    assert 'value="2030"' in page and 'value="31"' in page
    response = post(proposer, f"{base}/contracts", {"end_date": ["31", "3", "2030"]})
    assert response.status_code == 302, text_of(response)[:3000]
    db.expire_all()
    created = db.scalars(select(Agreement).where(Agreement.awarded_from_tender_id == tender.id)).all()
    assert [a.organisation_id for a in created] == [next(b.organisation_id for b in w.bids if b.id == winner_id)]
    new = created[0]
    assert new.start_date == date(2027, 4, 1) and new.end_date == date(2030, 3, 31)
    for old in w.replaced_agreements:
        old = db.get(Agreement, old.id)
        assert old.replaced_at is not None
        assert old.replaced_by_id == (new.id if old.organisation_id == new.organisation_id else None)
    page = text_of(proposer.get(f"{base}/contracts"))
    assert f'href="/agreements/{new.id}"' in page and new.reference in page
    assert "Due by 2 April 2027" in page  # light touch: 120 days

    # The contract details notice is due on the officer's home page, then overdue, until recorded.
    home = text_of(approver.get("/dashboard"))
    assert "Contract details notices due" in home and tender.reference in home and "Overdue" not in home
    clock_at(datetime(2027, 4, 5, 9, 0, tzinfo=UTC))
    assert "Overdue" in text_of(approver.get("/dashboard"))
    response = post(proposer, f"{base}/details-notice")
    assert response.status_code == 302, text_of(response)[:3000]
    assert tender.reference not in text_of(approver.get("/dashboard"))
    refused = post(proposer, f"{base}/details-notice")
    assert refused.status_code == 400 and "already been recorded" in text_of(refused)


def test_no_award_is_proposed_with_its_reason(app, db, evaluated):
    w = evaluated
    client = client_for(app, w.officer)
    url = f"/tenders/{w.tender.id}/award/lots/{w.lot.id}/propose"
    prefix = f"lot{w.lot.id}"
    both = post(
        client, url, {f"{prefix}-winner_bid_ids": top_ranked(db, w.lot)[0], f"{prefix}-no_award_reason": "No."}, prefix
    )
    assert both.status_code == 400 and "not both" in text_of(both)
    assert count(db, LotAward) == 0
    response = post(client, url, {f"{prefix}-no_award_reason": "The prices exceed the budget."}, prefix)
    assert response.status_code == 302
    award = db.scalar(select(LotAward))
    assert award.is_no_award and award.no_award_reason == "The prices exceed the budget."
    assert "No award. Reason: The prices exceed the budget." in text_of(client.get(f"/tenders/{w.tender.id}/award"))


def test_a_bid_that_is_not_offered_cannot_be_proposed(app, db, evaluated):
    w = evaluated
    client = client_for(app, w.officer)
    prefix = f"lot{w.lot.id}"
    failed = w.bids[2].id  # failed selection: not ranked, not offered
    response = post(
        client, f"/tenders/{w.tender.id}/award/lots/{w.lot.id}/propose", {f"{prefix}-winner_bid_ids": failed}, prefix
    )
    assert response.status_code == 400 and "Select bids from the ranking" in text_of(response)
    assert count(db, LotAward) == 0


def test_the_award_pages_are_for_officers_and_tenders_in_evaluation(app, db, evaluated):
    w = evaluated
    base = f"/tenders/{w.tender.id}/award"
    provider = client_for(app, w.extra["people"][0])
    evaluator = client_for(app, w.evaluators[0])
    for url in (base, f"{base}/summaries", f"{base}/notice", f"{base}/contracts"):
        assert provider.get(url).status_code == 403
        assert evaluator.get(url).status_code == 403
    officer = client_for(app, w.officer)
    assert officer.get(f"/tenders/{w.tender.id + 1000}/award").status_code == 404
    other = factories.make_tender(app, db, status=TenderStatus.PUBLISHED)
    db.commit()
    assert officer.get(f"/tenders/{other.id}/award").status_code == 404
    assert officer.get(f"{base}/summaries/999999").status_code == 404
    response = post(officer, f"{base}/lots/{other.lots[0].id}/propose", {}, prefix=f"lot{other.lots[0].id}")
    assert response.status_code == 404


def test_the_evaluation_and_the_tender_link_to_the_award(app, db, evaluated):
    w = evaluated
    officer = client_for(app, w.officer)
    link = f'href="/tenders/{w.tender.id}/award"'
    assert link in text_of(officer.get(f"/tenders/{w.tender.id}/evaluation"))
    assert link in text_of(officer.get(f"/tenders/{w.tender.id}"))


def test_a_mandatory_standstill_has_no_choice_and_contracts_wait_for_it(app, db, clock_at):
    w = build_evaluated_tender(app, db, bids=2, is_light_touch=False)
    db.commit()
    with app.app_context():
        award_through_summaries_sent(db, w)
    db.commit()
    client = client_for(app, w.officer)
    base = f"/tenders/{w.tender.id}/award"
    form = text_of(client.get(f"{base}/notice"))
    assert "voluntary_standstill" not in form and "8 working days" in form
    response = post(client, f"{base}/notice", {"voluntary_standstill": "no"})
    assert response.status_code == 302
    notice = db.scalar(select(AwardNotice))
    assert notice.standstill_ends_on == STANDSTILL_ENDS and not notice.is_voluntary_standstill


def test_a_light_touch_notice_may_have_no_standstill_and_refuses_a_bad_length(app, db, clock_at):
    w = build_evaluated_tender(app, db, bids=2)
    db.commit()
    with app.app_context():
        award_through_summaries_sent(db, w)
    db.commit()
    client = client_for(app, w.officer)
    base = f"/tenders/{w.tender.id}/award"
    refused = post(client, f"{base}/notice", {"voluntary_standstill": "yes", "standstill_days": "31"})
    assert refused.status_code == 400 and "between 1 and 30" in text_of(refused)
    # A voluntary standstill binds once published: its length is never assumed.
    unset = post(client, f"{base}/notice", {"voluntary_standstill": "yes", "standstill_days": ""})
    assert unset.status_code == 400 and "Enter the length of the standstill" in text_of(unset)
    assert count(db, AwardNotice) == 0
    response = post(client, f"{base}/notice", {"voluntary_standstill": "no", "standstill_days": ""})
    assert response.status_code == 302
    notice = db.scalar(select(AwardNotice))
    assert notice.standstill_ends_on is None and notice.standstill_days is None
    page = text_of(client.get(f"{base}/contracts"))
    assert "Enter the contracts" in page


# --- Query budgets ---------------------------------------------------------------------------------


def _queries(app, client, url: str) -> int:
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


def test_the_award_pages_and_dashboards_run_the_same_number_of_queries_with_5_and_500_bids(app, db):
    """The award page, the summaries list, the officer's home and the transition dashboard
    (which shows each incumbent's outcome) with 5 and with 500 bids."""
    counts = {"award": [], "summaries": [], "home": [], "transition dashboard": []}
    for bids in BID_COUNTS:
        world = build_evaluated_tender(app, db, bids=bids, passes=[True] * (bids - 1) + [False], max_providers=2)
        db.commit()
        with app.app_context():
            award_through_summaries_sent(db, world)
        db.commit()
        client = client_for(app, world.officer)
        for page, url in (
            ("award", f"/tenders/{world.tender.id}/award"),
            ("summaries", f"/tenders/{world.tender.id}/award/summaries"),
            ("home", "/dashboard"),
            ("transition dashboard", "/agreements/dashboard"),
        ):
            client.get(url)  # the first request warms what is loaded once per process
            counts[page].append(_queries(app, client, url))
        assert db.scalar(select(func.count()).select_from(AssessmentSummary)) >= bids
    for page, (few, many) in counts.items():
        assert few == many, f"{page}: {few} queries with {BID_COUNTS[0]} bids, {many} with {BID_COUNTS[1]}"


def test_each_lots_forms_have_their_own_ids_and_a_refusal_shows_on_its_lot(app, db):
    w = build_evaluated_tender(app, db, bids=3, lots=2, max_providers=2)
    db.commit()
    client = client_for(app, w.officer)
    base = f"/tenders/{w.tender.id}/award"
    html = text_of(client.get(base))
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    second = w.lots[1]
    prefix = f"lot{second.id}"
    lower = top_ranked(db, second, 2)[1]  # the second-ranked bid without the first
    refused = post(client, f"{base}/lots/{second.id}/propose", {f"{prefix}-winner_bid_ids": lower}, prefix)
    assert refused.status_code == 400
    page = text_of(refused)
    assert "Award the highest-ranked bids" in page
    assert f'href="#{prefix}-winner_bid_ids"' in page  # the error summary links to the lot's checkboxes
    assert count(db, LotAward) == 0
