"""Who may do what with a bid, and when: pure functions of what is loaded.

Views, templates and services ask these same functions, so a hidden button and
a refused URL never disagree. Whether a tender takes bids at all is the
tender's rule (``portal.tenders.public_policies.is_open_for_bids``); the bid
rules build on it. Deadlines are judged by the ``now`` passed in: for a change
to a bid, the moment its request reached the portal (``portal.arrival``), so a
press made in time is not refused for waiting behind others.

The last part holds the one rule services must *raise* rather than answer
(``require_editable``), with the refusal it raises, so the wording of "too
late" lives beside the rule that decides it.
"""

from __future__ import annotations

from datetime import datetime

from portal.accounts.models import Role, User
from portal.bids.display import format_datetime_seconds
from portal.bids.models import Bid
from portal.errors import RuleViolation
from portal.filters import format_datetime
from portal.tenders.models import Tender, TenderStatus
from portal.tenders.public_policies import is_open_for_bids

# A tender whose bids may still be opened: still published (nothing has closed
# it yet), or closed and waiting for its two officers.
WAITING_TO_OPEN = (TenderStatus.PUBLISHED, TenderStatus.CLOSED)


def is_bidder(user: User, bid: Bid) -> bool:
    """The user acts for the organisation that owns the bid."""
    return bool(
        user.is_authenticated
        and user.role is Role.PROVIDER
        and user.organisation_id is not None
        and user.organisation_id == bid.organisation_id
    )


def is_past_deadline(tender: Tender, now: datetime) -> bool:
    """At or after the deadline for bids, by the server's clock."""
    return tender.submission_deadline is not None and now >= tender.submission_deadline


def is_opened(tender: Tender, now: datetime) -> bool:
    """Opened by two officers, which is possible only after the deadline."""
    return tender.evaluation_started_at is not None and is_past_deadline(tender, now)


def can_read_content(user: User, bid: Bid, now: datetime) -> bool:
    """The seal: before the bids are opened only the bidder can read a bid.

    Council staff (officers, evaluators, administrators alike) read it only
    after the deadline, once two officers have opened the bids.
    """
    if is_bidder(user, bid):
        return True
    return bool(user.is_authenticated and user.is_staff and is_opened(bid.tender, now))


def can_edit(user: User, bid: Bid, now: datetime) -> bool:
    """The bidder may change, submit or withdraw the bid: the tender is open
    for bids and its deadline has not passed."""
    return is_bidder(user, bid) and is_open_for_bids(bid.tender, now)


def is_waiting_to_open(tender: Tender, now: datetime) -> bool:
    """The deadline has passed and the bids have not been opened (nor the tender cancelled)."""
    return is_past_deadline(tender, now) and tender.status in WAITING_TO_OPEN


def can_confirm_opening(user: User, tender: Tender, now: datetime) -> bool:
    """A procurement officer may confirm the opening once the deadline has
    passed, while the bids wait to be opened. (A second confirmation by the
    same officer is refused by ``opening.confirm_opening``, which reads the
    confirmations already made.)"""
    return bool(user.is_authenticated and user.role is Role.OFFICER and is_waiting_to_open(tender, now))


# --- The same rule, raising (for services) -------------------------------------------------


class DeadlinePassed(RuleViolation):
    """A change or submission at or after the deadline, with both times to show:
    ``server_time`` is when the request reached the portal, by the server's clock."""

    def __init__(self, deadline: datetime, server_time: datetime):
        super().__init__(
            None,
            f"The deadline for bids was {format_datetime(deadline)}. The server's time is now "
            f"{format_datetime_seconds(server_time)}, so the bid cannot be changed or submitted",
        )
        self.deadline = deadline
        self.server_time = server_time


def require_editable(bid: Bid, now: datetime) -> None:
    """The tender half of ``can_edit``, for services: the bid may still change at ``now``.

    Raises:
        DeadlinePassed: at or after the deadline.
        RuleViolation: the tender is not open for bids (a draft, closed, awarded or cancelled).
    """
    tender = bid.tender
    if is_open_for_bids(tender, now):
        return
    if is_past_deadline(tender, now):
        raise DeadlinePassed(tender.submission_deadline, now)
    raise RuleViolation(None, "This opportunity is not open for bids")
