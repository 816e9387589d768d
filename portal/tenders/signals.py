"""What tender pages ask of the domains above them (bids, evaluation), without importing them.

Ask with ``portal.signals.ask``; receivers live in the higher domain's ``receivers.py``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

bid_counts_requested = _signals.signal(
    "bid-counts-requested",
    doc="""
sender: the tender; kwargs: session.
Answer: {lot_id: number of submitted bids} (counts only: the seal keeps the rest out).""",
)

own_bid_requested = _signals.signal(
    "own-bid-requested",
    doc="""
sender: the tender; kwargs: session, organisation_id.
Answer: that organisation's bid for the tender (an object the template reads), or None.""",
)

bidders_requested = _signals.signal(
    "tender-bidders-requested",
    doc="""
sender: the tender; kwargs: session.
Answer: the ids of the organisations that started a bid for it (draft or submitted), or None.""",
)

# Told, not asked: what happened to a tender, for the domains above that publish it
# (transparency makes each notice an open-data release in the same transaction).

tender_published = _signals.signal(
    "tender-published",
    doc="""sender: the tender, just published (its tender notice, UK4); kwargs: session, now.""",
)

tender_amended = _signals.signal(
    "tender-amended",
    doc="""sender: the tender, just amended; kwargs: session, now, amendment.""",
)

tender_cancelled = _signals.signal(
    "tender-cancelled",
    doc="""sender: a published tender, just cancelled (its procurement termination notice, UK12);
kwargs: session, now.""",
)
