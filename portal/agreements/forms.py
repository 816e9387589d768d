from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxInput, GovFileInput, GovTextArea, GovTextInput)
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.forms import DateInputField, PortalForm, submit


class ImportForm(PortalForm):
    file = FileField("Upload the register", widget=GovFileInput(),
                     description="A CSV or Excel (.xlsx) file, up to 10MB, with one agreement per row.")
    submit = submit("Check and import")


class ExtensionForm(PortalForm):
    new_end_date = DateInputField("New end date", required_message="Enter the new end date",
                                  description="For example, 30 9 2011")
    reason = TextAreaField("Reason for the extension", widget=GovTextArea(),
                           validators=[InputRequired(message="Enter the reason for the extension"),
                                       Length(max=2000, message="Reason must be 2,000 characters or fewer")])
    agreed_by = StringField("Who agreed it", widget=GovTextInput(),
                            description="The name and role of the person who approved the extension",
                            validators=[InputRequired(message="Enter who agreed the extension"),
                                        Length(max=120, message="Who agreed it must be 120 characters or fewer")])
    submit = submit("Record extension")


class ScheduleForm(PortalForm):
    months = StringField("Months before the end date", widget=GovTextInput(),
                         description="Separate them with commas, for example 6, 3, 1",
                         validators=[Length(max=60, message="Enter no more than a few numbers")])
    notify_on_extension = BooleanField("Send a notice when an extension is granted", widget=GovCheckboxInput())
    submit = submit("Save schedule")


class ManualNoticeForm(PortalForm):
    subject = StringField("Subject", widget=GovTextInput(),
                          validators=[InputRequired(message="Enter a subject"),
                                      Length(max=200, message="Subject must be 200 characters or fewer")])
    body = TextAreaField("Message", widget=GovTextArea(),
                         validators=[InputRequired(message="Enter the message"),
                                     Length(max=5000, message="Message must be 5,000 characters or fewer")])
    submit = submit("Send notice")


class CategoryForm(PortalForm):
    name = StringField("Category name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the category name"),
                                   Length(max=120, message="Category name must be 120 characters or fewer")])
    submit = submit("Add category")


class PeriodForm(PortalForm):
    """The report period, sent by GET so that the page can be bookmarked."""

    class Meta:
        csrf = False

    start = DateInputField("From", required_message="Enter the start of the period")
    end = DateInputField("To", required_message="Enter the end of the period")
    submit = submit("Show agreements ending")
