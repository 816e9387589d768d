"""What bids answer when lower domains ask (``portal.signals.ask``).

Tenders and agreements cannot import bids (bids stand to their right in the
domain order); they send a signal, and these receivers answer it. ``create_app``
imports this module so that the receivers are connected.
"""

from __future__ import annotations

from sqlalchemy import ScalarSelect, case, select

from portal.agreements.signals import Replacement, bid_stages_requested, bidders_requested, replacement_requested
from portal.bids import queries
from portal.bids.models import Bid, BidStatus
from portal.tenders.models import Tender
from portal.tenders.public_policies import is_open_for_bids
from portal.tenders.queries import is_public
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


@bid_stages_requested.connect
def bid_stage(_sender, *, organisation_id, tender_id, **_ignored) -> ScalarSelect:
    """How far the organisation got with its bid for the tender, as SQL correlated on the
    asking query's columns (for the transition dashboard, which counts and filters with it):
    "started", "submitted", or NULL. One lookup on the bid's unique (tender, organisation) per row."""
    return (
        select(case((Bid.status == BidStatus.SUBMITTED, "submitted"), else_="started"))
        .where(Bid.tender_id == tender_id, Bid.organisation_id == organisation_id, Bid.status != BidStatus.WITHDRAWN)
        .correlate_except(Bid)  # to the asking query, however deep in it this is placed
        .scalar_subquery()
    )


@tender_bidders_requested.connect
def tender_bidders(tender, *, session, **_ignored) -> set[int]:
    """The organisations that started a bid for the tender (told when it is cancelled)."""
    return set(session.scalars(select(Bid.organisation_id).where(Bid.tender_id == tender.id)))


def replacement_of(tender: Tender | None, bid_id: int | None, now) -> Replacement | None:
    """The replacement opportunity as a provider may see it: None for no tender or a draft
    (a provider never learns of a draft). The provider's home page reads it too."""
    if tender is None or not is_public(tender):
        return None
    return Replacement(
        reference=tender.reference,
        title=tender.title,
        submission_deadline=tender.submission_deadline,
        is_open_for_bids=is_open_for_bids(tender, now),
        status=tender.status_at(now).value,
        bid_id=bid_id,
    )


@replacement_requested.connect
def replacement(agreement, *, session, organisation_id=None, now, **_ignored) -> Replacement | None:
    """The opportunity replacing the agreement, with the organisation's bid for it (for the
    ending notice and its email); None while none is published."""
    tender = session.get(Tender, agreement.replacement_tender_id) if agreement.replacement_tender_id else None
    if tender is None:
        return None
    bid = queries.own_bid(session, tender, organisation_id)
    return replacement_of(tender, bid.id if bid is not None else None, now)
