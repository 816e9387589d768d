"""Bid forms: shape only. Whether a lot, an answer or a file is acceptable for
this bid (word limits, file types, the deadline) is decided in the services."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from portal.fields import PoundsField
from portal.forms import PortalForm, choices, submit


def parse_version(raw: str | None) -> int:
    """The hidden base version: a tampered value counts as "loaded nothing",
    so a save from it can only conflict, never overwrite."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


class AnswerFormBase(PortalForm):
    """One answer. CSRF is checked by the view, not the form: a save that
    arrives after the session ended must still be read (see ``views.answers.question``)."""

    class Meta:
        csrf = False

    base_version = HiddenField()
    draft_token = HiddenField()


class QualityAnswerForm(AnswerFormBase):
    # The word limit and the 50,000-character cap are the service's rules.
    answer = TextAreaField("Your answer")


class PassFailAnswerForm(AnswerFormBase):
    answer = RadioField(
        "Your answer", widget=GovRadioInput(), choices=choices([("yes", "Yes"), ("no", "No")]), validate_choice=False
    )

    @property
    def yes_no(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.answer.data or "")

    def validate_answer(self, field):
        if field.data not in (None, "", "yes", "no"):
            raise ValidationError("Select yes or no")


class LotsForm(PortalForm):
    lot_ids = SelectMultipleField(
        "Which lots are you bidding for?",
        widget=GovCheckboxesInput(),
        coerce=int,
        validate_choice=False,
        description="Select all that apply.",
    )
    submit = submit()


def prices_form(bid_lots, fill_from_draft: bool):
    """A form with one price field per chosen lot, named ``price_<lot id>``."""

    class PricesForm(PortalForm):
        submit = submit()

    for bid_lot in bid_lots:
        # Blank is allowed in a draft: it means "not priced yet".
        setattr(
            PricesForm,
            f"price_{bid_lot.lot_id}",
            PoundsField(f"Price for lot {bid_lot.lot.number}, {bid_lot.lot.title} (£)"),
        )
    form = PricesForm()
    if fill_from_draft:
        for bid_lot in bid_lots:
            form[f"price_{bid_lot.lot_id}"].data = bid_lot.price_pence
    return form


class UploadForm(PortalForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="What the document is, for example \u201cStaff training plan\u201d",
        validators=[Length(max=200, message="Title must be 200 characters or fewer")],
    )
    file = FileField("Upload a file", widget=GovFileInput(), validators=[FileRequired("Select a file to upload")])
    submit = submit("Upload file")


class EvidenceForm(PortalForm):
    evidence_ids = SelectMultipleField("Which evidence does this bid refer to?", coerce=int, validate_choice=False)
    submit = submit()


class DeclarationsForm(PortalForm):
    confirm = BooleanField("I confirm these declarations on behalf of my organisation", widget=GovCheckboxInput())
    submit = submit()


class SubmitBidForm(PortalForm):
    submit = submit("Submit bid")


class WithdrawForm(PortalForm):
    submit = submit("Withdraw bid")
