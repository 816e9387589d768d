"""Council staff accounts, managed by administrators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.forms import ConfirmForm, RoleForm, StaffForm
from portal.accounts.models import STAFF_ROLES, Role, User
from portal.accounts.views import form_page
from portal.auth import roles
from portal.db import commit, get_session
from portal.errors import RuleViolation

bp = Blueprint("staff", __name__, url_prefix="/admin/users")


def _staff_member(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None or user.role is Role.PROVIDER:
        abort(404)
    return user


@bp.route("")
@roles(Role.ADMIN)
def index():
    staff = get_session().scalars(
        select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.full_name)
    ).all()
    return render_template("staff/index.html", staff=staff)


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create():
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user = services.create_staff(get_session(), current_user, form.email.data, form.full_name.data,
                                         Role[form.role.data])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash(f"Account created. {user.full_name} has been emailed a link to set a password.", "success")
            return redirect(url_for("staff.index"))
    return form_page("staff/create.html", form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def show(user_id):
    user = _staff_member(user_id)
    form = RoleForm()
    if form.is_submitted() is False:
        form.role.data = user.role.name
    if form.validate_on_submit():
        try:
            services.change_role(get_session(), current_user, user, Role[form.role.data])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash(f"{user.full_name} is now {user.role.value.lower()}.", "success")
            return redirect(url_for("staff.show", user_id=user.id))
    return form_page("staff/show.html", form, user=user, confirm=ConfirmForm())


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles(Role.ADMIN)
def deactivate(user_id):
    return _change_activation(user_id, services.deactivate_staff, "deactivated")


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@roles(Role.ADMIN)
def reactivate(user_id):
    return _change_activation(user_id, services.reactivate_staff, "reactivated")


def _change_activation(user_id, change, word):
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
    commit()
    flash(f"{user.full_name}'s account has been {word}.", "success")
    return redirect(url_for("staff.show", user_id=user.id))
