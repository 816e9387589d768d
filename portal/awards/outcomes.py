"""Who was awarded: the answer the agreements transition dashboard asks for
(``agreements.signals.outcomes_requested``), since agreements sits beneath awards."""

from __future__ import annotations

from sqlalchemy import ScalarSelect, and_, case, or_, select

from portal.agreements.signals import outcomes_requested
from portal.awards.models import LotAward, LotAwardStatus, award_winner
from portal.bids.models import Bid, BidStatus


def outcome(organisation_id, tender_id) -> ScalarSelect:
    """Whether the organisation's bid for the tender was awarded, as SQL correlated on the
    asking query's columns: 1 when its bid is a winner of an approved award, 0 when it
    submitted a bid and the tender has an approved award that it did not win, NULL
    otherwise. The dashboard matches it to the tender that replaces each agreement, so
    winning one tender never counts as the outcome of another. One lookup on the bid's
    unique (tender, organisation) per row."""
    won = (
        select(award_winner.c.bid_id)
        .join(LotAward, LotAward.id == award_winner.c.lot_award_id)
        .where(LotAward.status == LotAwardStatus.APPROVED)
    )
    approved = select(LotAward.tender_id).where(LotAward.status == LotAwardStatus.APPROVED)
    return (
        select(case((Bid.id.in_(won), 1), else_=0))
        .where(
            Bid.tender_id == tender_id,
            Bid.organisation_id == organisation_id,
            or_(Bid.id.in_(won), and_(Bid.status == BidStatus.SUBMITTED, Bid.tender_id.in_(approved))),
        )
        .correlate_except(Bid)  # to the asking query, however deep in it this is placed
        .scalar_subquery()
    )


@outcomes_requested.connect
def outcomes(_sender, *, organisation_id, tender_id, **_ignored) -> ScalarSelect:
    return outcome(organisation_id, tender_id)
