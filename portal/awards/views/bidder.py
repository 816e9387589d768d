"""A bidder's outcome: its own assessment summaries, on the page and as PDF."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("award_outcome", __name__, url_prefix="/bids")
