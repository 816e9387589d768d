"""Conflicts of interest (Procurement Act 2023 s.81–83): each evaluator declares,
per tender, any interest in each organisation that bid, before seeing any bid
content; an interest removes them from that bid; an officer records how each
conflict is handled, and the tender's conflicts assessment is brought up to date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import RuleViolation, RuleViolations
from portal.evaluation.machine import require_in_evaluation
from portal.evaluation.models import ConflictDeclaration
from portal.evaluation.policies import require_officer
from portal.evaluation.state import TenderEvaluation
from portal.filters import format_date
from portal.tenders.authority import record_conflicts_assessment


def declare(
    session: Session,
    evaluator: User,
    state: TenderEvaluation,
    answers: dict[int, tuple[bool | None, str]],
    now: datetime,
) -> None:
    """Record the evaluator's declaration about every bidding organisation:
    ``answers`` maps organisation id to (has an interest, details).

    A "no" can later become "yes" (a new interest is declared at once); a
    declared interest is never withdrawn.

    Raises:
        RuleViolations: not on this tender's panel; the tender not in
            evaluation; an organisation unanswered; an interest without details;
            an interest already declared turned to "no".
    """
    if not state.memberships(evaluator.id):
        raise RuleViolation(None, "You are not on this tender's evaluation panel")
    require_in_evaluation(state.tender)
    problems: list[RuleViolation] = []
    for org_id, name in state.bidding_organisations:
        has_interest, details = answers.get(org_id, (None, ""))
        details = (details or "").strip()
        existing = state.declaration(evaluator.id, org_id)
        if has_interest is None:
            problems.append(RuleViolation(f"interest_{org_id}", f"Say whether you have any interest in {name}"))
        elif has_interest and not details:
            problems.append(RuleViolation(f"details_{org_id}", f"Describe your interest in {name}"))
        elif existing and existing.has_interest and not has_interest:
            problems.append(
                RuleViolation(f"interest_{org_id}", f"You declared an interest in {name}: it cannot be withdrawn")
            )
    RuleViolations.raise_any(problems)
    for org_id, name in state.bidding_organisations:
        has_interest, details = answers[org_id]
        existing = state.declaration(evaluator.id, org_id)
        if existing and existing.has_interest == has_interest:
            continue
        if existing:
            existing.has_interest, existing.details, existing.declared_at = True, details.strip(), now
        else:
            try:
                with db.savepoint(session):
                    session.add(
                        ConflictDeclaration(
                            tender_id=state.tender.id,
                            user_id=evaluator.id,
                            organisation_id=org_id,
                            has_interest=bool(has_interest),
                            details=(details or "").strip() if has_interest else "",
                            declared_at=now,
                        )
                    )
                    session.flush()
            except IntegrityError:  # the same form sent twice at once: the first stands
                continue
        record(
            session,
            evaluator,
            "conflict.declared" if has_interest else "conflict.none_declared",
            state.tender,
            organisation_id=org_id,
            organisation=name,
        )
    session.flush()


def handle(
    session: Session,
    officer: User,
    state: TenderEvaluation,
    declaration: ConflictDeclaration,
    handling: str,
    now: datetime,
) -> None:
    """Record how a declared conflict is handled, and add it to the tender's
    conflicts assessment (which must be kept up to date, s.83).

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; not a
            declared interest of this tender; no description of the handling.
    """
    require_officer(officer)
    require_in_evaluation(state.tender)
    if declaration.tender_id != state.tender.id or not declaration.has_interest:
        raise RuleViolation(None, "This is not a declared conflict of this tender")
    handling = (handling or "").strip()
    if not handling:
        raise RuleViolation("handling", "Describe how the conflict is handled")
    revised = declaration.handling is not None
    declaration.handling, declaration.handled_by_id, declaration.handled_at = handling, officer.id, now
    organisation = dict(state.bidding_organisations).get(declaration.organisation_id, "an organisation")
    addition = (
        f"{format_date(now)}, during evaluation: {declaration.user.full_name} declared an interest in "
        f"{organisation} ({declaration.details}). {'Handling revised' if revised else 'Handled'}: {handling}"
    )
    before = (state.tender.conflicts_assessment or "").strip()
    record_conflicts_assessment(session, officer, state.tender, f"{before}\n\n{addition}".strip(), now)
    record(
        session,
        officer,
        "conflict.handled",
        declaration,
        tender_id=state.tender.id,
        user_id=declaration.user_id,
        organisation_id=declaration.organisation_id,
    )
    session.flush()
