"""Read-only queries for the providers' bid pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload

from portal.bids.models import Bid
from portal.tenders.models import Tender


def organisation_bids(session: Session, organisation_id: int | None, now: datetime) -> list[Bid]:
    """The organisation's bids with their tender and submissions, in one query:
    open ones first, soonest deadline first; then closed ones, latest first."""
    if organisation_id is None:
        return []
    bids = list(session.scalars(
        select(Bid).join(Bid.tender).options(contains_eager(Bid.tender), joinedload(Bid.submissions))
        .where(Bid.organisation_id == organisation_id).order_by(Tender.submission_deadline, Bid.id)
    ).unique())
    is_open = [b for b in bids if b.tender.submission_deadline is None or now < b.tender.submission_deadline]
    closed = [b for b in bids if b not in is_open]
    return is_open + closed[::-1]
