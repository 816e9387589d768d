"""Who may see a tender on the public pages, and whether questions and bids are still open.

The views and the templates ask these same functions, so a hidden button and a
refused URL never disagree. Deadlines are judged by the server's clock: a
tender past its submission deadline is closed for bids whether or not the
worker has recorded the closing yet (``Tender.status_at``).
"""

from __future__ import annotations

from datetime import datetime

from portal.accounts.models import Role
from portal.tenders.models import Tender, TenderStatus
from portal.tenders.queries import is_public

PREVIEW_ROLES = (Role.OFFICER, Role.ADMIN)


def can_preview_drafts(user) -> bool:
    """Officers and administrators see tenders (and their documents) before publication."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in PREVIEW_ROLES


def can_view(user, tender: Tender) -> bool:
    """Anyone sees a published (or closed, awarded, cancelled) tender; only
    officers and administrators see a draft."""
    return is_public(tender) or can_preview_drafts(user)


def is_provider(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role is Role.PROVIDER


def is_open_for_bids(tender: Tender, now: datetime) -> bool:
    """Bids may be started and changed: published, and before the deadline by the server's clock."""
    return (
        tender.status is TenderStatus.PUBLISHED
        and tender.submission_deadline is not None
        and now < tender.submission_deadline
    )


def can_register_interest(user, tender: Tender, now: datetime) -> bool:
    """A provider registers interest in a tender that is open for bids."""
    return is_provider(user) and is_open_for_bids(tender, now)


def questions_open(tender: Tender, now: datetime) -> bool:
    """Clarification questions are taken while the tender is open and before
    its clarification deadline (by the server's clock)."""
    return (
        tender.status is TenderStatus.PUBLISHED
        and tender.clarification_deadline is not None
        and now < tender.clarification_deadline
    )


def can_ask(user, tender: Tender, now: datetime) -> bool:
    return is_provider(user) and questions_open(tender, now)
