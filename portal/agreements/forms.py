from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovFileInput, GovRadioInput, GovTextArea, GovTextInput
from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.forms import DateInputField, PortalForm, choices, submit

SEND_NOTICES = "send"
NO_NOTICES = "none"


class ImportForm(PortalForm):
    file = FileField(
        "Upload the register",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV or Excel file")],
        description="A CSV or Excel (.xlsx) file, up to 10MB, with one agreement per row.",
    )
    # Left out of a POST (an older form, a script), it keeps its default: notices are sent.
    extension_notices = RadioField(
        "Extensions in the file",
        widget=GovRadioInput(),
        default=SEND_NOTICES,
        choices=choices(
            [
                (SEND_NOTICES, "Send each provider a notice of its extension"),
                (NO_NOTICES, "Record the extensions without sending notices"),
            ]
        ),
        description="For agreements still running, when the notice schedule sends notices of extensions. "
        "Every extension is recorded in the agreement's history either way.",
        invalid_choice_message="Select whether to send notices of the extensions in the file",
    )
    submit = submit("Check and import")

    @property
    def sends_extension_notices(self) -> bool:
        return self.extension_notices.data != NO_NOTICES


class ExtensionForm(PortalForm):
    new_end_date = DateInputField(
        "New end date", required_message="Enter the new end date", description="For example, 30 9 2011"
    )
    reason = TextAreaField(
        "Reason for the extension",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter the reason for the extension"),
            Length(max=2000, message="Reason must be 2,000 characters or fewer"),
        ],
    )
    agreed_by = StringField(
        "Who agreed it",
        widget=GovTextInput(),
        description="The name and role of the person who approved the extension",
        validators=[
            InputRequired(message="Enter who agreed the extension"),
            Length(max=120, message="Who agreed it must be 120 characters or fewer"),
        ],
    )
    submit = submit("Record extension")


class MonthsListField(Field):
    """Whole numbers of months separated by commas ("6, 3, 1"); ``data`` is the
    list of numbers. Which numbers the schedule allows is the service's rule."""

    MAX_TEXT = 60

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", GovTextInput())
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = []
        if len(text) > self.MAX_TEXT:
            raise ValueError("Enter no more than a few numbers")
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValueError("Enter whole numbers of months, separated by commas")
        self.data = [int(part) for part in parts]

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(str(months) for months in self.data or [])


class ScheduleForm(PortalForm):
    months = MonthsListField("Months before the end date", description="Separate them with commas, for example 6, 3, 1")
    notify_on_extension = BooleanField("Send a notice when an extension is granted", widget=GovCheckboxInput())
    submit = submit("Save schedule")


class ManualNoticeForm(PortalForm):
    subject = StringField(
        "Subject",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a subject"),
            Length(max=200, message="Subject must be 200 characters or fewer"),
        ],
    )
    body = TextAreaField(
        "Message",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter the message"),
            Length(max=5000, message="Message must be 5,000 characters or fewer"),
        ],
    )
    submit = submit("Send notice")


class CategoryForm(PortalForm):
    name = StringField(
        "Category name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the category name"),
            Length(max=120, message="Category name must be 120 characters or fewer"),
        ],
    )
    submit = submit("Add category")


class PeriodForm(PortalForm):
    """The report period, sent by GET so that the page can be bookmarked."""

    class Meta:
        csrf = False

    start = DateInputField("From", required_message="Enter the start of the period")
    end = DateInputField("To", required_message="Enter the end of the period")
    submit = submit("Show agreements ending")

    def validate_end(self, field):
        if field.data is not None and self.start.data is not None and field.data < self.start.data:
            raise ValidationError("The end of the period must be after its start")
