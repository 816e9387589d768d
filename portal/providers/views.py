"""Organisation registration, the organisation page and its colleagues."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role, User
from portal.accounts.services import normalise_email
from portal.auth import organisation_admin, public, redirect_home, roles
from portal.db import get_session
from portal.errors import RuleViolation
from portal.forms import choices, form_page, handle_form
from portal.providers import details, policies, services
from portal.providers.forms import InviteColleagueForm, OrganisationDetailsForm, RegistrationForm
from portal.providers.models import District, OrganisationType

bp = Blueprint("providers", __name__)


def _district_choices(db):
    return choices((d.id, d.name) for d in db.scalars(select(District).order_by(District.name)))


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
    form.district_ids.choices = _district_choices(db)
    # Not the redirecting form flow: success shows "check your email" on this
    # address, so that the page never says whether the address had an account.
    if form.validate_on_submit():
        data = services.Registration(
            organisation_name=form.organisation_name.data,
            organisation_type=OrganisationType[form.organisation_type.data],
            charity_number=form.charity_number.data,
            company_number=form.company_number.data,
            address_line_1=form.address_line_1.data,
            address_line_2=form.address_line_2.data,
            town=form.town.data,
            postcode=form.postcode.data,
            district_ids=form.district_ids.data,
            full_name=form.full_name.data,
            email=form.email.data,
            password=form.password.data,
        )
        try:
            services.register_organisation(db, data, clock.now(), claim_token if claimed is not None else None)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return render_template(
                "accounts/check_email.html", email=normalise_email(form.email.data), purpose="register"
            )
    return form_page("providers/register.html", form, claimed=claimed)


@bp.route("/organisation")
@roles(Role.PROVIDER)
def organisation():
    org = current_user.organisation
    members = get_session().scalars(select(User).where(User.organisation_id == org.id).order_by(User.full_name)).all()
    return render_template(
        "providers/organisation.html",
        organisation=org,
        members=members,
        can_manage=policies.can_manage_colleagues(current_user, org),
        can_change_details=policies.can_change_details(current_user, org),
        confirm=ConfirmForm(),
    )


@bp.route("/organisation/details", methods=["GET", "POST"])
@organisation_admin
def change_details():
    """The organisation's administrator changes its details (others see them on /organisation)."""
    db = get_session()
    organisation = current_user.organisation
    if request.method == "GET":
        held = details.details_of(organisation)
        form = OrganisationDetailsForm(
            data={
                "organisation_name": held.name,
                "organisation_type": held.organisation_type.name if held.organisation_type else None,
                "charity_number": held.charity_number,
                "company_number": held.company_number,
                "address_line_1": held.address_line_1,
                "address_line_2": held.address_line_2,
                "town": held.town,
                "postcode": held.postcode,
                "district_ids": held.district_ids,
            }
        )
    else:
        form = OrganisationDetailsForm()
    form.district_ids.choices = _district_choices(db)

    def change():
        return details.change_details(
            db,
            current_user,
            organisation,
            details.OrganisationDetails(
                name=form.organisation_name.data,
                organisation_type=OrganisationType[form.organisation_type.data],
                charity_number=form.charity_number.data,
                company_number=form.company_number.data,
                address_line_1=form.address_line_1.data,
                address_line_2=form.address_line_2.data,
                town=form.town.data,
                postcode=form.postcode.data,
                district_ids=form.district_ids.data,
            ),
        )

    return handle_form(
        form,
        change,
        template="providers/details.html",
        redirect_to=url_for("providers.organisation"),
        success="Your organisation's details have been saved.",
        context={"organisation": organisation},
    )


@bp.route("/organisation/colleagues/invite", methods=["GET", "POST"])
@organisation_admin
def invite_colleague():
    form = InviteColleagueForm()
    return handle_form(
        form,
        lambda: services.invite_colleague(
            get_session(), current_user, form.email.data, form.full_name.data, bool(form.make_admin.data), clock.now()
        ),
        template="providers/invite_colleague.html",
        redirect_to=url_for("providers.organisation"),
        success=lambda user: f"Invitation sent to {user.email}.",
    )


@bp.route("/organisation/colleagues/<int:user_id>/remove", methods=["GET", "POST"])
@organisation_admin
def remove_colleague(user_id):
    member = get_session().get(User, user_id)
    if member is None or not policies.can_remove(current_user, member):
        abort(404)
    form = ConfirmForm()
    return handle_form(
        form,
        lambda: services.remove_colleague(get_session(), current_user, member, clock.now()),
        template="providers/remove_colleague.html",
        redirect_to=url_for("providers.organisation"),
        success=f"{member.full_name} has been removed from your organisation.",
        context={"member": member},
    )
