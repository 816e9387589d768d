"""Moderation and the lot's results: when every quality evaluator has submitted,
an officer opens moderation, records the agreed score for each answer (with a
reason where it differs from any individual score; the individual scores stay as
they were), and completes the lot, which fixes its results and ranking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import RuleViolation, RuleViolations
from portal.evaluation import arithmetic, machine
from portal.evaluation.machine import require_in_evaluation
from portal.evaluation.models import (
    SCALE_TOP,
    SCORE_REQUIRED,
    LotEvaluationStatus,
    LotResult,
    ModeratedScore,
    PanelRole,
)
from portal.evaluation.policies import require_officer
from portal.evaluation.state import PASSED, PENDING, EntrantBid, TenderEvaluation
from portal.tenders.models import Lot, Question

MAX_REASON = 10_000


def moderation_blockers(state: TenderEvaluation, lot: Lot) -> list[str]:
    """Why moderation cannot begin on the lot yet, in plain words (none: it can)."""
    problems = []
    quality = state.panel(lot, PanelRole.QUALITY)
    if not quality:
        problems.append("Appoint at least one quality evaluator")
    waiting = [m.user.full_name for m in quality if m.submitted_at is None]
    if waiting:
        problems.append(f"Waiting for scores from {', '.join(waiting)}")
    pending = [b for b in state.bids_in(lot) if state.selection(b).status == PENDING]
    if pending:
        problems.append(
            f"Decide the failed pass or fail answers of {len(pending)} bid{'s' if len(pending) != 1 else ''}"
        )
    if quality and not waiting:
        unscored = [(bid, q) for bid, q in state.answers_to_moderate(lot) if not _locked_scores(state, bid, q)]
        if unscored:
            problems.append(
                f"{len(unscored)} answer{'s have' if len(unscored) != 1 else ' has'} no evaluator without a "
                "conflict: appoint another evaluator"
            )
    return problems


def _locked_scores(state: TenderEvaluation, bid: EntrantBid, question: Question):
    return [s for s in state.scores_for(bid, question) if s.locked_at is not None]


def start(session: Session, officer: User, state: TenderEvaluation, lot: Lot, now: datetime) -> None:
    """Open moderation on the lot.

    Raises:
        RuleViolations: not an officer; the tender not in evaluation; moderation
            already begun; any of ``moderation_blockers``.
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    row = machine.lot_evaluation(session, lot)
    session.refresh(row, with_for_update=True)  # two officers at once: one opens it, the other is told
    if row.status is not LotEvaluationStatus.SCORING:
        raise RuleViolation(None, "Moderation has already begun on this lot")
    blockers = moderation_blockers(state, lot)
    if blockers:
        raise RuleViolations([RuleViolation(None, b) for b in blockers])
    machine.move(session, officer, lot, LotEvaluationStatus.MODERATION, now)


def moderate(
    session: Session,
    officer: User,
    state: TenderEvaluation,
    lot: Lot,
    bid: EntrantBid,
    question: Question,
    score: int | None,
    reason: str,
    now: datetime,
) -> ModeratedScore:
    """Record (or revise, until the lot is complete) the agreed score for one answer.

    Raises:
        RuleViolation(s): not an officer; the tender not in evaluation; the lot
            not in moderation (every individual score must be in first); not an
            answer of the lot going forward; a score off the scale; no reason
            where the score differs from an individual score.
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    if state.status_of(lot) is not LotEvaluationStatus.MODERATION:
        raise RuleViolation(
            None,
            "Moderation has not begun on this lot: every evaluator must submit their scores first"
            if state.status_of(lot) is LotEvaluationStatus.SCORING
            else "This lot's evaluation is complete: its scores cannot change",
        )
    if (bid, question) not in state.answers_to_moderate(lot):
        raise RuleViolation(None, "This answer is not being evaluated in this lot")
    _require_settled_everywhere(state, lot, bid, question)
    individual = {s.score for s in _locked_scores(state, bid, question)}
    reason = (reason or "").strip()
    problems: list[RuleViolation] = []
    if score is None or not 0 <= score <= SCALE_TOP:
        problems.append(RuleViolation("score", SCORE_REQUIRED))
    elif not reason and individual != {score}:
        problems.append(
            RuleViolation("reason", "Give the reason for the agreed score: it differs from an evaluator's score")
        )
    if len(reason) > MAX_REASON:
        problems.append(RuleViolation("reason", f"The reason must be {MAX_REASON:,} characters or fewer"))
    RuleViolations.raise_any(problems)
    row = state.moderated_score(bid, question)
    if row is None:
        row = ModeratedScore(submission_id=bid.submission_id, question_id=question.id, score=score)
        try:
            with db.savepoint(session):
                session.add(row)
                session.flush()
        except IntegrityError:
            row = session.scalar(
                select(ModeratedScore).where(
                    ModeratedScore.submission_id == bid.submission_id, ModeratedScore.question_id == question.id
                )
            )
    row.score, row.reason, row.moderator_id, row.moderated_at = score, reason, officer.id, now
    session.flush()
    record(
        session,
        officer,
        "score.moderated",
        row,
        tender_id=state.tender.id,
        lot_id=lot.id,
        submission_id=bid.submission_id,
        question_id=question.id,
        score=score,
        individual_scores=sorted(individual),
    )
    return row


def _require_settled_everywhere(state: TenderEvaluation, lot: Lot, bid: EntrantBid, question: Question) -> None:
    """A bid answers each question once, so a question that counts in several lots
    has one agreed score for all of them. It may be agreed only when every
    evaluator scoring it, on any lot's panel, has submitted; and it cannot change
    once a lot's completed results rest on it.

    Raises:
        RuleViolation: an evaluator of another lot still to submit this answer's
            score, or another lot using it already complete.
    """
    other_lots = [
        other
        for other in state.lots
        if other.id != lot.id and other.id in bid.lot_ids and question in state.quality_questions(other)
    ]
    for other in other_lots:
        if state.status_of(other) is LotEvaluationStatus.COMPLETE:
            raise RuleViolation(
                None,
                f"This answer also counts in lot {other.number}, whose evaluation is complete: its agreed score "
                "cannot change",
            )
        waiting = [
            m.user.full_name
            for m in state.panel(other, PanelRole.QUALITY)
            if m.submitted_at is None and (bid, question) in state.assignments(m)
        ]
        if waiting:
            raise RuleViolation(
                None,
                f"This answer also counts in lot {other.number}: wait for {', '.join(waiting)} to submit their scores",
            )


def completion_blockers(state: TenderEvaluation, lot: Lot) -> list[str]:
    """Why the lot cannot be completed yet (none: it can)."""
    if state.status_of(lot) is not LotEvaluationStatus.MODERATION:
        return ["Moderation has not begun on this lot"]
    problems = []
    left = [(b, q) for b, q in state.answers_to_moderate(lot) if state.moderated_score(b, q) is None]
    if left:
        problems.append(f"Agree the score for {len(left)} more answer{'s' if len(left) != 1 else ''}")
    if state.tender.price_weight > 0:
        price = state.panel(lot, PanelRole.PRICE)
        if not price:
            problems.append("Appoint a price evaluator")
        elif not any(m.submitted_at for m in price):
            problems.append("Waiting for the price evaluator to confirm the prices are checked")
    return problems


def results(state: TenderEvaluation, lot: Lot) -> list[arithmetic.Result]:
    """The lot's results as they stand, by the published rules (``arithmetic``)."""
    questions = state.quality_questions(lot)
    criteria = [
        arithmetic.Criterion(q.id, f"question {state.question_number(q)}", q.weight, q.minimum_score) for q in questions
    ]
    candidates = []
    for bid in state.bids_in(lot):
        selection = state.selection(bid)
        moderated = {q.id: row.score for q in questions if (row := state.moderated_score(bid, q)) is not None}
        candidates.append(
            arithmetic.Candidate(
                bid.bid_id,
                bid.submission_id,
                bid.submitted_at,
                bid.price_for(lot.id),
                moderated,
                None if selection.status == PASSED else selection.reason or "Waiting for a pass or fail decision",
            )
        )
    return arithmetic.rank_lot(
        candidates,
        criteria,
        quality_weight=state.tender.quality_weight,
        price_weight=state.tender.price_weight,
        minimum_quality_percent=state.tender.minimum_quality_score,
        tie_break=state.tender.tie_break,
    )


def complete(session: Session, officer: User, state: TenderEvaluation, lot: Lot, now: datetime) -> list[LotResult]:
    """Fix the lot's results and ranking, and close its evaluation.

    Raises:
        RuleViolations: not an officer; the tender not in evaluation; any of
            ``completion_blockers``.
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    row = machine.lot_evaluation(session, lot)
    session.refresh(row, with_for_update=True)
    if row.status is LotEvaluationStatus.COMPLETE:
        raise RuleViolation(None, "This lot's evaluation is already complete")
    blockers = completion_blockers(state, lot)
    if blockers:
        raise RuleViolations([RuleViolation(None, b) for b in blockers])
    stored = []
    for result in results(state, lot):
        stored.append(
            LotResult(
                lot_id=lot.id,
                bid_id=result.bid_id,
                submission_id=result.submission_id,
                quality_percent=arithmetic.stored(result.quality_percent),
                quality_score=arithmetic.stored(result.quality_score),
                price_pence=result.price_pence,
                price_score=arithmetic.stored(result.price_score),
                total_score=arithmetic.stored(result.total_score),
                rank=result.rank,
                is_eligible=result.is_eligible,
                reason=result.reason,
            )
        )
    session.add_all(stored)
    machine.move(
        session,
        officer,
        lot,
        LotEvaluationStatus.COMPLETE,
        now,
        ranking=[r.bid_id for r in stored if r.rank is not None],
    )
    session.flush()
    return stored
