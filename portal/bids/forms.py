"""Bid forms: shape only. Whether a lot, an answer or a file is acceptable for
this bid (word limits, file types, the deadline) is decided in the services."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxesInput, GovCheckboxInput, GovFileInput, GovRadioInput,
                                                GovTextInput)
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from portal.forms import PortalForm, choices, submit

MAX_PRICE_PENCE = 1_000_000_000 * 100  # £1bn: far above any lot, low enough to catch a slipped key
MONEY = re.compile(r"^\d+(\.\d{1,2})?$")


def parse_version(raw: str | None) -> int:
    """The hidden base version: a tampered value counts as "loaded nothing",
    so a save from it can only conflict, never overwrite."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


class AnswerFormBase(PortalForm):
    """One answer. CSRF is checked by the view, not the form: a save that
    arrives after the session ended must still be read (see ``views.question``)."""

    class Meta:
        csrf = False

    base_version = HiddenField()
    draft_token = HiddenField()


class QualityAnswerForm(AnswerFormBase):
    # The word limit and the 50,000-character cap are the service's rules.
    answer = TextAreaField("Your answer")


class PassFailAnswerForm(AnswerFormBase):
    answer = RadioField("Your answer", widget=GovRadioInput(), choices=choices([("yes", "Yes"), ("no", "No")]),
                        validate_choice=False)

    @property
    def yes_no(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.answer.data or "")

    def validate_answer(self, field):
        if field.data not in (None, "", "yes", "no"):
            raise ValidationError("Select yes or no")


class LotsForm(PortalForm):
    lot_ids = SelectMultipleField("Which lots are you bidding for?", widget=GovCheckboxesInput(), coerce=int,
                                  validate_choice=False, description="Select all that apply.")
    submit = submit()


class PoundsField(StringField):
    """A price in pounds (like 125000 or 125,000.50), kept as integer ``pence``;
    blank is allowed in a draft and means "not priced yet"."""

    pence: int | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.pence = None
        raw = (self.data or "").strip().replace(",", "").replace(" ", "").removeprefix("£")
        if not raw:
            return
        if raw.startswith("-"):
            raise ValueError(f"{self.label.text} must not be negative")
        if not MONEY.match(raw):
            raise ValueError(f"{self.label.text} must be an amount in pounds, like 125000 or 125000.50")
        try:
            pence = int(Decimal(raw) * 100)
        except InvalidOperation as error:  # pragma: no cover (the pattern already refused it)
            raise ValueError(f"{self.label.text} must be an amount in pounds") from error
        if pence > MAX_PRICE_PENCE:
            raise ValueError(f"{self.label.text} must be £1,000,000,000 or less")
        self.pence = pence


def prices_form(bid_lots, fill_from_draft: bool):
    """A form with one price field per chosen lot, named ``price_<lot id>``."""

    class PricesForm(PortalForm):
        submit = submit()

    for bid_lot in bid_lots:
        setattr(PricesForm, f"price_{bid_lot.lot_id}", PoundsField(
            f"Price for lot {bid_lot.lot.number}, {bid_lot.lot.title} (£)", widget=GovTextInput(),
            validators=[Length(max=30, message="Enter the price as a number of pounds")]))
    form = PricesForm()
    if fill_from_draft:
        for bid_lot in bid_lots:
            if bid_lot.price_pence is not None:
                field = form[f"price_{bid_lot.lot_id}"]
                field.data = f"{Decimal(bid_lot.price_pence) / 100:.2f}".removesuffix(".00")
                field.pence = bid_lot.price_pence
    return form


class UploadForm(PortalForm):
    title = StringField("Title", widget=GovTextInput(), description="What the document is, for example "
                                                                   "\u201cStaff training plan\u201d",
                        validators=[Length(max=200, message="Title must be 200 characters or fewer")])
    file = FileField("Upload a file", widget=GovFileInput())
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
