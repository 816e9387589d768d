"""Form helpers shared by every domain: GOV.UK widgets and service errors on fields."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput
from wtforms import Field, SubmitField
from wtforms.validators import StopValidation

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


class DateInputField(Field):
    """A GOV.UK date input (day, month, year boxes sharing one name).

    Unlike WTForms' DateField with GovDateInput, a POST missing some or all of
    the boxes is an error message, not a 500, and the error links to the day box.
    """

    is_date_input = True

    def __init__(self, label=None, validators=None, required_message: str | None = None, **kwargs):
        super().__init__(label, validators, widget=GovDateInput(), **kwargs)
        self.required_message = required_message  # None: the date is optional

    def process_formdata(self, valuelist):
        self.raw_data = (list(valuelist) + ["", "", ""])[:3]
        day, month, year = (value.strip() for value in self.raw_data)
        self.data = None
        if not (day or month or year):
            return
        missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
        if missing:
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        try:
            if len(year) != 4:
                raise ValueError
            self.data = date(int(year), int(month), int(day))
        except ValueError as error:
            raise ValueError(f"{self.label.text} must be a real date") from error

    def pre_validate(self, form):
        if self.required_message and self.data is None and not self.process_errors:
            raise StopValidation(self.required_message)

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""
