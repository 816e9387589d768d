from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.decisions.services import STATUSES
from portal.forms import DateInputField, PortalForm, choices, submit

MAX_TEXT = 20_000


def _text(label, message, max_length, required=True, description=None):
    validators = [InputRequired(message=message)] if required else [Optional()]
    name = label.removesuffix(" (optional)")
    validators.append(Length(max=max_length, message=f"{name} must be {max_length} characters or fewer"))
    return StringField(label, widget=GovTextInput(), validators=validators, description=description)


def _yes_no(label, message, description):
    # Every yes or no question has a hint: the GOV.UK radios print a missing one as the word "None".
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=choices([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired(message=message)],
        invalid_choice_message=message,
        description=description,
    )


def _long_text(label, message):
    return TextAreaField(
        label,
        widget=GovTextArea(),
        validators=[
            InputRequired(message=message),
            Length(max=MAX_TEXT, message=f"{label} must be {MAX_TEXT:,} characters or fewer"),
        ],
    )


class DecisionForm(PortalForm):
    number = _text(
        "Decision number",
        "Enter the decision number",
        20,
        description="Two digits, a slash and five digits, for example 22/00094",
    )
    title = _text("Title", "Enter the title", 200, description="For example, Family Hubs Transformation")
    decision_maker = _text(
        "Decision maker",
        "Enter the decision maker",
        200,
        description="For example, Cabinet Member for Integrated Children's Services",
    )
    status = RadioField(
        "Decision status",
        widget=GovRadioInput(),
        choices=choices((s, s) for s in STATUSES),
        validators=[InputRequired(message="Select the decision status")],
        invalid_choice_message="Select the decision status",
    )
    is_key_decision = _yes_no(
        "Is it a key decision?",
        "Select yes if it is a key decision",
        "A key decision spends or saves a large amount, or affects communities in two or more electoral "
        "divisions, as the council's constitution defines it",
    )
    is_subject_to_call_in = _yes_no(
        "Is it subject to call-in?",
        "Select yes if it is subject to call-in",
        "If it is, councillors can ask for it to be looked at again, and it takes effect 5 clear working days "
        "after it is published",
    )
    is_urgent = _yes_no(
        "Is it an urgent item?",
        "Select yes if it is an urgent item",
        "An urgent decision is taken without the usual notice and is not subject to call-in",
    )
    is_exempt = _yes_no(
        "Is any of it exempt from publication?",
        "Select yes if it is exempt from publication",
        description="Exempt information is withheld from the public under the Local Government Act 1972",
    )
    lead_officer = _text("Lead officer (optional)", "", 120, required=False)
    division = _text("Division (optional)", "", 120, required=False)
    reasons = _long_text("Reasons for the decision", "Enter the reasons for the decision")
    decision_text = _long_text("Decision", "Enter the decision")
    decision_date = DateInputField(
        "Date of decision", required_message="Enter the date of the decision", description="For example, 14 10 2022"
    )
    publication_date = DateInputField(
        "Publication date",
        required_message="Enter the publication date",
        description="The same day as the decision or later",
    )
    submit = submit("Save and continue")


class DecisionDocumentForm(PortalForm):
    title = _text(
        "Document title", "Enter the document's title", 200, description="For example, Equality Impact Assessment"
    )
    file = FileField(
        "Upload the document",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a file")],
        description="A PDF, Word, Excel, OpenDocument, PNG or JPEG file, up to 10MB",
    )
    submit = submit("Upload document")
