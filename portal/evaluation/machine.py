"""Each lot's evaluation moves scoring → moderation → complete, and only forward;
and nothing in evaluation changes unless the tender's bids have been opened and
it is still in evaluation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.errors import RuleViolation
from portal.evaluation.models import LotEvaluation, LotEvaluationStatus
from portal.states import StateMachine
from portal.tenders.models import Lot, Tender, TenderStatus

MACHINE = StateMachine(
    audit_prefix="lot_evaluation",
    transitions={
        LotEvaluationStatus.SCORING: frozenset({LotEvaluationStatus.MODERATION}),
        LotEvaluationStatus.MODERATION: frozenset({LotEvaluationStatus.COMPLETE}),
        LotEvaluationStatus.COMPLETE: frozenset(),
    },
    stamps={
        LotEvaluationStatus.MODERATION: "moderation_started_at",
        LotEvaluationStatus.COMPLETE: "completed_at",
    },
    refusal=lambda current, to: (
        f"This lot's evaluation is at {current.value.lower()}: it cannot move to {to.value.lower()}"
    ),
)


def require_in_evaluation(tender: Tender) -> None:
    """Raises RuleViolation: the bids are not open, or the tender is awarded or cancelled."""
    if tender.status is not TenderStatus.EVALUATION:
        raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its evaluation cannot change now")


def lot_evaluation(session: Session, lot: Lot) -> LotEvaluation:
    """The lot's evaluation row, made on first need (two officers at once make one)."""
    found = session.scalar(select(LotEvaluation).where(LotEvaluation.lot_id == lot.id))
    if found:
        return found
    try:
        with db.savepoint(session):
            row = LotEvaluation(tender_id=lot.tender_id, lot_id=lot.id, status=LotEvaluationStatus.SCORING)
            session.add(row)
            session.flush()
            return row
    except IntegrityError:
        return session.scalar(select(LotEvaluation).where(LotEvaluation.lot_id == lot.id))


def require_status(session: Session, lot: Lot, status: LotEvaluationStatus, message: str) -> LotEvaluation:
    """Raises RuleViolation(message): the lot's evaluation is not at ``status``."""
    row = session.scalar(select(LotEvaluation).where(LotEvaluation.lot_id == lot.id))
    current = row.status if row else LotEvaluationStatus.SCORING
    if current is not status:
        raise RuleViolation(None, message)
    return row or lot_evaluation(session, lot)


def move(session: Session, actor, lot: Lot, to: LotEvaluationStatus, now: datetime, **details) -> None:
    MACHINE.move(session, actor, lot_evaluation(session, lot), to, now, lot_id=lot.id, **details)
