from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portal.accounts.forms import EMAIL_FORMAT, EMAIL_LENGTH, new_password_fields
from portal.files import ALLOWED_DESCRIPTION
from portal.forms import DateInputField, PortalForm, choices, submit
from portal.providers.models import EvidenceKind, OrganisationType


def _text(label, message, max_length, required=True, description=None):
    validators = [InputRequired(message=message)] if required else [Optional()]
    validators.append(Length(max=max_length, message=f"{label} must be {max_length} characters or fewer"))
    return StringField(label, widget=GovTextInput(), validators=validators, description=description)


class OrganisationDetailsForm(PortalForm):
    """An organisation's details: what registering asks for and what its administrator can change."""

    organisation_name = _text("Organisation name", "Enter your organisation's name", 160)
    organisation_type = RadioField(
        "Type of organisation",
        widget=GovRadioInput(),
        choices=choices((t.name, t.value) for t in OrganisationType),
        validators=[InputRequired(message="Select the type of organisation")],
        invalid_choice_message="Select the type of organisation",
    )
    charity_number = _text(
        "Charity number (if you have one)",
        "",
        12,
        required=False,
        description="For example, 1123456. Charities in Scotland start SC.",
    )
    company_number = _text(
        "Companies House number (if you have one)",
        "",
        10,
        required=False,
        description="8 characters, for example 01234567 or SC123456.",
    )
    address_line_1 = _text("Address line 1", "Enter address line 1, typically the building and street", 120)
    address_line_2 = _text("Address line 2 (optional)", "", 120, required=False)
    town = _text("Town or city", "Enter town or city", 80)
    postcode = _text("Postcode", "Enter postcode", 10)
    district_ids = SelectMultipleField(
        "Districts you serve",
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[InputRequired(message="Select the districts your organisation serves")],
        invalid_choice_message="Select the districts your organisation serves from the list",
        description="Select all that apply.",
    )
    submit = submit("Save changes")


class RegistrationForm(OrganisationDetailsForm):
    full_name = _text("Your full name", "Enter your full name", 120)
    email = EmailField(
        "Your email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), EMAIL_LENGTH, EMAIL_FORMAT],
        description="We will send you a link to confirm it.",
    )
    password, confirm = new_password_fields()
    submit = submit("Register organisation")


class InviteColleagueForm(PortalForm):
    full_name = _text("Full name", "Enter their full name", 120)
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter their email address"), EMAIL_LENGTH, EMAIL_FORMAT],
    )
    make_admin = BooleanField(
        "They can invite and remove colleagues (organisation administrator)", widget=GovCheckboxInput()
    )
    submit = submit("Send invitation")


class EvidenceForm(PortalForm):
    kind = RadioField(
        "What kind of document is it?",
        widget=GovRadioInput(),
        choices=choices((k.name, k.value) for k in EvidenceKind),
        validators=[InputRequired(message="Select what kind of document it is")],
        invalid_choice_message="Select what kind of document it is",
    )
    title = _text(
        "Title",
        "Enter a title for the document",
        200,
        description="As the council will see it, for example Public liability insurance 2026 to 2027",
    )
    file = FileField(
        "Upload the document",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a file")],
        description=f"A {ALLOWED_DESCRIPTION} file, up to 10MB",
    )
    expires_on = DateInputField(
        "Expiry date (optional)",
        description="If the document expires, we will remind you 30 days before. For example, 31 3 2027",
    )
    submit = submit("Save and continue")
