"""Form fields shared by every domain (shape only; rules live in services)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field
from wtforms.validators import StopValidation

from portal.money import MoneyError, parse_pounds, pence_as_pounds_text, problem_with


class PoundsField(Field):
    """An amount typed in pounds ("£250,000" or "1500.50"); ``data`` (and
    ``pence``) is integer pence, or None when left blank. What was typed is
    shown back as typed when the form is redrawn with an error."""

    def __init__(self, label=None, validators=None, required_message: str | None = None, **kwargs):
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, validators, **kwargs)
        self.required_message = required_message

    @property
    def pence(self) -> int | None:
        return self.data

    def process_formdata(self, valuelist):
        self.data = None
        try:
            self.data = parse_pounds(valuelist[0] if valuelist else "")
        except MoneyError as error:
            raise ValueError(problem_with(self.label.text, error)) from error

    def pre_validate(self, form):
        if self.required_message and self.data is None and not self.process_errors:
            raise StopValidation(self.required_message)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return pence_as_pounds_text(self.data)
