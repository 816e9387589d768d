"""Pass or fail selection, marked from the submitted answers: each answer that
does not match the answer that passes waits for an officer, who upholds the
failure (the bid goes no further, and the reason is kept for its feedback) or
overrides it, with a reason either way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.evaluation.machine import require_in_evaluation
from portal.evaluation.models import LotEvaluationStatus, SelectionDecision
from portal.evaluation.policies import require_officer
from portal.evaluation.state import EntrantBid, TenderEvaluation
from portal.tenders.models import Question


def decide(
    session: Session,
    officer: User,
    state: TenderEvaluation,
    bid: EntrantBid,
    question: Question,
    is_upheld: bool | None,
    reason: str,
    now: datetime,
) -> SelectionDecision:
    """Uphold or override one failed pass or fail answer.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; the
            answer did not fail; already decided; moderation begun in a lot
            of the bid; no decision or no reason.
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    if question not in state.selection(bid).failures:
        raise RuleViolation(None, "This answer passed: there is nothing to decide")
    if (bid.submission_id, question.id) in state.decisions:
        raise RuleViolation(None, "This answer has already been decided")
    if any(state.status_of(lot) is not LotEvaluationStatus.SCORING for lot in state.lots if lot.id in bid.lot_ids):
        raise RuleViolation(None, "Moderation has begun: selection cannot change")
    if is_upheld is None:
        raise RuleViolation("decision", "Select whether the bid fails this question")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("reason", "Give the reason, for the bidder's feedback")
    decision = SelectionDecision(
        submission_id=bid.submission_id,
        question_id=question.id,
        is_upheld=is_upheld,
        reason=reason,
        decided_by_id=officer.id,
        decided_at=now,
    )
    try:
        with db.savepoint(session):
            session.add(decision)
            session.flush()
    except IntegrityError:
        raise RuleViolation(None, "This answer has already been decided") from None
    record(
        session,
        officer,
        "selection.failure_upheld" if is_upheld else "selection.failure_overridden",
        decision,
        tender_id=state.tender.id,
        bid_id=bid.bid_id,
        question_id=question.id,
    )
    return decision
