"""What awards answer when lower domains ask (``portal.signals.ask``).

Bids cannot import awards (awards stand to their right in the domain order);
the bid pages send a signal, and these receivers answer it. ``create_app``
imports this module so that the receivers are connected.
"""

from __future__ import annotations

from portal.awards import bidder_outcome
from portal.bids.signals import outcome_requested


@outcome_requested.connect
def award_progress(bid, *, session, **_ignored) -> bidder_outcome.AwardProgress:
    """The standstill (computed from the published award notice) and, once they are
    sent, the bid's own outcomes: what the bid's "what happens next" shows."""
    return bidder_outcome.progress(session, bid.id, bid.organisation_id, bid.tender_id)
