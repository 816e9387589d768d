"""A council staff member's home page: what needs their attention."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from portal import clock
from portal.accounts.models import Role
from portal.accounts.policies import can_manage_staff
from portal.awards.contracts import details_notices_due
from portal.db import get_session


def page():
    due = details_notices_due(get_session(), clock.today()) if current_user.role is Role.OFFICER else []  # one query
    return render_template(
        "pages/dashboard_staff.html", can_manage_staff=can_manage_staff(current_user), details_notices_due=due
    )
