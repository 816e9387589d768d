"""Opening the bids after the deadline: two different procurement officers
must each confirm before anyone at the council can read them (the seal).

Opening stays with the bids, beside the seal it breaks (``policies.is_opened``):
the evaluation domain (``portal.evaluation``) starts from a tender whose bids
are open, and never opens a path around the seal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.audit.services import record
from portal.bids.models import BidOpening
from portal.bids.policies import is_past_deadline
from portal.errors import RuleViolation
from portal.filters import format_datetime
from portal.tenders import services as tender_services
from portal.tenders.models import Tender, TenderStatus


def confirm_opening(session: Session, officer: User, tender: Tender, now: datetime) -> bool:
    """One officer's confirmation; the second different officer's opens the bids.

    Returns True when the bids are now open. The tender's row is locked first,
    so two officers confirming at the same moment are counted one after the
    other (each would otherwise see only its own confirmation, and neither open).

    Raises:
        RuleViolation: not an officer, before the deadline, the tender not
            waiting to be opened (already opened, or cancelled), or the same
            officer confirming twice.
    """
    if officer.role is not Role.OFFICER:
        raise RuleViolation(None, "Only procurement officers can open bids")
    if not is_past_deadline(tender, now):
        raise RuleViolation(
            None, f"Bids cannot be opened before the deadline, {format_datetime(tender.submission_deadline)}"
        )
    session.refresh(tender, with_for_update=True)
    tender_services.close_if_due(session, tender, now)
    if tender.status is not TenderStatus.CLOSED:
        raise RuleViolation(
            None,
            "The bids for this tender have already been opened"
            if tender.evaluation_started_at
            else "This tender is not waiting to be opened",
        )
    if session.scalar(
        select(BidOpening.id).where(BidOpening.tender_id == tender.id, BidOpening.officer_id == officer.id)
    ):
        raise RuleViolation(None, "You have already confirmed. A different officer must confirm to open the bids")
    session.add(BidOpening(tender_id=tender.id, officer_id=officer.id, confirmed_at=now))
    session.flush()
    officers = list(session.scalars(select(BidOpening.officer_id).where(BidOpening.tender_id == tender.id)))
    record(session, officer, "tender.opening_confirmed", tender, confirmations=len(officers))
    if len(set(officers)) >= 2:
        tender_services.start_evaluation(session, officer, tender, now)
        record(session, officer, "tender.bids_opened", tender, officer_ids=sorted(set(officers)))
        session.flush()
        return True
    session.flush()
    return False
