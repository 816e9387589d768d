"""Award pages: the officers' (``officer``: decisions, summaries, the notice,
contracts) and the bidders' (``bidder``: each bidder's own outcome and summaries)."""

from __future__ import annotations

from portal.awards.views.bidder import bp as bidder_bp
from portal.awards.views.officer import bp as officer_bp

__all__ = ["bidder_bp", "officer_bp"]
