"""What officers may do to a tender, now.

The officers' pages (their links and buttons), the routes and the service verbs
ask these same functions, so a hidden link and a refused change never disagree.
A tender whose submission deadline has passed counts as closed for bids here
(``Tender.status_at``), whether or not the worker has recorded the closing yet.
Who may open the officers' pages at all is the routes' ``@roles``; these also
say it, so a template can ask one question.
"""

from __future__ import annotations

from datetime import datetime

from portal.accounts.models import Role
from portal.tenders.machine import MACHINE
from portal.tenders.models import Tender, TenderStatus

OFFICER_ROLES = (Role.OFFICER, Role.ADMIN)
FINAL = (TenderStatus.AWARDED, TenderStatus.CANCELLED)


def is_officer(user) -> bool:
    """Procurement officers build and run tenders; administrators may too."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in OFFICER_ROLES


def can_edit(user, tender: Tender) -> bool:
    """A draft's terms (details, timetable, evaluation method, lots, questionnaire,
    documents, authorising decision) change directly; once published, only by amendment."""
    return is_officer(user) and tender.status is TenderStatus.DRAFT


def can_publish(user, tender: Tender) -> bool:
    """Only a draft is published (its checklist is the service's to check)."""
    return is_officer(user) and MACHINE.can_move(tender.status, TenderStatus.PUBLISHED)


def can_amend(user, tender: Tender, now: datetime) -> bool:
    """A tender is amended while it is open for bids, and not after its deadline
    (an amendment must never reopen a closed tender)."""
    return is_officer(user) and tender.status_at(now) is TenderStatus.PUBLISHED


def can_cancel(user, tender: Tender) -> bool:
    """Anything not yet awarded (or already cancelled) can be cancelled."""
    return is_officer(user) and MACHINE.can_move(tender.status, TenderStatus.CANCELLED)


def can_change_conflicts(user, tender: Tender) -> bool:
    """The conflicts of interest assessment is kept up to date until the tender is
    awarded or cancelled; then it is final."""
    return is_officer(user) and tender.status not in FINAL


def can_link_agreements(user, tender: Tender, now: datetime) -> bool:
    """Agreements are linked to a draft, or to a tender still open for bids (their
    providers are then told at once); not once bids have closed."""
    return is_officer(user) and tender.status_at(now) in (TenderStatus.DRAFT, TenderStatus.PUBLISHED)


def can_answer(user, tender: Tender, now: datetime) -> bool:
    """Clarification questions are answered while the tender is open for bids."""
    return is_officer(user) and tender.status_at(now) is TenderStatus.PUBLISHED


def can_see_responses(user, tender: Tender) -> bool:
    """Bids and clarification questions arrive once a tender is published (the
    seal decides what of a bid is shown, and when)."""
    return is_officer(user) and tender.status is not TenderStatus.DRAFT
