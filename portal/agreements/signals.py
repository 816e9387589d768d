"""What agreements pages ask of the domains above them (bids), without importing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

bidders_requested = _signals.signal(
    "bidders-requested",
    doc="""
sender: None; kwargs: session.
Answer: the set of organisation ids with a submitted bid (for the transition dashboard), or None.""",
)

outcomes_requested = _signals.signal(
    "outcomes-requested",
    doc="""
sender: None; kwargs: session.
Answer: {(organisation id, tender id): True (awarded) or False (bid and not awarded)} for the
awards approved so far (for the transition dashboard), or None.""",
)
