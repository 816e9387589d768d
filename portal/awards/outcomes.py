"""Who was awarded: the answer the agreements transition dashboard asks for
(``agreements.signals.outcomes_requested``), since agreements sits beneath awards."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements.signals import outcomes_requested
from portal.awards.models import LotAward, LotAwardStatus, award_winner
from portal.bids.models import Bid, BidStatus


def organisation_outcomes(session: Session) -> dict[int, bool]:
    """For each organisation that bid in a tender with an approved award: True when a
    bid of theirs was awarded, False when none was. One query each way, whatever the size."""
    approved = select(LotAward.tender_id).where(LotAward.status == LotAwardStatus.APPROVED)
    bidders = set(
        session.scalars(
            select(Bid.organisation_id).where(Bid.tender_id.in_(approved), Bid.status == BidStatus.SUBMITTED)
        )
    )
    winners = set(
        session.scalars(
            select(Bid.organisation_id)
            .join(award_winner, award_winner.c.bid_id == Bid.id)
            .join(LotAward, LotAward.id == award_winner.c.lot_award_id)
            .where(LotAward.status == LotAwardStatus.APPROVED)
        )
    )
    return {organisation_id: organisation_id in winners for organisation_id in bidders | winners}


@outcomes_requested.connect
def outcomes(_sender, *, session, **_ignored) -> dict[int, bool]:
    return organisation_outcomes(session)
