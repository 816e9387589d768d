"""Council staff accounts, managed by administrators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.accounts import services
from portal.accounts.forms import ConfirmForm, RoleForm, StaffForm
from portal.accounts.models import STAFF_ROLES, Role, User
from portal.accounts.policies import STAFF_ADMIN_ROLES
from portal.auth import roles
from portal.db import get_session
from portal.errors import RuleViolation
from portal.forms import form_page, handle_form

bp = Blueprint("staff", __name__, url_prefix="/admin/users")


def _staff_member(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None or user.role is Role.PROVIDER:
        abort(404)
    return user


@bp.route("")
@roles(*STAFF_ADMIN_ROLES)
def index():
    staff = get_session().scalars(select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.full_name)).all()
    return render_template("staff/index.html", staff=staff)


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF_ADMIN_ROLES)
def create():
    form = StaffForm()
    return handle_form(
        form,
        lambda: services.create_staff(
            get_session(), current_user, form.email.data, form.full_name.data, Role[form.role.data], now=clock.now()
        ),
        template="staff/create.html",
        redirect_to=url_for("staff.index"),
        success=lambda user: f"Account created. {user.full_name} has been emailed a link to set a password.",
    )


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles(*STAFF_ADMIN_ROLES)
def show(user_id):
    user = _staff_member(user_id)
    form = RoleForm()
    if not form.is_submitted():
        form.role.data = user.role.name
    return handle_form(
        form,
        lambda: services.change_role(get_session(), current_user, user, Role[form.role.data]),
        template="staff/show.html",
        redirect_to=url_for("staff.show", user_id=user.id),
        success=lambda _: f"{user.full_name} is now {user.role.value.lower()}.",
        context={"user": user, "confirm": ConfirmForm()},
    )


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles(*STAFF_ADMIN_ROLES)
def deactivate(user_id):
    return _change_activation(
        user_id, lambda db, actor, user: services.deactivate_staff(db, actor, user, clock.now()), "deactivated"
    )


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@roles(*STAFF_ADMIN_ROLES)
def reactivate(user_id):
    return _change_activation(user_id, services.reactivate_staff, "reactivated")


def _change_activation(user_id, change, word):
    # Not the usual form flow: a refusal is shown on the staff member's page,
    # above its role form, rather than on the confirmation button's own form.
    user = _staff_member(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change(get_session(), current_user, user)
    except RuleViolation as violation:
        role_form = RoleForm()
        role_form.role.data = user.role.name
        role_form.form_errors.append(violation.message)
        return form_page("staff/show.html", role_form, status=400, user=user, confirm=form)
    flash(f"{user.full_name}'s account has been {word}.", "success")
    return redirect(url_for("staff.show", user_id=user.id))
