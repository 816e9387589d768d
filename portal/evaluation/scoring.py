"""Blind, independent scoring: each quality evaluator scores each answer they are
assigned on the tender's 0 to 5 scale, with an explanation that refers to what
the bid said, saving drafts until they submit; then their scores are locked.
And the price evaluator's check of the prices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import NotPermitted, RuleViolation, RuleViolations
from portal.evaluation.machine import require_in_evaluation
from portal.evaluation.models import SCALE_TOP, SCORE_REQUIRED, LotEvaluationStatus, PanelMember, PanelRole, Score
from portal.evaluation.state import PENDING, EntrantBid, TenderEvaluation
from portal.tenders.models import Lot, Question

MIN_EXPLANATION_WORDS = 10
MAX_TEXT = 10_000


def quality_membership(state: TenderEvaluation, user: User, lot: Lot) -> PanelMember | None:
    return next((m for m in state.panel(lot, PanelRole.QUALITY) if m.user_id == user.id), None)


def require_assigned(state: TenderEvaluation, user: User, lot: Lot, bid: EntrantBid, question: Question) -> PanelMember:
    """Raises NotPermitted: the user is not assigned this answer (not on the lot's
    panel for the question, not yet declared, conflicted, or the bid not going forward)."""
    member = quality_membership(state, user, lot)
    if member is None or not state.is_assigned(user.id, lot, bid, question):
        raise NotPermitted()
    return member


def save_score(
    session: Session,
    evaluator: User,
    state: TenderEvaluation,
    lot: Lot,
    bid: EntrantBid,
    question: Question,
    score: int | None,
    explanation: str,
    improvement: str,
    seen_sha256: str,
    now: datetime,
) -> Score:
    """Save (or change) the evaluator's draft score for one answer.

    Raises:
        NotPermitted: the answer is not assigned to them.
        RuleViolation(s): the tender not in evaluation; their scores for the
            lot submitted, or moderation begun; the bid changed since the page
            was drawn (another submission); a score off the scale; an
            explanation missing or under the minimum length; text too long.
    """
    require_in_evaluation(state.tender)
    member = require_assigned(state, evaluator, lot, bid, question)
    existing = state.score_of(evaluator.id, bid, question)
    if member.submitted_at is not None or (existing and existing.locked_at):
        raise RuleViolation(None, "You have submitted your scores for this lot: they cannot be changed")
    if state.status_of(lot) is not LotEvaluationStatus.SCORING:
        raise RuleViolation(None, "Moderation has begun on this lot: scores cannot change")
    if seen_sha256 != bid.sha256:
        raise RuleViolation(None, "This bid is not the version you were shown. Reload the page and score it again")
    problems: list[RuleViolation] = []
    if score is None or not 0 <= score <= SCALE_TOP:
        problems.append(RuleViolation("score", SCORE_REQUIRED))
    explanation, improvement = (explanation or "").strip(), (improvement or "").strip()
    if not explanation:
        problems.append(RuleViolation("explanation", "Explain the score by reference to what the bid said"))
    elif len(explanation.split()) < MIN_EXPLANATION_WORDS:
        problems.append(
            RuleViolation(
                "explanation",
                f"Explain the score in at least {MIN_EXPLANATION_WORDS} words, referring to what the bid said",
            )
        )
    if len(explanation) > MAX_TEXT:
        problems.append(RuleViolation("explanation", f"The explanation must be {MAX_TEXT:,} characters or fewer"))
    if len(improvement) > MAX_TEXT:
        problems.append(RuleViolation("improvement", f"This must be {MAX_TEXT:,} characters or fewer"))
    RuleViolations.raise_any(problems)
    row = existing or session.scalar(
        select(Score).where(
            Score.evaluator_id == evaluator.id,
            Score.submission_id == bid.submission_id,
            Score.question_id == question.id,
        )
    )
    if row is None:
        row = Score(
            submission_id=bid.submission_id,
            submission_sha256=bid.sha256,
            question_id=question.id,
            evaluator_id=evaluator.id,
            score=score,
            explanation=explanation,
            improvement=improvement,
            saved_at=now,
        )
        try:
            with db.savepoint(session):  # a second tab saving at the same moment: one row, the later text wins
                session.add(row)
                session.flush()
        except IntegrityError:
            row = session.scalar(
                select(Score).where(
                    Score.evaluator_id == evaluator.id,
                    Score.submission_id == bid.submission_id,
                    Score.question_id == question.id,
                )
            )
    if row.locked_at is not None:
        raise RuleViolation(None, "You have submitted your scores for this lot: they cannot be changed")
    row.score, row.explanation, row.improvement, row.saved_at = score, explanation, improvement, now
    session.flush()
    record(
        session,
        evaluator,
        "score.saved",
        row,
        tender_id=state.tender.id,
        lot_id=lot.id,
        submission_id=bid.submission_id,
        question_id=question.id,
    )
    return row


def submit_scores(session: Session, evaluator: User, state: TenderEvaluation, lot: Lot, now: datetime) -> int:
    """Submit every score the evaluator owes for the lot, locking them; returns how many.

    Raises:
        NotPermitted: not a quality evaluator of the lot.
        RuleViolation: the tender not in evaluation; not declared; already
            submitted; moderation begun; an assigned answer left unscored.
    """
    require_in_evaluation(state.tender)
    member = quality_membership(state, evaluator, lot)
    if member is None:
        raise NotPermitted()
    if not state.has_declared(evaluator.id):
        raise RuleViolation(None, "Declare your interests before you submit scores")
    if member.submitted_at is not None:
        raise RuleViolation(None, "You have already submitted your scores for this lot")
    if state.status_of(lot) is not LotEvaluationStatus.SCORING:
        raise RuleViolation(None, "Moderation has begun on this lot")
    if any(state.selection(bid).status == PENDING for bid in state.bids_in(lot)):
        # A bid still waiting for its pass or fail decision may yet need scoring by this evaluator.
        raise RuleViolation(
            None, "A bid in this lot is waiting for a pass or fail decision: submit your scores once it is decided"
        )
    owed = state.assignments(member)
    missing = [(bid, q) for bid, q in owed if state.score_of(evaluator.id, bid, q) is None]
    if missing:
        raise RuleViolation(
            None, f"Score every answer before you submit: {len(missing)} of {len(owed)} are not scored yet"
        )
    ids = [state.score_of(evaluator.id, bid, q).id for bid, q in owed]
    if ids:
        session.execute(update(Score).where(Score.id.in_(ids), Score.locked_at.is_(None)).values(locked_at=now))
    claimed = session.execute(
        update(PanelMember)
        .where(PanelMember.id == member.id, PanelMember.submitted_at.is_(None))
        .values(submitted_at=now)
    )
    if claimed.rowcount != 1:  # a second tab submitted first
        raise RuleViolation(None, "You have already submitted your scores for this lot")
    session.expire(member, ["submitted_at"])
    record(session, evaluator, "score.submitted", member, tender_id=state.tender.id, lot_id=lot.id, scores=len(ids))
    return len(ids)


def confirm_prices(session: Session, evaluator: User, state: TenderEvaluation, lot: Lot, now: datetime) -> None:
    """The price evaluator confirms they have checked the prices of the bids going
    forward in the lot (the scores then follow from the published formula).

    Raises:
        NotPermitted: not the lot's price evaluator.
        RuleViolation: the tender not in evaluation; not declared; already confirmed.
    """
    require_in_evaluation(state.tender)
    member = next((m for m in state.panel(lot, PanelRole.PRICE) if m.user_id == evaluator.id), None)
    if member is None:
        raise NotPermitted()
    if not state.has_declared(evaluator.id):
        raise RuleViolation(None, "Declare your interests before you check prices")
    claimed = session.execute(
        update(PanelMember)
        .where(PanelMember.id == member.id, PanelMember.submitted_at.is_(None))
        .values(submitted_at=now)
    )
    if claimed.rowcount != 1:
        raise RuleViolation(None, "You have already confirmed the prices for this lot")
    session.expire(member, ["submitted_at"])
    record(session, evaluator, "price.checked", member, tender_id=state.tender.id, lot_id=lot.id)
