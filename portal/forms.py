"""Form helpers shared by every domain: GOV.UK widgets and service errors on fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from portal.errors import RuleViolation


class PortalForm(FlaskForm):
    """A form that can take a service's RuleViolation onto the right field."""

    def add_violation(self, violation: RuleViolation) -> None:
        field = getattr(self, violation.field, None) if violation.field else None
        if field is None:
            self.form_errors.append(violation.message)
        else:
            field.errors = [*field.errors, violation.message]


def submit(label: str = "Save and continue") -> SubmitField:
    return SubmitField(label, widget=GovSubmitInput())


def error_summary_items(form) -> list[dict]:
    """Error summary entries: form-wide messages first, then each field's first
    error linking to the field (a date input links to its day box)."""
    items = [{"text": message} for message in form.form_errors]
    for field in form:
        if field.errors:
            anchor = f"{field.id}-day" if getattr(field, "is_date_input", False) else field.id
            items.append({"text": field.errors[0], "href": f"#{anchor}"})
    return items


def choices(pairs) -> list:
    """(value, label) pairs as WTForms 3.3 choices."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
