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
sender: None; kwargs: session, organisation_id and tender_id: SQL columns of the asking query
(an incumbent, and the tender replacing its agreements).
Answer: a SQL expression correlated on those columns: 1 when a bid of the organisation's for
the tender was awarded by an approved award, 0 when it bid and the tender's approved award
went to others, NULL otherwise (for the transition dashboard); or None. The dashboard counts,
filters and pages in the database with it, so only the bids of the rows it reads are read.""",
)

bid_stages_requested = _signals.signal(
    "bid-stages-requested",
    doc="""
sender: None; kwargs: session, organisation_id and tender_id: SQL columns of the asking query
(an incumbent, and the tender replacing its agreements).
Answer: a SQL expression correlated on those columns: "started" (a bid begun, not submitted),
"submitted", or NULL (no bid, or withdrawn) (for the transition dashboard); or None. As with
outcomes, the dashboard counts, filters and pages with it in the database.""",
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
