from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovTextInput
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from portal.accounts.models import STAFF_ROLES
from portal.accounts.passwords import MAX_LENGTH
from portal.forms import PortalForm, choices, submit

EMAIL_REQUIRED = InputRequired(message="Enter your email address")
EMAIL_FORMAT = Email(message="Enter an email address in the correct format, like name@example.org")
EMAIL_LENGTH = Length(max=254, message="Email address must be 254 characters or fewer")


def new_password_fields():
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter a password"),
            Length(max=MAX_LENGTH, message=f"Password must be {MAX_LENGTH} characters or fewer"),
        ],
        description="Use 12 characters or more. Three random words work well.",
    )
    confirm = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your password"),
            EqualTo("password", message="Passwords must match"),
        ],
    )
    return password, confirm


class SignInForm(PortalForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[EMAIL_REQUIRED, EMAIL_LENGTH])
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_LENGTH)],
    )
    submit = submit("Sign in")


class EmailOnlyForm(PortalForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[EMAIL_REQUIRED, EMAIL_LENGTH, EMAIL_FORMAT])
    submit = submit("Send link")


class ResetPasswordForm(PortalForm):
    password, confirm = new_password_fields()
    submit = submit("Save password")


class AcceptInvitationForm(PortalForm):
    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
    )
    password, confirm = new_password_fields()
    submit = submit("Create account")


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password"), Length(max=MAX_LENGTH)],
    )
    password, confirm = new_password_fields()
    submit = submit("Change password")


class StaffForm(PortalForm):
    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter their full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter their email address"), EMAIL_LENGTH, EMAIL_FORMAT],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=choices((r.name, r.value) for r in STAFF_ROLES),
        validators=[InputRequired(message="Select a role")],
        invalid_choice_message="Select a role",
    )
    submit = submit("Create account and send invitation")


class RoleForm(PortalForm):
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=choices((r.name, r.value) for r in STAFF_ROLES),
        validators=[InputRequired(message="Select a role")],
        invalid_choice_message="Select a role",
    )
    submit = submit("Change role")


class ConfirmForm(PortalForm):
    """A form with only a button: its CSRF token is the point."""

    submit = submit("Confirm")
