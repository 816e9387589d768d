"""Organisation registration, the organisation page and its colleagues."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role, User
from portal.accounts.views import form_page
from portal.auth import organisation_admin, public, redirect_home, roles
from portal.db import commit, get_session
from portal.errors import RuleViolation
from portal.forms import choices
from portal.providers import policies, services
from portal.providers.forms import InviteColleagueForm, RegistrationForm
from portal.providers.models import District, OrganisationType

bp = Blueprint("providers", __name__)


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect_home()
    db = get_session()
    form = RegistrationForm()
    claim_token = request.args.get("claim")
    claimed = services.organisation_for_claim(db, claim_token)
    if claimed is not None and request.method == "GET":
        form.organisation_name.data = claimed.name
        form.charity_number.data = claimed.charity_number
        form.company_number.data = claimed.company_number
        form.email.data = claimed.contact_email
    form.district_ids.choices = choices((d.id, d.name) for d in db.scalars(select(District).order_by(District.name)))
    if form.validate_on_submit():
        data = services.Registration(
            organisation_name=form.organisation_name.data, organisation_type=OrganisationType[form.organisation_type.data],
            charity_number=form.charity_number.data, company_number=form.company_number.data,
            address_line_1=form.address_line_1.data, address_line_2=form.address_line_2.data,
            town=form.town.data, postcode=form.postcode.data, district_ids=form.district_ids.data,
            full_name=form.full_name.data, email=form.email.data, password=form.password.data,
        )
        try:
            services.register_organisation(db, data, claim_token if claimed is not None else None)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            return render_template("accounts/check_email.html", email=services.normalise_email(form.email.data),
                                   purpose="register")
    return form_page("providers/register.html", form, claimed=claimed)


@bp.route("/organisation")
@roles(Role.PROVIDER)
def organisation():
    org = current_user.organisation
    members = get_session().scalars(
        select(User).where(User.organisation_id == org.id).order_by(User.full_name)
    ).all()
    return render_template("providers/organisation.html", organisation=org, members=members,
                           can_manage=policies.can_manage_colleagues(current_user, org), confirm=ConfirmForm())


@bp.route("/organisation/colleagues/invite", methods=["GET", "POST"])
@organisation_admin
def invite_colleague():
    form = InviteColleagueForm()
    if form.validate_on_submit():
        try:
            user = services.invite_colleague(get_session(), current_user, form.email.data, form.full_name.data,
                                             bool(form.make_admin.data))
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("providers.organisation"))
    return form_page("providers/invite_colleague.html", form)


@bp.route("/organisation/colleagues/<int:user_id>/remove", methods=["GET", "POST"])
@organisation_admin
def remove_colleague(user_id):
    db = get_session()
    member = db.get(User, user_id)
    if member is None or not policies.can_remove(current_user, member):
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.remove_colleague(db, current_user, member)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            flash(f"{member.full_name} has been removed from your organisation.", "success")
            return redirect(url_for("providers.organisation"))
    return form_page("providers/remove_colleague.html", form, member=member)
