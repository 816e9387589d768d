"""Who may do what in the award: pure functions of what is loaded."""

from __future__ import annotations

from portal.accounts.models import Role, User
from portal.errors import RuleViolation
from portal.tenders.models import Tender, TenderStatus

AWARD_STAGES = (TenderStatus.EVALUATION, TenderStatus.AWARDED)


def is_officer(user: User) -> bool:
    return bool(user.is_authenticated and user.role is Role.OFFICER)


def can_see_award(user: User, tender: Tender) -> bool:
    """Officers see a tender's award pages once its bids are open; nobody else does."""
    return is_officer(user) and tender.status in AWARD_STAGES and tender.evaluation_started_at is not None


def is_bidder_of(user: User, organisation_id: int) -> bool:
    """The user acts for the organisation (a summary is its own organisation's only)."""
    return bool(
        user.is_authenticated
        and user.role is Role.PROVIDER
        and user.organisation_id is not None
        and user.organisation_id == organisation_id
    )


def require_officer(user: User) -> None:
    """Raises RuleViolation: the user is not a procurement officer."""
    if not is_officer(user):
        raise RuleViolation(None, "Only procurement officers can do this")
