"""Who was awarded: the answer the agreements transition dashboard asks for
(``agreements.signals.outcomes_requested``), since agreements sits beneath awards."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements.signals import outcomes_requested
from portal.awards.models import LotAward, LotAwardStatus, award_winner
from portal.bids.models import Bid, BidStatus


def organisation_outcomes(session: Session) -> dict[tuple[int, int], bool]:
    """For each (organisation, tender) where the organisation bid and the tender has an
    approved award: True when a bid of theirs was awarded, False when none was. The
    dashboard matches it to the tender that replaces each agreement, so winning one
    tender never counts as the outcome of another. Two queries, whatever the size."""
    approved = select(LotAward.tender_id).where(LotAward.status == LotAwardStatus.APPROVED)
    bidders = {
        tuple(row)
        for row in session.execute(
            select(Bid.organisation_id, Bid.tender_id).where(
                Bid.tender_id.in_(approved), Bid.status == BidStatus.SUBMITTED
            )
        )
    }
    winners = {
        tuple(row)
        for row in session.execute(
            select(Bid.organisation_id, Bid.tender_id)
            .join(award_winner, award_winner.c.bid_id == Bid.id)
            .join(LotAward, LotAward.id == award_winner.c.lot_award_id)
            .where(LotAward.status == LotAwardStatus.APPROVED)
        )
    }
    return {key: key in winners for key in bidders | winners}


@outcomes_requested.connect
def outcomes(_sender, *, session, **_ignored) -> dict[tuple[int, int], bool]:
    return organisation_outcomes(session)
