"""Award forms: shape only (types, choices, lengths, bounds). Which bids may be
awarded, who may approve, when a notice or a contract may follow: the services'."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovTextArea
from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.awards.summaries import MAX_EXPLANATION
from portal.fields import normalise_text, optional_id, radios, text_field, whole_number
from portal.forms import DateInputField, PortalForm
from portal.forms import submit as button

MAX_REASON = 10_000


class ProposeForm(PortalForm):
    """One lot's proposal: the ranked bids to award, or no award with the reason.
    Made with ``prefix`` (the lot) so that each lot's form on the award page has
    its own field ids."""

    winner_bid_ids = SelectMultipleField(
        "Bids to award",
        widget=GovCheckboxesInput(),
        coerce=int,
        description="Select the highest-ranked bids, up to the number of providers the lot appoints.",
        invalid_value_message="Select bids from the ranking",
        invalid_choice_message="Select bids from the ranking",
    )
    no_award_reason = text_field(
        "Or, to make no award, give the reason",
        None,
        MAX_REASON,
        area=True,
        description="Leave this empty when you select bids to award. Every bidder reads the reason.",
    )
    submit = button("Propose the award")


class ApproveForm(PortalForm):
    decision_id = SelectField(
        "Decision that authorises the award (optional)",
        widget=GovSelect(),
        coerce=optional_id,
        validators=[Optional()],
        invalid_choice_message="Select a decision from the decisions register",
    )
    # When the proposal being approved was made: a proposal changed since the page was read is not approved.
    proposal = HiddenField()
    submit = button("Approve the award")


def reword_form(criteria: list[dict], data=None):
    """One text area for the explanation of each scored criterion (the scores are not editable)."""
    attributes = {"submit": button("Save the wording")}
    for criterion in criteria:
        if criterion.get("score") is None:
            continue
        label = f"Why question {criterion['number']} scored {criterion['score']}"
        attributes[f"explanation_{criterion['question_id']}"] = TextAreaField(
            label,
            widget=GovTextArea(),
            validators=[
                InputRequired(message=f"Explain the score for question {criterion['number']}"),
                Length(max=MAX_EXPLANATION, message=f"{label} must be {MAX_EXPLANATION:,} characters or fewer"),
            ],
            filters=[normalise_text],
        )
    form_class = type("RewordForm", (PortalForm,), attributes)
    return form_class(data=data)


class NoticeForm(PortalForm):
    """The award notice of a light touch contract: a voluntary standstill or none."""

    voluntary_standstill = radios(
        "Will there be a voluntary standstill?",
        [("yes", "Yes"), ("no", "No")],
        "Select whether there will be a voluntary standstill",
        description="A light touch contract has no mandatory standstill. Once the notice is published, "
        "the standstill you choose binds the council.",
    )
    standstill_days = whole_number(
        "Length of the standstill, in working days",
        None,
        1,
        30,
        description="Counted from the day of publication. Weekends and bank holidays anywhere in the UK do not count.",
        required=False,
        name="The length of the standstill",
    )
    submit = button("Publish the award notice")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A voluntary standstill binds once published: its length is asked for, never assumed.
        if self.voluntary_standstill.data == "yes" and self.standstill_days.data is None:
            if not self.standstill_days.errors:
                self.standstill_days.errors = ["Enter the length of the standstill, from 1 to 30 working days"]
            return False
        return valid


class PublishForm(PortalForm):
    """The award notice of a contract with the mandatory 8 working day standstill."""

    submit = button("Publish the award notice")


class ContractsForm(PortalForm):
    end_date = DateInputField(
        "When do the contracts end?",
        required_message="Enter the date the contracts end",
    )
    submit = button("Enter the contracts")
