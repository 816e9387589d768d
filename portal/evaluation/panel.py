"""Appointing each lot's panel: quality evaluators (every quality question of
the lot, or the questions chosen) and a price evaluator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import Role, User
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.evaluation.machine import require_in_evaluation
from portal.evaluation.models import LotEvaluationStatus, PanelMember, PanelRole, Score
from portal.evaluation.policies import require_officer
from portal.evaluation.state import TenderEvaluation

# Quality evaluators are evaluators only: officers see every score (progress,
# moderation, the record), so an officer scoring quality would not score blind.
CAN_SERVE = {PanelRole.QUALITY: (Role.EVALUATOR,), PanelRole.PRICE: (Role.EVALUATOR, Role.OFFICER)}


def appoint(
    session: Session,
    officer: User,
    state: TenderEvaluation,
    lot_id: int,
    user: User | None,
    role: PanelRole,
    question_ids: list[int],
    now: datetime,
) -> PanelMember:
    """Appoint ``user`` to the lot's panel in ``role``.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; the lot's
            moderation begun; an unknown lot; no such active member of staff, or
            one whose role cannot serve (quality: evaluators; price: evaluators
            or officers); questions not quality questions of the lot; already on
            the panel in that role.
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    lot = state.lot(lot_id)
    if lot is None:
        raise RuleViolation("lot_id", "Select a lot of this tender")
    if state.status_of(lot) is not LotEvaluationStatus.SCORING:
        raise RuleViolation(None, "Moderation has begun on this lot: its panel cannot change")
    if user is None or user.deactivated_at is not None or user.password_hash is None:
        raise RuleViolation("user_id", "Select a member of staff who has an account")
    if user.role not in CAN_SERVE[role]:
        raise RuleViolation(
            "user_id",
            "Quality evaluators must have the evaluator role"
            if role is PanelRole.QUALITY
            else "The price evaluator must be an evaluator or a procurement officer",
        )
    allowed = {q.id: q for q in state.quality_questions(lot)}
    if role is PanelRole.PRICE:
        question_ids = []
    if any(qid not in allowed for qid in question_ids):
        raise RuleViolation("question_ids", "Select quality questions of this lot")
    other_role = PanelRole.PRICE if role is PanelRole.QUALITY else PanelRole.QUALITY
    if any(m.user_id == user.id and m.role is other_role for m in state.members):
        # A price evaluator sees every price; quality is scored without them.
        raise RuleViolation(
            "user_id",
            f"{user.full_name} is a {other_role.value.lower()} on this tender: the same person cannot score "
            "quality and check prices",
        )
    if any(m.user_id == user.id and m.role is role for m in state.panel(lot)):
        raise RuleViolation("user_id", f"{user.full_name} is already a {role.value.lower()} for this lot")
    member = PanelMember(
        tender_id=state.tender.id,
        lot_id=lot.id,
        user_id=user.id,
        role=role,
        appointed_by_id=officer.id,
        appointed_at=now,
        questions=[allowed[qid] for qid in sorted(set(question_ids))],
    )
    try:
        with db.savepoint(session):
            session.add(member)
            session.flush()
    except IntegrityError:
        raise RuleViolation("user_id", f"{user.full_name} is already a {role.value.lower()} for this lot") from None
    record(
        session,
        officer,
        "evaluation.panel_appointed",
        member,
        tender_id=state.tender.id,
        lot_id=lot.id,
        user_id=user.id,
        role=role.name,
        question_ids=sorted(set(question_ids)),
    )
    return member


def remove(session: Session, officer: User, state: TenderEvaluation, member: PanelMember, now: datetime) -> None:
    """Take someone off a lot's panel before they have scored anything.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; they
            have submitted, or saved a score (their work stays on record).
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    if member.submitted_at is not None:
        raise RuleViolation(None, "They have submitted their work for this lot: they stay on the panel")
    submission_ids = [b.submission_id for b in state.bids_in(member.lot)]
    if member.role is PanelRole.QUALITY and session.scalar(
        select(Score.id).where(Score.evaluator_id == member.user_id, Score.submission_id.in_(submission_ids)).limit(1)
    ):
        raise RuleViolation(None, "They have saved scores for this lot: they stay on the panel")
    record(
        session,
        officer,
        "evaluation.panel_removed",
        member,
        tender_id=state.tender.id,
        lot_id=member.lot_id,
        user_id=member.user_id,
        role=member.role.name,
    )
    session.delete(member)
    session.flush()


def staff_who_can_serve(session: Session) -> list[User]:
    """Active evaluators and officers, for the appointment form."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.role.in_([Role.EVALUATOR, Role.OFFICER]),
                User.deactivated_at.is_(None),
                User.password_hash.is_not(None),
            )
            .order_by(User.full_name)
        )
    )
