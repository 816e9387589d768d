"""What agreements pages ask of the domains above them (bids), without importing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

from portal.filters import format_datetime

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

bid_stages_requested = _signals.signal(
    "bid-stages-requested",
    doc="""
sender: None; kwargs: session.
Answer: {(organisation id, tender id): "started" or "submitted"} for every bid not withdrawn
(for the transition dashboard, which matches it to the tender replacing each agreement), or None.""",
)


@dataclass(frozen=True)
class Replacement:
    """The answer to ``replacement_requested``: an agreement's replacement opportunity,
    as a provider may see it (published, or since closed), and that provider's bid for it."""

    reference: str
    title: str
    submission_deadline: datetime | None
    is_open_for_bids: bool  # published and before its deadline by the server's clock
    status: str  # as the opportunity's page shows it: "Open for bids", "Closed", "Cancelled"...
    bid_id: int | None = None  # the organisation's bid (draft, submitted or withdrawn), if it started one

    @property
    def deadline_in_words(self) -> str:
        return deadline_in_words(self.submission_deadline)


def deadline_in_words(deadline: datetime | None) -> str:
    """'midday on 27 December 2026' (London time), for "Bids must be submitted by ...":
    the time first, as GOV.UK writes a deadline; the words are ``format_datetime``'s."""
    if deadline is None:
        return ""
    day, _, time = format_datetime(deadline).rpartition(" at ")
    return f"{time} on {day}"


replacement_requested = _signals.signal(
    "replacement-requested",
    doc="""
sender: the agreement; kwargs: session, organisation_id (the provider asking, or None), now.
Answer: a Replacement for the opportunity replacing the agreement, once it is published
(never a draft), with that organisation's bid if it started one; or None while no
replacement is published (for the ending notice's page and its email).""",
)
