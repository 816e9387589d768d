"""A tender's authority: the executive decision that authorised it, the
conflicts of interest assessment, and the agreements it replaces (whose
providers are sent a notice once it is published).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User
from portal.agreements.models import Agreement, NoticeKind
from portal.agreements.services import issue_notice
from portal.audit.services import record
from portal.decisions.models import Decision
from portal.errors import RuleViolation
from portal.filters import format_date, format_datetime
from portal.tenders import policies
from portal.tenders.checks import require_draft
from portal.tenders.models import Tender, TenderStatus


def link_decision(session: Session, actor: User, tender: Tender, decision_id: int | None) -> None:
    """Raises RuleViolation: the tender is published, or no such decision."""
    require_draft(actor, tender)
    if decision_id is None or session.get(Decision, decision_id) is None:
        raise RuleViolation("decision_id", "Select the decision that authorised this tender")
    tender.decision_id = decision_id
    record(session, actor, "tender.decision_linked", tender, decision_id=decision_id)


def replaceable_agreements(session: Session, tender: Tender) -> list[Agreement]:
    """Agreements of the tender's category, ending on or before its contract
    start, that no tender replaces yet; soonest ending first."""
    if tender.contract_start_date is None:
        return []
    return list(
        session.scalars(
            select(Agreement)
            .options(joinedload(Agreement.organisation))
            .where(
                Agreement.category_id == tender.category_id,
                Agreement.end_date <= tender.contract_start_date,
                Agreement.replacement_tender_id.is_(None),
            )
            .order_by(Agreement.end_date, Agreement.reference)
        )
    )


def replaced_agreements(session: Session, tender: Tender) -> list[Agreement]:
    return list(
        session.scalars(
            select(Agreement)
            .options(joinedload(Agreement.organisation))
            .where(Agreement.replacement_tender_id == tender.id)
            .order_by(Agreement.end_date, Agreement.reference)
        )
    )


def link_replaced_agreements(
    session: Session, actor: User, tender: Tender, agreement_ids: list[int], now: datetime
) -> list[Agreement]:
    """Mark agreements as replaced by the tender (``link_agreements``);
    once it is published their providers are told at once.

    Raises:
        RuleViolation: bids have closed (``policies.can_link_agreements``), none
            chosen, or an agreement that is not one it can replace
            (``replaceable_agreements``).
    """
    if not policies.can_link_agreements(actor, tender, now):
        raise RuleViolation(
            None, f"A tender that is {tender.status_at(now).value.lower()} cannot take on more agreements"
        )
    if not agreement_ids:
        raise RuleViolation("agreement_ids", "Select the agreements this tender replaces")
    candidates = {agreement.id: agreement for agreement in replaceable_agreements(session, tender)}
    if any(agreement_id not in candidates for agreement_id in agreement_ids):
        raise RuleViolation("agreement_ids", "Select agreements from the list")
    chosen = [candidates[agreement_id] for agreement_id in dict.fromkeys(agreement_ids)]
    link_agreements(session, actor, tender, chosen)
    return chosen


# --- The conflicts assessment, and telling incumbents -----------------------------------


def record_conflicts_assessment(session: Session, actor: User, tender: Tender, assessment: str, now: datetime) -> None:
    """Record (or bring up to date) the conflicts of interest assessment, with who and when.

    Raises:
        RuleViolation: the tender is awarded or cancelled (its assessment is
            final, ``policies.can_change_conflicts``), or the assessment is empty.
    """
    if not policies.can_change_conflicts(actor, tender):
        raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its assessment is final")
    if not assessment.strip():
        raise RuleViolation("conflicts_assessment", "Enter the conflicts of interest assessment")
    tender.conflicts_assessment = assessment.strip()
    tender.conflicts_assessed_at = now
    tender.conflicts_assessed_by_id = actor.id
    record(session, actor, "tender.conflicts_assessed", tender)


def link_agreements(session: Session, actor: User | None, tender: Tender, agreements: list[Agreement]) -> None:
    """Mark these agreements as replaced by the tender; their ending notices then
    point to it, and once it is published their providers are told at once.
    (Which agreements may be linked is ``link_replaced_agreements``'s to check.)"""
    for agreement in agreements:
        agreement.replacement_tender_id = tender.id
    record(session, actor, "tender.agreements_linked", tender, agreement_ids=[a.id for a in agreements])
    if tender.status is TenderStatus.PUBLISHED:
        session.flush()
        tell_incumbents(session, actor, tender, only=agreements)


def tell_incumbents(session: Session, actor: User | None, tender: Tender, only: list[Agreement] | None = None) -> None:
    agreements = (
        only
        if only is not None
        else list(session.scalars(select(Agreement).where(Agreement.replacement_tender_id == tender.id)))
    )
    deadline = format_datetime(tender.submission_deadline) if tender.submission_deadline else "to be confirmed"
    for agreement in agreements:
        issue_notice(
            session,
            agreement.organisation,
            agreement,
            NoticeKind.REPLACEMENT,
            f"replacement:{tender.id}",
            f"A new opportunity replaces your agreement {agreement.reference}",
            f"Your agreement {agreement.reference}, {agreement.service_name}, ends on "
            f"{format_date(agreement.end_date)}. It is replaced by the opportunity \u201c{tender.title}\u201d "
            f"({tender.reference}), now open for bids. The deadline for bids is {deadline}.",
            sent_by=actor,
        )
