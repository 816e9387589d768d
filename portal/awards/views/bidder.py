"""A bidder's outcome: its own assessment summaries, on the page and as PDF.

Both routes answer 404 unless the signed-in provider acts for the organisation
that owns the bid and the summaries have been sent: another organisation's
summary, and a summary not yet sent, do not exist as far as a bidder can tell.
Summaries are never public: anyone signed out is sent to sign in, and council
staff are refused (they read summaries on the officers' award pages)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, make_response, render_template
from flask_login import current_user

from portal.accounts.models import Role
from portal.auth import roles
from portal.awards import bidder_outcome, pdf
from portal.awards.policies import is_bidder_of
from portal.db import get_session

bp = Blueprint("award_outcome", __name__, url_prefix="/bids")


def _own_outcome_or_404(bid_id: int) -> bidder_outcome.BidOutcome:
    """The bid with its award notice and the summaries sent for it; 404 unless the signed-in
    provider acts for its organisation and some summary has been sent."""
    outcome = bidder_outcome.bid_outcome(get_session(), bid_id, current_user.organisation_id)
    if outcome is None or not is_bidder_of(current_user, outcome.organisation_id) or not outcome.summaries:
        abort(404)
    return outcome


def _page_context(outcome: bidder_outcome.BidOutcome, summaries) -> dict:
    tender, notice = outcome.tender, outcome.notice
    views = [bidder_outcome.summary_view(s) for s in summaries]
    return {
        "bid": outcome,
        "tender": tender,
        "summaries": views,
        "standstill": bidder_outcome.standstill(notice),
        "next_steps": bidder_outcome.next_steps(tender, notice, [v.outcome for v in views]),
        "sent_at": min(s.sent_at for s in summaries),
    }


@bp.route("/<int:bid_id>/outcome")
@roles(Role.PROVIDER)
def outcome(bid_id):
    """The bid's outcome in each lot, with its assessment summary (the email sent with them links here)."""
    outcome = _own_outcome_or_404(bid_id)
    return render_template("awards/bidder/outcome.html", **_page_context(outcome, outcome.summaries))


@bp.route("/<int:bid_id>/outcome/lots/<int:lot_id>.pdf")
@roles(Role.PROVIDER)
def outcome_pdf(bid_id, lot_id):
    """One lot's assessment summary as a PDF, with the same content as the page."""
    outcome = _own_outcome_or_404(bid_id)
    summary = next((s for s in outcome.summaries if s.lot_id == lot_id), None)
    if summary is None:
        abort(404)
    context = _page_context(outcome, [summary])
    document = pdf.summary_pdf(
        context["summaries"][0],
        standstill=context["standstill"],
        next_steps=context["next_steps"],
        sent_at=context["sent_at"],
        tender=context["tender"],
        council=current_app.config["COUNCIL_NAME"],
    )
    reference = re.sub(r"[^A-Za-z0-9-]+", "-", summary.content["tender"]["reference"]).strip("-") or "tender"
    filename = f"assessment-summary-{reference}-lot-{summary.content['lot']['number']}.pdf"
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
