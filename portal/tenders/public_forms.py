"""Forms on the public opportunity pages: the search filters, providers'
clarification questions and alert choices. Shape only; rules live in services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from govuk_frontend_wtf.wtforms_widgets import (GovCharacterCount, GovCheckboxesInput, GovCheckboxInput, GovSelect,
                                                GovTextInput)
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.forms import DateInputField, PortalForm, submit
from portal.tenders.services import MAX_QUESTION_LENGTH

MAX_POUNDS = Decimal("1000000000")  # far above any council contract; keeps pence within an integer column


def pounds_to_pence(text: str | None) -> int | None:
    """'£250,000' or '250000.50' as integer pence; None if empty.

    Raises:
        ValueError: not an amount of money, negative, or absurdly large.
    """
    cleaned = (text or "").strip().replace(",", "").replace(" ", "").removeprefix("£")
    if not cleaned:
        return None
    try:
        pounds = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError from error
    if not pounds.is_finite() or pounds < 0 or pounds > MAX_POUNDS or pounds.as_tuple().exponent < -2:
        raise ValueError
    return int(pounds * 100)


class PoundsField(StringField):
    """An optional amount in pounds; ``pence`` holds the parsed value."""

    pence: int | None = None

    def pre_validate(self, form):
        try:
            self.pence = pounds_to_pence(self.data)
        except ValueError as error:
            raise ValidationError(f"{self.label.text} must be an amount in pounds, like 250000") from error


class OpportunityFilterForm(PortalForm):
    """The opportunities search, sent by GET so that a search can be bookmarked and shared."""

    class Meta:
        csrf = False

    q = StringField("Search", widget=GovTextInput(), description="Words in the title, description or reference",
                    validators=[Length(max=100, message="Search must be 100 characters or fewer")])
    category = SelectField("Category", widget=GovSelect(), validate_choice=False)
    district = SelectField("District", widget=GovSelect(), validate_choice=False)
    mode = SelectField("Delivery mode", widget=GovSelect(), validate_choice=False)
    closing_before = DateInputField("Closing on or before", description="For example, 31 3 2012")
    value_from = PoundsField("Value from (£)", widget=GovTextInput())
    value_to = PoundsField("Value to (£)", widget=GovTextInput())
    show = BooleanField("Show closed and awarded opportunities too", widget=GovCheckboxInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.value_from.pence is not None and self.value_to.pence is not None \
                and self.value_from.pence > self.value_to.pence:
            self.value_to.errors = [*self.value_to.errors, "Value to must be the same as or more than value from"]
            return False
        return valid


class ClarificationForm(PortalForm):
    question = TextAreaField(
        "Your question", widget=GovCharacterCount(),
        description="Do not include anything that identifies your organisation if you would not want it "
                    "published: the council may publish the question and its answer to every provider.",
        validators=[InputRequired(message="Enter your question"),
                    Length(max=MAX_QUESTION_LENGTH,
                           message=f"Your question must be {MAX_QUESTION_LENGTH:,} characters or fewer")])
    submit = submit("Send question")


class AlertPreferencesForm(PortalForm):
    category_ids = SelectMultipleField("Categories", widget=GovCheckboxesInput(), coerce=int,
                                       description="Select all that apply.",
                                       invalid_choice_message="Select categories from the list")
    district_ids = SelectMultipleField("Districts", widget=GovCheckboxesInput(), coerce=int,
                                       description="Select all that apply.",
                                       invalid_choice_message="Select districts from the list")
    submit = submit("Save alert choices")
