"""Assessment summaries (Procurement Act 2023 s.50(3)–(5), reg 31): for every bid in
every lot, written from the evaluation once each lot's award is approved: each
criterion with its weighting and the scores available, the bid's agreed score and
its explanation, its totals; for an unsuccessful bid, the winning bid's scores and
explanations and why it did not win; for a bid that went no further, why.

The officer previews each, may reword an explanation (never a score), and sends
them all at once; each bidder then reads its own in the portal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.queries import active_emails
from portal.audit.services import record
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward, LotAwardStatus, Outcome
from portal.awards.policies import require_officer
from portal.errors import RuleViolation
from portal.evaluation import arithmetic
from portal.evaluation.models import SCALE_TOP
from portal.evaluation.state import FAILED, EntrantBid, TenderEvaluation, load
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.tenders.models import Lot, Question, Tender, TenderStatus

MAX_EXPLANATION = 10_000


def _figure(value) -> str | None:
    """A figure as the summary records it: as shown, or null (JSON) for none."""
    return arithmetic.two_places(value) or None


def _explanation(state: TenderEvaluation, bid: EntrantBid, question: Question, *, for_the_bidder: bool = True) -> str:
    """The agreed score's reason where the moderator gave one; otherwise the words of
    an evaluator who gave the agreed score, with what would have scored higher (told
    to the bidder itself only: a competitor reading the winner's scores is not told
    where the winner fell short)."""
    agreed = state.moderated_score(bid, question)
    if agreed is None:
        return ""
    scores = [s for s in state.scores_for(bid, question) if s.locked_at is not None]
    matching = [s for s in scores if s.score == agreed.score] or scores
    words = agreed.reason.strip() or (matching[0].explanation if matching else "")
    better = next((s.improvement for s in matching if s.improvement), "")
    if better and for_the_bidder and agreed.score < SCALE_TOP:
        words = f"{words}\n\nWhat would have scored higher: {better}"
    return words


def _criteria(state: TenderEvaluation, lot: Lot, bid: EntrantBid | None, winner: EntrantBid | None) -> list[dict]:
    criteria = []
    for question in state.quality_questions(lot):
        agreed = state.moderated_score(bid, question) if bid else None
        winner_agreed = state.moderated_score(winner, question) if winner else None
        criteria.append(
            {
                "question_id": question.id,
                "number": state.question_number(question),
                "text": question.text,
                "weight": question.weight,
                "available": f"0 to {SCALE_TOP}",
                "minimum_score": question.minimum_score,
                "score": agreed.score if agreed else None,
                "explanation": _explanation(state, bid, question) if agreed else "",
                "winner_score": winner_agreed.score if winner_agreed else None,
                "winner_explanation": _explanation(state, winner, question, for_the_bidder=False)
                if winner_agreed
                else "",
            }
        )
    return criteria


def compose(state: TenderEvaluation, lot: Lot, award: LotAward, bid: EntrantBid, results: dict) -> tuple[Outcome, dict]:
    """The outcome and the content of one bid's summary for one lot."""
    tender = state.tender
    result = results.get(bid.bid_id)
    ranked = sorted((r for r in results.values() if r.rank is not None), key=lambda r: r.rank)
    winner_ids = [b.id for b in award.winners]
    top_winner = next((r for r in ranked if r.bid_id in winner_ids), None)
    winner = state.bid(top_winner.bid_id) if top_winner else None
    selection = state.selection(bid)
    if selection.status == FAILED:
        outcome, reason = Outcome.FAILED_SELECTION, selection.reason
    elif result is None or result.rank is None:
        outcome, reason = Outcome.BELOW_THRESHOLD, (result.reason if result else "")
    elif award.is_no_award:
        outcome, reason = Outcome.NO_AWARD, award.no_award_reason
    elif bid.bid_id in winner_ids:
        outcome, reason = Outcome.AWARDED, ""
    else:
        outcome = Outcome.NOT_AWARDED
        reason = (
            f"Your bid ranked {result.rank} of {len(ranked)}. Lot {lot.number} appoints up to "
            f"{lot.max_providers} provider{'s' if lot.max_providers != 1 else ''}, and "
            f"{len(winner_ids)} higher-ranked bid{'s were' if len(winner_ids) != 1 else ' was'} awarded."
        )
    assessed = outcome is not Outcome.FAILED_SELECTION
    show_winner = outcome in (Outcome.NOT_AWARDED, Outcome.BELOW_THRESHOLD) and top_winner is not None
    content = {
        "tender": {"reference": tender.reference, "title": tender.title},
        "lot": {"number": lot.number, "title": lot.title},
        "organisation": bid.organisation,
        "submission_sha256": bid.sha256,
        "outcome": outcome.value,
        "reason": reason,
        "method": {
            "quality_weight": tender.quality_weight,
            "price_weight": tender.price_weight,
            "minimum_quality_score": tender.minimum_quality_score,
            "scale": dict(sorted((tender.score_descriptors or {}).items(), key=lambda item: int(item[0]))),
            "price_formula": f"lowest price ÷ this price × {tender.price_weight}",
        },
        "criteria": _criteria(state, lot, bid if assessed else None, winner if show_winner else None),
        "totals": {
            "quality_percent": _figure(result.quality_percent) if result else None,
            "quality_score": _figure(result.quality_score) if result else None,
            "price_score": _figure(result.price_score) if result else None,
            "total_score": _figure(result.total_score) if result else None,
            "rank": result.rank if result else None,
            "ranked": len(ranked),
        },
        "winner": {
            "organisation": winner.organisation,
            "quality_score": _figure(top_winner.quality_score),
            "price_score": _figure(top_winner.price_score),
            "total_score": _figure(top_winner.total_score),
        }
        if show_winner
        else None,
    }
    return outcome, content


def _approved_awards(session: Session, tender: Tender) -> dict[int, LotAward]:
    awards = {a.lot_id: a for a in session.scalars(select(LotAward).where(LotAward.tender_id == tender.id))}
    missing = [lot.number for lot in tender.lots if lot.id not in awards]
    if missing:
        raise RuleViolation(None, f"Propose and approve the award of lot {missing[0]} first")
    pending = [lot.number for lot in tender.lots if awards[lot.id].status is not LotAwardStatus.APPROVED]
    if pending:
        raise RuleViolation(None, f"Lot {pending[0]}'s award is waiting for a second officer's approval")
    return awards


def prepare(session: Session, officer: User, tender: Tender, now: datetime) -> int:
    """Write (or write again, until sent) the summary of every bid in every lot; returns how many.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; a lot's award
            not approved; summaries already sent.
    """
    require_officer(officer)
    if tender.status is not TenderStatus.EVALUATION:
        raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its summaries cannot change")
    awards = _approved_awards(session, tender)
    if session.scalar(
        select(AssessmentSummary.id).where(
            AssessmentSummary.tender_id == tender.id, AssessmentSummary.sent_at.is_not(None)
        )
    ):
        raise RuleViolation(None, "The assessment summaries have been sent: they cannot be written again")
    session.execute(delete(AssessmentSummary).where(AssessmentSummary.tender_id == tender.id))
    state = load(session, tender, with_results=True)
    count = 0
    for lot in state.lots:
        results = {r.bid_id: r for r in state.results.get(lot.id, [])}
        for bid in state.bids_in(lot):
            outcome, content = compose(state, lot, awards[lot.id], bid, results)
            session.add(
                AssessmentSummary(
                    tender_id=tender.id,
                    lot_id=lot.id,
                    bid_id=bid.bid_id,
                    organisation_id=bid.organisation_id,
                    outcome=outcome,
                    content=content,
                    prepared_at=now,
                )
            )
            count += 1
    session.flush()
    record(session, officer, "award.summaries_prepared", tender, summaries=count)
    return count


def reword(
    session: Session, officer: User, summary: AssessmentSummary, explanations: dict[int, str], now: datetime
) -> None:
    """Change the wording of the summary's explanations (question id → text); the
    scores stay as the evaluation left them.

    Raises:
        RuleViolation: not an officer; already sent; an explanation emptied or too long.
    """
    require_officer(officer)
    if summary.sent_at is not None:
        raise RuleViolation(None, "This summary has been sent: it cannot change")
    content = dict(summary.content)
    criteria = [dict(c) for c in content["criteria"]]
    for criterion in criteria:
        if criterion["question_id"] not in explanations or criterion["score"] is None:
            continue
        text = (explanations[criterion["question_id"]] or "").strip()
        field = f"explanation_{criterion['question_id']}"
        if not text:
            raise RuleViolation(field, f"Explain the score for question {criterion['number']}")
        if len(text) > MAX_EXPLANATION:
            raise RuleViolation(field, f"The explanation must be {MAX_EXPLANATION:,} characters or fewer")
        criterion["explanation"] = text
    content["criteria"] = criteria
    summary.content, summary.edited_at = content, now
    session.flush()
    record(session, officer, "award.summary_reworded", summary, tender_id=summary.tender_id, bid_id=summary.bid_id)


def send(session: Session, officer: User, tender: Tender, now: datetime) -> int:
    """Send every summary at once: each bidder's people are emailed that theirs is
    in the portal. Returns how many were sent.

    Raises:
        RuleViolation: not an officer; none prepared; a lot's award not approved;
            already sent; the award notice already published.
    """
    require_officer(officer)
    _approved_awards(session, tender)
    summaries = list(session.scalars(select(AssessmentSummary).where(AssessmentSummary.tender_id == tender.id)))
    if not summaries:
        raise RuleViolation(None, "Prepare the assessment summaries first")
    if any(s.sent_at for s in summaries):
        raise RuleViolation(None, "The assessment summaries have already been sent")
    if session.scalar(select(AwardNotice.id).where(AwardNotice.tender_id == tender.id)):
        raise RuleViolation(None, "The award notice has been published")
    for summary in summaries:
        summary.sent_at = now
    for organisation_id in sorted({s.organisation_id for s in summaries}):
        bid_id = next(s.bid_id for s in summaries if s.organisation_id == organisation_id)
        for address in active_emails(session, organisation_id):
            queue_email(
                session,
                address,
                "assessment_summary",
                tender=tender,
                link=external_url("award_outcome.outcome", bid_id=bid_id),
            )
    session.flush()
    record(session, officer, "award.summaries_sent", tender, summaries=len(summaries))
    return len(summaries)
