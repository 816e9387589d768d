"""A council staff member's home page: what needs their attention, each item a link."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from flask_login import current_user

from portal import clock
from portal.accounts.models import Role
from portal.accounts.policies import can_manage_staff
from portal.db import get_session
from portal.pages import attention


def page():
    session = get_session()
    now, today = clock.now(), clock.today()
    sections = []
    staff_summary = ""
    if current_user.role is Role.OFFICER:
        sections += attention.for_officer(session, current_user, now, today)
    if can_manage_staff(current_user):
        max_age = timedelta(seconds=current_app.config["INVITE_TOKEN_MAX_AGE"])
        sections.append(attention.invitations_outstanding(session, now, max_age))
        staff_summary = attention.staff_counts(session)
    return render_template(
        "pages/dashboard_staff.html",
        can_manage_staff=can_manage_staff(current_user),
        # Evaluators' work is on their own page ("Your evaluations"), so they have no list here.
        has_list=current_user.role is Role.OFFICER or can_manage_staff(current_user),
        sections=[section for section in sections if section.items],
        staff_summary=staff_summary,
    )
