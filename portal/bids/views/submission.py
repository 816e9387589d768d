"""Checking and submitting a bid, its receipts, and withdrawing it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import clock
from portal.accounts.models import Role
from portal.auth import roles
from portal.bids import display
from portal.bids import submission as submitting
from portal.bids.forms import SubmitBidForm, WithdrawForm
from portal.bids.models import BidStatus
from portal.bids.policies import DeadlinePassed
from portal.bids.views import (
    award_progress,
    bid_or_404,
    bid_to_submit_or_404,
    bp,
    is_editable,
    overview,
    refused,
    require_editable,
    task_url,
)
from portal.db import after_commit, get_session
from portal.errors import RuleViolation


@bp.route("/bids/<int:bid_id>/submit")
@roles(Role.PROVIDER)
def check(bid_id):
    bid = bid_or_404(bid_id)
    return render_template(
        "bids/check.html", form=SubmitBidForm(), errors=None, **overview(get_session(), bid, clock.now())
    )


@bp.route("/bids/<int:bid_id>/submit", methods=["POST"])
@roles(Role.PROVIDER)
def submit(bid_id):
    """Submit; a database failure is answered by the blueprint's "not
    submitted, your draft is safe" page (503), the deadline by its own."""
    bid = bid_to_submit_or_404(bid_id)  # locked, with all the service reads, in a fixed number of queries
    session = get_session()
    now = require_editable(bid)
    try:
        submission, _is_new = submitting.submit(session, current_user._get_current_object(), bid, now)
    except submitting.Incomplete as incomplete:
        # Each problem links to the task that fixes it (GOV.UK error summary), on the check
        # page as it shows the bid (read for it: the submission read only what it checks).
        errors = [{"text": str(item), "href": task_url(item)} for item in incomplete.missing]
        page = overview(session, bid_or_404(bid_id), clock.now())
        return render_template("bids/check.html", form=SubmitBidForm(), errors=errors, **page), 400
    except DeadlinePassed:
        raise
    except RuleViolation as violation:
        return refused("Your bid was not submitted", violation.message)
    return redirect(url_for("bids.receipt", bid_id=bid.id, version=submission.version))


@bp.route("/bids/<int:bid_id>/receipts/<int:version>")
@roles(Role.PROVIDER)
def receipt(bid_id, version):
    bid = bid_or_404(bid_id)
    submission = next((s for s in bid.submissions if s.version == version), None)
    if submission is None:
        abort(404)
    now = clock.now()
    return render_template(
        "bids/receipt.html",
        bid=bid,
        submission=submission,
        current=display.current_submission(bid),
        others=[s for s in reversed(bid.submissions) if s.version != version],
        now=now,
        is_editable=is_editable(bid, now),
        award=award_progress(get_session(), bid),
    )


@bp.route("/bids/<int:bid_id>/withdraw", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def withdraw(bid_id):
    bid = bid_or_404(bid_id)
    form = WithdrawForm()
    if request.method == "POST":
        now = require_editable(bid)
        try:
            submitting.withdraw(get_session(), current_user, bid, now)
        except DeadlinePassed:
            raise
        except RuleViolation as violation:
            return refused("Your bid cannot be withdrawn", violation.message)
        # Said only once the withdrawal has committed: the deadline, judged again at
        # the commit, may still refuse it.
        after_commit(
            get_session(),
            lambda: flash(
                "Your bid has been withdrawn. Its submitted versions are kept. "
                "You can submit it again until the deadline.",
                "success",
            ),
        )
        return redirect(url_for("bids.show", bid_id=bid.id))
    now = clock.now()
    return render_template(
        "bids/withdraw.html",
        form=form,
        bid=bid,
        now=now,
        current=display.current_submission(bid),
        is_editable=is_editable(bid, now),
        is_submitted=bid.status is BidStatus.SUBMITTED,
    )
