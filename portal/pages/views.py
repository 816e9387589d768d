"""The start page, each role's home, and the service's information pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal import clock
from portal.accounts.models import Role
from portal.accounts.policies import can_manage_staff
from portal.agreements.queries import provider_home
from portal.agreements.services import status_of
from portal.auth import public, signed_in
from portal.awards.contracts import details_notices_due
from portal.bids import display as bid_display
from portal.bids.queries import organisation_bids
from portal.db import get_session

bp = Blueprint("pages", __name__)


@bp.route("/")
@public
def start():
    return render_template("pages/start.html")


@bp.route("/dashboard")
@signed_in
def dashboard():
    if current_user.is_staff:
        due = (
            details_notices_due(get_session(), clock.today()) if current_user.role is Role.OFFICER else []
        )  # one query
        return render_template(
            "pages/dashboard_staff.html", can_manage_staff=can_manage_staff(current_user), details_notices_due=due
        )
    agreements, notices = provider_home(get_session(), current_user.organisation_id)
    now = clock.now()
    today = clock.today()
    bids = organisation_bids(get_session(), current_user.organisation_id, now)  # one query
    return render_template(
        "pages/dashboard_provider.html",
        agreements=agreements,
        notices=notices,
        today=today,
        status_of=status_of,
        bids=bids,
        now=now,
        bid_countdown=bid_display.countdown,
        bid_status=bid_display.status_label,
        bid_has_unsubmitted_changes=bid_display.has_unsubmitted_changes,
    )


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("pages/privacy.html")


@bp.route("/cookies")
@public
def cookies():
    return render_template("pages/cookies.html")
