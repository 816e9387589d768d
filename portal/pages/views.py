"""The start page, each role's home, and the service's information pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal import clock
from portal.auth import public, signed_in
from portal.db import get_session
from portal.pages import provider_home, staff_home
from portal.tenders import queries

bp = Blueprint("pages", __name__)


@bp.route("/")
@public
def start():
    # The tenders domain is below this one: asking it for a count is allowed.
    return render_template("pages/start.html", open_now=queries.open_count(get_session(), clock.now()))


@bp.route("/help")
@public
def help_page():
    """Help and contact: how to reach the council, a missed deadline, technical problems."""
    return render_template("pages/help.html")


@bp.route("/dashboard")
@signed_in
def dashboard():
    return staff_home.page() if current_user.is_staff else provider_home.page()


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
