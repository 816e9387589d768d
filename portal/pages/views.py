"""The start page, each role's home, and the service's information pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.auth import public, signed_in
from portal.pages import provider_home, staff_home

bp = Blueprint("pages", __name__)


@bp.route("/")
@public
def start():
    return render_template("pages/start.html")


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
