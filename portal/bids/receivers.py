"""What bids answer when lower domains ask (``portal.signals.ask``).

Tenders and agreements cannot import bids (bids stand to their right in the
domain order); they send a signal, and these receivers answer it. ``create_app``
imports this module so that the receivers are connected.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.agreements.signals import bidders_requested
from portal.bids import queries
from portal.bids.models import Bid
from portal.tenders.signals import bid_counts_requested, own_bid_requested
from portal.tenders.signals import bidders_requested as tender_bidders_requested


@bid_counts_requested.connect
def bid_counts(tender, *, session, **_ignored) -> dict[int, int]:
    """{lot id: number of submitted bids} for the tender (counts only: the seal keeps the rest out)."""
    return queries.counts_per_lot(session, tender)


@own_bid_requested.connect
def own_bid(tender, *, session, organisation_id, **_ignored):
    """The organisation's bid for the tender, or None."""
    return queries.own_bid(session, tender, organisation_id)


@bidders_requested.connect
def bidders(_sender, *, session, **_ignored) -> set[int]:
    """The organisations with a submitted bid (for the agreements transition dashboard)."""
    return queries.bidding_organisations(session)


@tender_bidders_requested.connect
def tender_bidders(tender, *, session, **_ignored) -> set[int]:
    """The organisations that started a bid for the tender (told when it is cancelled)."""
    return set(session.scalars(select(Bid.organisation_id).where(Bid.tender_id == tender.id)))
