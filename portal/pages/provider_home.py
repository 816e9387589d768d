"""A provider's home page: what their organisation needs to do next."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from portal import clock
from portal.agreements.queries import provider_home
from portal.agreements.services import status_of
from portal.bids import display as bid_display
from portal.bids.queries import organisation_bids
from portal.db import get_session


def page():
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
