"""Form helpers shared by every domain: GOV.UK widgets, service errors on
fields, and the one form flow every page that changes something follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput
from wtforms import Field, SubmitField
from wtforms.validators import StopValidation

from portal.db import after_commit, get_session
from portal.errors import RuleViolation, each_violation


def add_violation(form, violation: RuleViolation) -> None:
    """Put a service's problem (or every problem of a RuleViolations) on the
    field it names, or on the whole form."""
    for problem in each_violation(violation):
        field = getattr(form, problem.field, None) if problem.field else None
        if field is None or not hasattr(field, "errors"):
            if problem.message not in form.form_errors:
                form.form_errors.append(problem.message)
        elif problem.message not in field.errors:
            field.errors = [*field.errors, problem.message]


class PortalForm(FlaskForm):
    """A form that can take a service's RuleViolation(s) onto the right fields."""

    def add_violation(self, violation: RuleViolation) -> None:
        add_violation(self, violation)


def form_page(template: str, form, status: int = 200, **context):
    """Render a form page; a failed POST answers 400 with the error summary."""
    if request.method == "POST" and status == 200 and (form.errors or form.form_errors):
        status = 400
    return render_template(template, form=form, **context), status


def handle_form(
    form,
    action: Callable[[], Any],
    *,
    template: str,
    redirect_to: str | Callable[[Any], str],
    success: str | Callable[[Any], str] | None = None,
    context: dict | Callable[[], dict] | None = None,
):
    """The form flow, written once: on a valid POST call ``action`` (the
    service); a RuleViolation (or several) goes onto the form, which is shown
    again with status 400 and the request rolled back; otherwise flash
    ``success`` and redirect. A GET, or an invalid POST, shows the form.

    ``redirect_to`` and ``success`` may be functions of what ``action``
    returned; ``context`` may be a function, called only when the page is drawn.
    """
    if request.method == "POST" and form.validate():
        try:
            result = action()
        except RuleViolation as violation:
            add_violation(form, violation)
        else:
            if success:
                message = success(result) if callable(success) else success
                # Said only once the change has committed: a check at the last
                # moment (a deadline) may still refuse it.
                after_commit(get_session(), lambda: flash(message, "success"))
            return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
    extra = context() if callable(context) else (context or {})
    return form_page(template, form, **extra)


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
        self.raw_data = ([*list(valuelist), "", "", ""])[:3]
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
        except (ValueError, OverflowError) as error:
            raise ValueError(f"{self.label.text} must be a real date") from error

    def pre_validate(self, form):
        if self.required_message and self.data is None and not self.process_errors:
            raise StopValidation(self.required_message)

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""
