"""Form fields shared by every domain (shape only; rules live in services).

Money (:class:`PoundsField`), whole numbers, 24-hour times and the London
date-and-time pair a deadline is typed as, plus small builders for the GOV.UK
text inputs and radios every form uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea, GovTextInput
from wtforms import Field, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from portal.dates import LONDON
from portal.forms import choices
from portal.input_guard import as_id
from portal.money import MoneyError, parse_pounds, pence_as_pounds_text, problem_with

MONEY_PROBLEMS = (MoneyError.NOT_MONEY, MoneyError.NEGATIVE, MoneyError.FRACTION, MoneyError.TOO_LARGE)
YES_NO = [("yes", "Yes"), ("no", "No")]
TIME_FORMAT = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


class PoundsField(Field):
    """An amount typed in pounds ("£250,000" or "1500.50"); ``data`` (and
    ``pence``) is integer pence, or None when left blank. What was typed is
    shown back as typed when the form is redrawn with an error.

    ``messages`` words a problem differently from ``money.problem_with``: it
    maps a ``MoneyError`` reason to a message, where ``{label}`` is the field's
    label (a page that has always said one thing keeps saying it).
    """

    def __init__(
        self,
        label=None,
        validators=None,
        required_message: str | None = None,
        messages: Mapping[str, str] | None = None,
        **kwargs,
    ):
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, validators, **kwargs)
        self.required_message = required_message
        self.messages = dict(messages or {})

    @property
    def pence(self) -> int | None:
        return self.data

    def process_formdata(self, valuelist):
        self.data = None
        try:
            self.data = parse_pounds(valuelist[0] if valuelist else "")
        except MoneyError as error:
            template = self.messages.get(error.reason)
            raise ValueError(
                template.format(label=self.label.text) if template else problem_with(self.label.text, error)
            ) from error

    def pre_validate(self, form):
        if self.required_message and self.data is None and not self.process_errors:
            raise StopValidation(self.required_message)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return pence_as_pounds_text(self.data)


# --- Text, choices and numbers ------------------------------------------------------


def normalise_text(value):
    """Browsers send new lines as CRLF; keep one form, without edge spaces."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def int_or_none(value):
    """Coerce a submitted choice to an id; the empty placeholder is None."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    if not str(value).isdigit():
        raise ValueError("not a number")
    return int(value)


def yes_no(value: bool | None) -> str | None:
    """A boolean as the value of a yes/no radio (None: nothing chosen yet)."""
    return None if value is None else ("yes" if value else "no")


def text_field(label, message=None, max_length=200, description=None, area=False):
    """A GOV.UK text input (or textarea), required when ``message`` says what to enter."""
    validators = [InputRequired(message=message)] if message else [Optional()]
    validators.append(Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer"))
    field = TextAreaField if area else StringField
    return field(
        label,
        widget=GovTextArea() if area else GovTextInput(),
        validators=validators,
        description=description,
        filters=[normalise_text],
    )


def radios(label, pairs, message, description=None):
    """Required GOV.UK radios; a missing or unknown choice gets ``message``."""
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=choices(pairs),
        description=description,
        validators=[InputRequired(message=message)],
        invalid_choice_message=message,
    )


class WholeNumberField(IntegerField):
    """A whole number typed in a text box, with a message in words when it is not one."""

    def __init__(self, label=None, validators=None, name_in_messages=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.name_in_messages = name_in_messages or self.label.text

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip().rstrip("%").strip())
        except ValueError as error:
            self.data = None
            raise ValueError(f"{self.name_in_messages} must be a whole number") from error


def whole_number(label, message, minimum, maximum, description=None, required=True, name=None):
    """A whole number from ``minimum`` to ``maximum``; ``name`` is how messages call it."""
    name = name or label
    validators = [InputRequired(message=message)] if required else [Optional()]
    validators.append(
        NumberRange(min=minimum, max=maximum, message=f"{name} must be between {minimum:,} and {maximum:,}")
    )
    return WholeNumberField(
        label, widget=GovTextInput(), validators=validators, description=description, name_in_messages=name
    )


# --- Times and London moments ---------------------------------------------------------


class TimeField(StringField):
    """A 24-hour time typed as "17:00"; ``data`` is a ``datetime.time``."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", "Use the 24-hour clock, for example 17:00 or 09:30")
        super().__init__(label, validators, widget=GovTextInput(), **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        typed = (valuelist[0] if valuelist else "").strip().lower()
        if not typed:
            return
        if typed == "midday":
            typed = "12:00"
        match = TIME_FORMAT.match(typed)
        if not match:
            raise ValueError(f"{self.label.text} must be a time on the 24-hour clock, like 17:00")
        self.data = time(int(match.group(1)), int(match.group(2)))

    def process_data(self, value):
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""


def _london_to_utc(local: datetime) -> datetime | None:
    """The one UTC moment a London wall-clock time names, or None when it names
    none (skipped when the clocks go forward) or two (repeated when they go back).

    Either way the two readings of ``fold`` disagree: only an ordinary time has one.
    """
    earlier = local.replace(fold=0).astimezone(UTC)
    return earlier if earlier == local.replace(fold=1).astimezone(UTC) else None


def london_moment(form, date_field: str, time_field: str, required: bool) -> datetime | None:
    """Combine a date and a time field, read as London time, into aware UTC.

    Puts a message on the form and returns None when one half is missing, or
    when the clocks changing makes the time not exist or happen twice that day
    (a deadline must name one moment).
    """
    day, clock = getattr(form, date_field), getattr(form, time_field)
    if day.errors or clock.errors:
        return None
    if day.data is None and clock.data is None:
        return None  # the date field's own required message covers a required moment
    if day.data is None:
        day.errors = [*day.errors, f"Enter the date for {day.label.text.lower()}"]
        return None
    if clock.data is None:
        clock.errors = [*clock.errors, f"Enter the time for {day.label.text.lower()}"]
        return None
    moment = _london_to_utc(datetime.combine(day.data, clock.data, tzinfo=LONDON))
    if moment is None:
        clock.errors = [
            *clock.errors,
            f"The clocks change at that time on that day: choose another time for {day.label.text.lower()}",
        ]
    return moment


def split_moment(form, date_field: str, time_field: str, value: datetime | None) -> None:
    """Prefill a date and a time field from an aware datetime, in London time."""
    if value is not None:
        local = value.astimezone(LONDON)
        getattr(form, date_field).data = local.date()
        getattr(form, time_field).data = local.time().replace(second=0, microsecond=0)


def optional_id(value):
    """A select's value as an id (its ``coerce``): the empty choice is None; junk, or a
    number too large for an id column, is 0, which no list offers, so the form says to
    choose from the list instead of the database failing on it."""
    if value is None or value == "":
        return None
    return as_id(value) or 0
