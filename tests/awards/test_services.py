"""The award through its services, called directly with a session: each lot's
decision (proposed by one officer, approved by another), the assessment summaries,
the award notice and its standstill, and the contracts that replace the old
agreements; every step audited in the same transaction, and a refused step saving
nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role
from portal.agreements.models import Agreement
from portal.audit.models import AuditEvent
from portal.awards import contracts, decisions, notice, summaries
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward, LotAwardStatus, Outcome
from portal.errors import RuleViolation, each_violation
from portal.notifications.models import OutgoingEmail
from portal.tenders.models import TenderStatus
from portal.working_days import standstill_end
from tests import factories
from tests.awards.world import (
    EXPLANATION,
    FAILURE_REASON,
    IMPROVEMENT,
    award_through_summaries_sent,
    build_evaluated_tender,
    top_ranked,
)
from tests.factories import NOW

END_DATE = date(2031, 3, 31)
# NOW is Monday 23 November 2026: day 1. Monday 30 November is St Andrew's Day
# (observed in Scotland), so the eighth working day is Thursday 3 December.
STANDSTILL_END = date(2026, 12, 3)
FIRST_CONTRACT_DAY = date(2026, 12, 4)


@pytest.fixture(autouse=True)
def in_app(app, monkeypatch):
    """The app's clock stands at ``NOW``, in an app context (services render emails and links)."""
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    with app.app_context():
        yield


@pytest.fixture
def evaluated(app, db):
    """``build_evaluated_tender`` (defaults: three bids ranked in bid order, one place), committed."""

    def make(**options):
        world = build_evaluated_tender(app, db, **options)
        db.commit()
        return world

    return make


# --- Helpers -------------------------------------------------------------------------------------


def at(days: int = 0, hours: int = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def audit(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def messages(error: pytest.ExceptionInfo) -> str:
    return " | ".join(v.message for v in each_violation(error.value))


def approved(db, w, bid_ids=None, lot=None):
    """Officer 1 proposes (the top-ranked bids, unless told), officer 2 approves; committed."""
    lot = lot or w.lot
    award = decisions.propose(
        db, w.officer, w.tender, lot, top_ranked(db, lot) if bid_ids is None else bid_ids, "", at()
    )
    decisions.approve(db, w.approver, w.tender, award, None, at())
    db.commit()
    return award


def summary_of(db, w, bid, lot=None):
    lot = lot or w.lot
    return db.scalar(
        select(AssessmentSummary).where(AssessmentSummary.bid_id == bid.id, AssessmentSummary.lot_id == lot.id)
    )


def add_people(db, w):
    """Two active people for bidder 0, one for each other bidder, and for bidder 0 a
    deactivated and an unverified person (who are not written to)."""
    people = {}
    for i, organisation in enumerate(w.organisations):
        people[organisation.id] = [
            factories.make_user(db, Role.PROVIDER, organisation) for _ in range(2 if i == 0 else 1)
        ]
    gone = factories.make_user(db, Role.PROVIDER, w.organisations[0])
    gone.deactivated_at = at(-10)
    factories.make_user(db, Role.PROVIDER, w.organisations[0], verified=False)
    db.commit()
    return people


def published(db, w, now=None, **options):
    award_through_summaries_sent(db, w, at())
    row = notice.publish(db, w.officer, w.tender, now or at(), **options)
    db.commit()
    return row


# --- Proposing -----------------------------------------------------------------------------------


def test_propose_the_top_ranked_bid(db, evaluated):
    w = evaluated()
    assert [r.rank for r in decisions.ranking(db, w.lot)] == [1, 2, 3]
    assert top_ranked(db, w.lot) == [w.bids[0].id]
    award = decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at())
    db.commit()
    assert award.status is LotAwardStatus.PROPOSED
    assert [b.id for b in award.winners] == [w.bids[0].id]
    assert award.proposed_by_id == w.officer.id and award.approved_by_id is None
    assert not award.is_no_award
    [event] = audit(db, "award.proposed")
    assert event.actor_id == w.officer.id
    assert event.details["bid_ids"] == [w.bids[0].id]


def test_a_lower_ranked_bid_cannot_be_chosen_over_a_higher_one(db, evaluated):
    w = evaluated(max_providers=2)
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[1].id], "", at())
    assert "highest-ranked" in messages(error)
    with pytest.raises(RuleViolation):
        decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id, w.bids[2].id], "", at())
    db.rollback()
    assert count(db, LotAward) == 0
    assert audit(db, "award.proposed") == []


def test_not_more_bids_than_the_lot_has_places(db, evaluated):
    w = evaluated(max_providers=1)
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id, w.bids[1].id], "", at())
    assert "appoints up to 1: you selected 2" in messages(error)
    db.rollback()
    assert count(db, LotAward) == 0


def test_a_bid_that_failed_selection_cannot_be_awarded_and_the_reason_is_given(db, evaluated):
    w = evaluated(passes=[True, True, False], max_providers=3)
    failed = w.bids[2]
    result = next(r for r in decisions.ranking(db, w.lot) if r.bid_id == failed.id)
    assert result.rank is None
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id, w.bids[1].id, failed.id], "", at())
    assert "Only ranked bids can be awarded" in messages(error)
    assert FAILURE_REASON in messages(error)
    db.rollback()
    assert count(db, LotAward) == 0


def test_a_bid_below_the_quality_threshold_cannot_be_awarded(db, evaluated):
    w = evaluated(scores=[5, 4, 2], max_providers=3)  # 2 of 5 is 40%, under the 50% minimum
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [b.id for b in w.bids], "", at())
    assert "not ranked" in messages(error)
    db.rollback()
    assert count(db, LotAward) == 0


def test_no_award_needs_a_reason_and_not_bids_as_well(db, evaluated):
    w = evaluated()
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [], "  ", at())
    assert error.value.field == "winner_bid_ids"
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "Budget withdrawn.", at())
    assert error.value.field == "no_award_reason"
    award = decisions.propose(db, w.officer, w.tender, w.lot, [], "The budget was withdrawn.", at())
    db.commit()
    assert award.is_no_award and award.winners == []
    assert award.no_award_reason == "The budget was withdrawn."


def test_proposing_again_replaces_the_proposal(db, evaluated):
    w = evaluated(max_providers=2)
    first = decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at())
    db.commit()
    again = decisions.propose(db, w.approver, w.tender, w.lot, [w.bids[0].id, w.bids[1].id], "", at(0, 1))
    db.commit()
    assert again.id == first.id
    assert count(db, LotAward) == 1
    assert [b.id for b in again.winners] == [w.bids[0].id, w.bids[1].id]
    assert again.proposed_by_id == w.approver.id and again.proposed_at == at(0, 1)
    assert len(audit(db, "award.proposed")) == 2
    # the second officer proposed last, so now the first one approves
    decisions.approve(db, w.officer, w.tender, again, None, at(0, 2))
    db.commit()
    with pytest.raises(RuleViolation) as error:
        decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at(0, 3))
    assert "has been approved" in messages(error)


def test_only_an_officer_proposes(db, evaluated):
    w = evaluated()
    with pytest.raises(RuleViolation):
        decisions.propose(db, w.evaluators[0], w.tender, w.lot, [w.bids[0].id], "", at())


# --- Approving -----------------------------------------------------------------------------------


def test_an_officer_cannot_approve_their_own_proposal(db, evaluated):
    w = evaluated()
    award = decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at())
    db.commit()
    with pytest.raises(RuleViolation) as error:
        decisions.approve(db, w.officer, w.tender, award, None, at())
    assert "A different procurement officer must approve" in messages(error)
    db.rollback()
    award = db.get(LotAward, award.id)
    assert award.status is LotAwardStatus.PROPOSED
    assert award.approved_by_id is None and award.approved_at is None
    assert audit(db, "award.approved") == []


def test_the_database_refuses_an_award_approved_by_its_proposer(db, evaluated):
    w = evaluated()
    award = decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at())
    db.commit()
    with pytest.raises(IntegrityError, match="two_officers"):
        db.execute(update(LotAward).where(LotAward.id == award.id).values(approved_by_id=w.officer.id))
        db.flush()
    db.rollback()
    assert db.get(LotAward, award.id).approved_by_id is None


def test_a_second_officer_approves_linking_the_decision(db, evaluated):
    w = evaluated()
    decision = factories.make_decision(db, title="Award of family support frameworks")
    award = decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at())
    decisions.approve(db, w.approver, w.tender, award, decision, at(0, 1))
    db.commit()
    award = db.get(LotAward, award.id)
    assert award.status is LotAwardStatus.APPROVED
    assert award.approved_by_id == w.approver.id and award.approved_at == at(0, 1)
    assert award.decision_id == decision.id
    [event] = audit(db, "award.approved")
    assert event.actor_id == w.approver.id and event.details["decision_id"] == decision.id
    with pytest.raises(RuleViolation) as error:
        decisions.approve(db, w.approver, w.tender, award, None, at(0, 2))
    assert "already been approved" in messages(error)


# --- Assessment summaries ------------------------------------------------------------------------


def test_summaries_wait_until_every_lot_is_approved(db, evaluated):
    w = evaluated(lots=2)
    with pytest.raises(RuleViolation) as error:
        summaries.prepare(db, w.officer, w.tender, at())
    assert "lot 1" in messages(error)
    approved(db, w, lot=w.lots[0])
    with pytest.raises(RuleViolation) as error:
        summaries.prepare(db, w.officer, w.tender, at())
    assert "lot 2" in messages(error)
    decisions.propose(db, w.officer, w.tender, w.lots[1], top_ranked(db, w.lots[1]), "", at())
    db.commit()
    with pytest.raises(RuleViolation) as error:
        summaries.prepare(db, w.officer, w.tender, at())
    assert "waiting for a second officer" in messages(error)
    db.rollback()
    assert count(db, AssessmentSummary) == 0
    assert audit(db, "award.summaries_prepared") == []
    award = db.scalar(select(LotAward).where(LotAward.lot_id == w.lots[1].id))
    decisions.approve(db, w.approver, w.tender, award, None, at())
    assert summaries.prepare(db, w.officer, w.tender, at()) == 6  # three bids in each of two lots
    db.commit()


def test_three_bids_three_summaries_with_every_criterion_and_the_winners_scores(db, evaluated):
    w = evaluated(scores=[[5, 4], [4, 3], [3, 3]])
    approved(db, w)
    assert summaries.prepare(db, w.officer, w.tender, at()) == 3
    db.commit()
    rows = [summary_of(db, w, bid) for bid in w.bids]
    assert [r.outcome for r in rows] == [Outcome.AWARDED, Outcome.NOT_AWARDED, Outcome.NOT_AWARDED]
    assert [r.organisation_id for r in rows] == [o.id for o in w.organisations]
    assert all(r.sent_at is None for r in rows)
    winner = rows[0]
    for i, row in enumerate(rows):
        content = row.content
        assert content["organisation"] == w.organisations[i].name
        assert content["outcome"] == row.outcome.value
        assert content["method"]["quality_weight"] == 70 and content["method"]["price_weight"] == 30
        criteria = content["criteria"]
        assert [c["question_id"] for c in criteria] == [q.id for q in w.quality_questions]
        for k, (criterion, question) in enumerate(zip(criteria, w.quality_questions, strict=True)):
            assert criterion["text"] == question.text
            assert criterion["weight"] == question.weight
            assert criterion["available"] == "0 to 5"
            assert criterion["score"] == w.scores[i][k]
            assert EXPLANATION in criterion["explanation"]
            if criterion["score"] < 5:
                assert IMPROVEMENT in criterion["explanation"]
            if i == 0:
                assert criterion["winner_score"] is None and criterion["winner_explanation"] == ""
            else:  # an unsuccessful bid is told the winner's score and explanation
                assert criterion["winner_score"] == w.scores[0][k]
                assert EXPLANATION in criterion["winner_explanation"]
        totals = content["totals"]
        assert totals["rank"] == i + 1 and totals["ranked"] == 3
        for figure in ("quality_percent", "quality_score", "price_score", "total_score"):
            assert totals[figure] is not None
    assert winner.content["winner"] is None and winner.content["reason"] == ""
    assert sum(c["weight"] for c in winner.content["criteria"]) == 100
    assert winner.content["totals"]["quality_percent"] == "90.00"  # (5×50 + 4×50) ÷ 5
    assert winner.content["totals"]["total_score"] == "93.00"  # 63 for quality, 30 for the (equal) price
    for row in rows[1:]:
        assert row.content["winner"] == {
            "organisation": w.organisations[0].name,
            "quality_score": winner.content["totals"]["quality_score"],
            "price_score": winner.content["totals"]["price_score"],
            "total_score": winner.content["totals"]["total_score"],
        }
        assert f"ranked {row.content['totals']['rank']} of 3" in row.content["reason"]
    [event] = audit(db, "award.summaries_prepared")
    assert event.details["summaries"] == 3


def test_a_pass_fail_failure_is_told_its_reason(db, evaluated):
    w = evaluated(passes=[True, True, False])
    approved(db, w)
    summaries.prepare(db, w.officer, w.tender, at())
    db.commit()
    failed = summary_of(db, w, w.bids[2])
    assert failed.outcome is Outcome.FAILED_SELECTION
    assert FAILURE_REASON in failed.content["reason"]
    assert failed.content["outcome"] == "Did not pass selection"
    assert all(c["score"] is None and c["winner_score"] is None for c in failed.content["criteria"])
    assert failed.content["totals"]["rank"] is None
    assert failed.content["winner"] is None
    assert summary_of(db, w, w.bids[1]).content["totals"]["ranked"] == 2


def test_a_bid_below_the_threshold_is_told_so_with_the_winners_scores(db, evaluated):
    w = evaluated(scores=[5, 4, 2])
    approved(db, w)
    summaries.prepare(db, w.officer, w.tender, at())
    db.commit()
    below = summary_of(db, w, w.bids[2])
    assert below.outcome is Outcome.BELOW_THRESHOLD
    assert below.content["reason"]  # the result's reason: under the minimum quality score
    assert "50" in below.content["reason"]
    assert [c["score"] for c in below.content["criteria"]] == [2, 2]
    assert [c["winner_score"] for c in below.content["criteria"]] == [5, 5]
    assert below.content["winner"]["organisation"] == w.organisations[0].name


def test_no_award_is_told_to_every_bidder(db, evaluated):
    w = evaluated()
    award = decisions.propose(db, w.officer, w.tender, w.lot, [], "The service is no longer needed.", at())
    decisions.approve(db, w.approver, w.tender, award, None, at())
    summaries.prepare(db, w.officer, w.tender, at())
    db.commit()
    for bid in w.bids:
        row = summary_of(db, w, bid)
        assert row.outcome is Outcome.NO_AWARD
        assert row.content["reason"] == "The service is no longer needed."


def test_rewording_changes_the_words_not_the_scores(db, evaluated):
    w = evaluated()
    approved(db, w)
    summaries.prepare(db, w.officer, w.tender, at())
    db.commit()
    row = summary_of(db, w, w.bids[1])
    before = row.content
    question = w.quality_questions[0]
    summaries.reword(
        db, w.officer, row, {question.id: "  Clearer words about the outreach plan.  ", 999_999: "ignored"}, at(0, 1)
    )
    db.commit()
    row = db.get(AssessmentSummary, row.id)
    after = row.content
    assert after["criteria"][0]["explanation"] == "Clearer words about the outreach plan."
    assert after["criteria"][1]["explanation"] == before["criteria"][1]["explanation"]
    assert [c["score"] for c in after["criteria"]] == [c["score"] for c in before["criteria"]]
    assert [c["winner_score"] for c in after["criteria"]] == [c["winner_score"] for c in before["criteria"]]
    assert after["totals"] == before["totals"]
    assert row.edited_at == at(0, 1)
    [event] = audit(db, "award.summary_reworded")
    assert event.details["bid_id"] == w.bids[1].id

    with pytest.raises(RuleViolation) as error:
        summaries.reword(db, w.officer, row, {question.id: "   "}, at(0, 2))
    assert error.value.field == f"explanation_{question.id}"
    db.rollback()

    summaries.send(db, w.officer, w.tender, at(0, 3))
    db.commit()
    row = db.get(AssessmentSummary, row.id)
    with pytest.raises(RuleViolation) as error:
        summaries.reword(db, w.officer, row, {question.id: "After sending."}, at(0, 4))
    assert "has been sent" in messages(error)
    db.rollback()
    assert db.get(AssessmentSummary, row.id).content["criteria"][0]["explanation"] == (
        "Clearer words about the outreach plan."
    )
    with pytest.raises(RuleViolation):
        summaries.prepare(db, w.officer, w.tender, at(0, 5))  # never written again once sent


def test_sending_emails_every_active_person_of_each_bidder_and_stamps_the_time(db, evaluated):
    w = evaluated()
    people = add_people(db, w)
    approved(db, w)
    with pytest.raises(RuleViolation) as error:
        summaries.send(db, w.officer, w.tender, at())
    assert "Prepare the assessment summaries first" in messages(error)
    db.rollback()
    summaries.prepare(db, w.officer, w.tender, at())
    db.commit()
    assert count(db, OutgoingEmail) == 0
    assert summaries.send(db, w.officer, w.tender, at(0, 1)) == 3
    db.commit()
    emails = db.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
    expected = sorted(user.email for users in people.values() for user in users)
    assert sorted(e.to_address for e in emails) == expected  # four: not the deactivated or unverified
    assert all(e.sent_at is None for e in emails)  # queued for the worker
    for bid, organisation in zip(w.bids, w.organisations, strict=True):
        for user in people[organisation.id]:
            email = next(e for e in emails if e.to_address == user.email)
            assert f"/bids/{bid.id}" in email.body_text
    assert {r.sent_at for r in db.scalars(select(AssessmentSummary))} == {at(0, 1)}
    [event] = audit(db, "award.summaries_sent")
    assert event.details["summaries"] == 3 and event.actor_id == w.officer.id
    with pytest.raises(RuleViolation) as error:
        summaries.send(db, w.officer, w.tender, at(0, 2))
    assert "already been sent" in messages(error)
    db.rollback()
    assert count(db, OutgoingEmail) == 4


# --- The award notice and standstill -------------------------------------------------------------


def test_the_notice_waits_until_every_summary_is_sent(db, evaluated):
    w = evaluated()
    approved(db, w)
    with pytest.raises(RuleViolation) as error:
        notice.publish(db, w.officer, w.tender, at())
    assert "Send every assessment summary" in messages(error)
    summaries.prepare(db, w.officer, w.tender, at())
    db.commit()
    with pytest.raises(RuleViolation) as error:
        notice.publish(db, w.officer, w.tender, at())
    assert "Send every assessment summary" in messages(error)
    db.rollback()
    assert count(db, AwardNotice) == 0
    assert db.get(type(w.tender), w.tender.id).status is TenderStatus.EVALUATION
    assert audit(db, "award.notice_published") == []


def test_light_touch_default_voluntary_standstill_of_8_working_days(db, evaluated):
    w = evaluated(is_light_touch=True)
    row = published(db, w)
    assert row.is_voluntary_standstill
    assert row.standstill_days == 8
    assert row.standstill_ends_on == STANDSTILL_END == standstill_end(NOW.date(), 8)
    assert row.published_at == NOW and row.published_by_id == w.officer.id
    assert db.get(type(w.tender), w.tender.id).status is TenderStatus.AWARDED
    [event] = audit(db, "award.notice_published")
    assert event.details == {
        "tender_id": w.tender.id,
        "standstill_days": 8,
        "standstill_ends_on": "2026-12-03",
    }
    with pytest.raises(RuleViolation) as error:
        notice.publish(db, w.officer, w.tender, at(0, 1))
    assert "awarded" in messages(error)
    db.rollback()
    assert count(db, AwardNotice) == 1


def test_the_standstill_counts_from_the_day_of_publication_in_london(db, evaluated):
    w = evaluated()
    # 23:30 UTC on Thursday 11 June 2026 is 00:30 on Friday 12 June in London (BST).
    row = published(db, w, now=datetime(2026, 6, 11, 23, 30, tzinfo=UTC))
    assert row.standstill_ends_on == date(2026, 6, 24) == standstill_end(date(2026, 6, 12))
    assert standstill_end(date(2026, 6, 11)) == date(2026, 6, 23)  # what a UTC date would wrongly give


def test_a_chosen_voluntary_standstill_length(db, evaluated):
    w = evaluated()
    row = published(db, w, standstill_days=3)
    assert row.is_voluntary_standstill and row.standstill_days == 3
    assert row.standstill_ends_on == date(2026, 11, 25)


def test_light_touch_without_a_standstill(db, evaluated):
    w = evaluated(is_light_touch=True)
    row = published(db, w, voluntary_standstill=False)
    assert not row.is_voluntary_standstill
    assert row.standstill_days is None and row.standstill_ends_on is None
    assert contracts.first_contract_day(row) is None


def test_not_light_touch_the_mandatory_8_days_apply_whatever_is_chosen(db, evaluated):
    w = evaluated(is_light_touch=False)
    row = published(db, w, voluntary_standstill=False, standstill_days=3)
    assert not row.is_voluntary_standstill
    assert row.standstill_days == 8 and row.standstill_ends_on == STANDSTILL_END


@pytest.mark.parametrize("days", [0, -1, 31])
def test_a_voluntary_standstill_out_of_range_is_refused(db, evaluated, days):
    w = evaluated()
    award_through_summaries_sent(db, w, at())
    db.commit()
    with pytest.raises(RuleViolation) as error:
        notice.publish(db, w.officer, w.tender, at(), standstill_days=days)
    assert error.value.field == "standstill_days"
    assert "from 1 to 30 working days" in messages(error)
    db.rollback()
    assert count(db, AwardNotice) == 0
    assert db.get(type(w.tender), w.tender.id).status is TenderStatus.EVALUATION


# --- Contracts -----------------------------------------------------------------------------------


def awarded_two_of_three(evaluated, **options):
    """Bids 0 and 1 win the lot's two places; bid 2 does not. Distinct prices."""
    return evaluated(max_providers=2, prices=[90_000_00, 100_000_00, 95_000_00], **options)


def test_no_contract_before_the_standstill_ends(db, evaluated):
    w = awarded_two_of_three(evaluated)
    published(db, w)
    with pytest.raises(RuleViolation) as error:
        contracts.enter(db, w.officer, w.tender, END_DATE, datetime(2026, 12, 3, 23, 0, tzinfo=UTC))
    assert "The standstill ends at the end of 3 December 2026" in messages(error)
    assert "contracts can be entered from 4 December 2026" in messages(error)
    db.rollback()
    assert count(db, Agreement, Agreement.awarded_from_tender_id == w.tender.id) == 0
    assert all(a.replaced_at is None for a in db.scalars(select(Agreement)))
    assert db.scalar(select(AwardNotice.contracts_entered_at)) is None
    assert audit(db, "award.contracts_entered") == []


def test_no_contract_before_the_notice(db, evaluated):
    w = evaluated()
    award_through_summaries_sent(db, w, at())
    with pytest.raises(RuleViolation) as error:
        contracts.enter(db, w.officer, w.tender, END_DATE, at(30))
    assert "Publish the award notice first" in messages(error)


def test_entering_the_contracts_makes_the_agreements_and_replaces_the_old(db, evaluated):
    w = awarded_two_of_three(evaluated)
    published(db, w)
    entered_at = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    created = contracts.enter(db, w.officer, w.tender, END_DATE, entered_at)
    db.commit()

    lot = w.lot
    new = db.scalars(
        select(Agreement).where(Agreement.awarded_from_tender_id == w.tender.id).order_by(Agreement.id)
    ).all()
    assert [a.id for a in new] == [a.id for a in created]
    assert [a.organisation_id for a in new] == [w.organisations[0].id, w.organisations[1].id]
    for agreement, price in zip(new, [90_000_00, 100_000_00], strict=True):
        assert agreement.annual_value_pence == price
        assert agreement.start_date == w.tender.contract_start_date == date(2027, 4, 1)
        assert agreement.end_date == agreement.original_end_date == END_DATE
        assert agreement.category_id == w.tender.category_id
        assert [d.id for d in agreement.districts] == [d.id for d in lot.districts]
        assert agreement.delivery_modes == lot.delivery_modes
        assert agreement.replacement_tender_id is None and agreement.replaced_at is None

    by_organisation = {a.organisation_id: a for a in new}
    for old in w.replaced_agreements:
        old = db.get(Agreement, old.id)
        assert old.replaced_at == entered_at
        successor = by_organisation.get(old.organisation_id)
        assert old.replaced_by_id == (successor.id if successor else None)
    assert db.get(Agreement, w.replaced_of(w.organisations[2]).id).replaced_by_id is None  # bid, not awarded
    assert db.get(Agreement, w.replaced_of(w.non_bidder).id).replaced_by_id is None  # did not bid

    row = db.scalar(select(AwardNotice).where(AwardNotice.tender_id == w.tender.id))
    assert row.contracts_entered_at == entered_at and row.contracts_entered_by_id == w.officer.id
    assert row.details_notice_due_on == date(2026, 12, 4) + timedelta(days=119)  # light touch: 120 days from the 4th
    [event] = audit(db, "award.contracts_entered")
    assert event.details["agreement_ids"] == [a.id for a in new]
    assert event.details["details_notice_due_on"] == "2027-04-02"
    [awarded] = audit(db, "agreement.awarded")
    assert sorted(awarded.details["replaced_ids"]) == sorted(a.id for a in w.replaced_agreements)
    assert contracts.details_notices_due(db, date(2027, 4, 4)) == [(row, w.tender, True)]

    with pytest.raises(RuleViolation) as error:
        contracts.enter(db, w.officer, w.tender, END_DATE, entered_at + timedelta(hours=1))
    assert "already been entered" in messages(error)
    db.rollback()
    assert count(db, Agreement, Agreement.awarded_from_tender_id == w.tender.id) == 2
    assert len(audit(db, "award.contracts_entered")) == 1


def test_the_details_notice_is_due_in_30_days_when_not_light_touch(db, evaluated):
    w = evaluated(is_light_touch=False)
    published(db, w)
    contracts.enter(db, w.officer, w.tender, END_DATE, datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    db.commit()
    row = db.scalar(select(AwardNotice).where(AwardNotice.tender_id == w.tender.id))
    assert row.details_notice_due_on == date(2027, 1, 2)
    contracts.record_details_notice(db, w.officer, row, at(20))
    db.commit()
    assert contracts.details_notices_due(db, date(2027, 1, 4)) == []
    assert len(audit(db, "award.details_notice_published")) == 1


def test_without_a_standstill_contracts_may_be_entered_at_once(db, evaluated):
    w = evaluated()
    published(db, w, voluntary_standstill=False)
    assert len(contracts.enter(db, w.officer, w.tender, END_DATE, at())) == 1
    db.commit()


def test_contracts_end_after_they_start(db, evaluated):
    w = evaluated()
    published(db, w)
    with pytest.raises(RuleViolation) as error:
        contracts.enter(db, w.officer, w.tender, date(2027, 3, 31), at(11))
    assert error.value.field == "end_date"
    db.rollback()
    assert db.scalar(select(AwardNotice.contracts_entered_at)) is None
    assert count(db, Agreement, Agreement.awarded_from_tender_id == w.tender.id) == 0


# --- Audit, in the same transaction --------------------------------------------------------------


def test_every_step_is_audited_in_its_own_transaction(db, evaluated):
    """Each step's audit row is written with the change: rolled back with it, kept with it."""
    w = evaluated()
    steps = [
        ("award.proposed", lambda: decisions.propose(db, w.officer, w.tender, w.lot, [w.bids[0].id], "", at())),
        (
            "award.approved",
            lambda: decisions.approve(db, w.approver, w.tender, db.scalar(select(LotAward)), None, at()),
        ),
        ("award.summaries_prepared", lambda: summaries.prepare(db, w.officer, w.tender, at())),
        (
            "award.summary_reworded",
            lambda: summaries.reword(
                db, w.officer, summary_of(db, w, w.bids[1]), {w.quality_questions[0].id: "New words."}, at()
            ),
        ),
        ("award.summaries_sent", lambda: summaries.send(db, w.officer, w.tender, at())),
        ("award.notice_published", lambda: notice.publish(db, w.officer, w.tender, at())),
        ("award.contracts_entered", lambda: contracts.enter(db, w.officer, w.tender, END_DATE, at(11))),
    ]
    for action, step in steps:
        step()
        assert len(audit(db, action)) == 1, action  # flushed with the change, before any commit
        db.rollback()
        assert audit(db, action) == [], action
        step()
        db.commit()
        assert len(audit(db, action)) == 1, action
