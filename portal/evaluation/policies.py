"""Who may do what in evaluation: pure functions of what is loaded, asked by
views, templates and services alike."""

from __future__ import annotations

from portal.accounts.models import Role, User
from portal.errors import RuleViolation
from portal.tenders.models import Tender, TenderStatus

# After the award the record stays readable; it no longer changes.
READABLE = (TenderStatus.EVALUATION, TenderStatus.AWARDED)


def is_readable(tender: Tender) -> bool:
    """Evaluation exists only for a tender whose bids two officers have opened
    (``evaluation_started_at``) and that is in evaluation or awarded: no page of
    it can be reached while the bids are sealed."""
    return tender.status in READABLE and tender.evaluation_started_at is not None


def is_officer(user: User) -> bool:
    return bool(user.is_authenticated and user.role is Role.OFFICER)


def can_manage(user: User, tender: Tender) -> bool:
    """A procurement officer runs the evaluation of a tender whose bids are open:
    appoints panels, handles conflicts, decides selection, moderates, completes.
    Refuses everyone else, and tenders whose bids are not open."""
    return is_officer(user) and tender.status is TenderStatus.EVALUATION


def can_see_progress(user: User, tender: Tender) -> bool:
    """Officers see a tender's evaluation (scores and all) once the bids are open.
    Evaluators never do: they score blind."""
    return is_officer(user) and is_readable(tender)


def is_evaluator(user: User) -> bool:
    """Evaluators, and officers who may be price evaluators, have an evaluation home."""
    return bool(user.is_authenticated and user.role in (Role.EVALUATOR, Role.OFFICER))


def require_officer(user: User) -> None:
    """Raises RuleViolation: the user is not a procurement officer."""
    if not is_officer(user):
        raise RuleViolation(None, "Only procurement officers can do this")
