"""Forms on the public opportunity pages: the search filters, providers'
clarification questions and alert choices. Shape only; rules live in services."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovSelect,
    GovTextInput,
)
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.fields import MONEY_PROBLEMS, PoundsField
from portal.forms import DateInputField, PortalForm, submit
from portal.tenders.clarifications import MAX_QUESTION_LENGTH

# A filter is not a form people fill in to save something: whatever is wrong
# with an amount, the search says the same plain thing.
FILTER_MONEY_MESSAGES = dict.fromkeys(MONEY_PROBLEMS, "{label} must be an amount in pounds, like 250000")


class OpportunityFilterForm(PortalForm):
    """The opportunities search, sent by GET so that a search can be bookmarked and shared."""

    class Meta:
        csrf = False

    q = StringField(
        "Search",
        widget=GovTextInput(),
        description="Words in the title, description or reference",
        validators=[Length(max=100, message="Search must be 100 characters or fewer")],
    )
    category = SelectField("Category", widget=GovSelect(), validate_choice=False)
    district = SelectField("District", widget=GovSelect(), validate_choice=False)
    mode = SelectField("Delivery mode", widget=GovSelect(), validate_choice=False)
    closing_before = DateInputField("Closing on or before", description="For example, 31 3 2012")
    value_from = PoundsField("Value from (£)", messages=FILTER_MONEY_MESSAGES)
    value_to = PoundsField("Value to (£)", messages=FILTER_MONEY_MESSAGES)
    show = BooleanField("Show closed and awarded opportunities too", widget=GovCheckboxInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (
            valid
            and self.value_from.pence is not None
            and self.value_to.pence is not None
            and self.value_from.pence > self.value_to.pence
        ):
            self.value_to.errors = [*self.value_to.errors, "Value to must be the same as or more than value from"]
            return False
        return valid


class ClarificationForm(PortalForm):
    question = TextAreaField(
        "Your question",
        widget=GovCharacterCount(),
        description="Do not include anything that identifies your organisation if you would not want it "
        "published: the council may publish the question and its answer to every provider.",
        validators=[
            InputRequired(message="Enter your question"),
            Length(
                max=MAX_QUESTION_LENGTH, message=f"Your question must be {MAX_QUESTION_LENGTH:,} characters or fewer"
            ),
        ],
    )
    submit = submit("Send question")


class AlertPreferencesForm(PortalForm):
    category_ids = SelectMultipleField(
        "Categories",
        widget=GovCheckboxesInput(),
        coerce=int,
        description="Select all that apply.",
        invalid_choice_message="Select categories from the list",
    )
    district_ids = SelectMultipleField(
        "Districts",
        widget=GovCheckboxesInput(),
        coerce=int,
        description="Select all that apply.",
        invalid_choice_message="Select districts from the list",
    )
    submit = submit("Save alert choices")
