"""Forms on the public opportunity pages: the search filters, providers'
clarification questions and alert choices. Shape only; rules live in services."""

from __future__ import annotations

from dataclasses import dataclass, field

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovCheckboxesInput
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.agreements.models import DeliveryMode
from portal.filter_args import DATE_PARTS, choice, date_from_parts, one
from portal.forms import PortalForm, submit
from portal.money import MoneyError, parse_pounds
from portal.tenders.clarifications import MAX_QUESTION_LENGTH
from portal.tenders.queries import SORT_ORDERS, OpportunityFilter

MAX_SEARCH_TEXT = 100


@dataclass
class OpportunityFilterForm:
    """The opportunities search, sent by GET so that a search can be bookmarked and shared.

    Read from the query string by :func:`read_filters` and drawn as plain GOV.UK
    markup (issue 13: drawing the filters through govuk-frontend-wtf was the
    slowest part of this page). What was typed is kept as typed, to show back;
    ``errors`` maps a field's name to its message, and a value the search cannot
    use (an impossible date, an amount that is not one, an id not in the list)
    is an error, never dropped quietly.
    """

    q: str = ""
    category: str = ""
    district: str = ""
    mode: str = ""
    closing_before: dict[str, str] = field(default_factory=lambda: dict.fromkeys(DATE_PARTS, ""))
    value_from: str = ""
    value_to: str = ""
    show: bool = False
    sort: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    parsed: OpportunityFilter | None = None

    ORDER = ("q", "category", "district", "mode", "closing_before", "value_from", "value_to", "show", "sort")

    @property
    def error_list(self) -> list[dict]:
        """The error summary's items, in the order the fields appear, each linking to its box."""
        anchors = {"closing_before": "closing_before-day"}
        return [
            {"text": self.errors[name], "href": f"#{anchors.get(name, name)}"}
            for name in self.ORDER
            if name in self.errors
        ]

    def query_args(self) -> dict[str, str]:
        """The filters as they were sent (for the page links)."""
        args = {
            "q": self.q,
            "category": self.category,
            "district": self.district,
            "mode": self.mode,
            "value_from": self.value_from,
            "value_to": self.value_to,
            "sort": self.sort,
        }
        args.update({f"closing_before-{part}": value for part, value in self.closing_before.items()})
        if self.show:
            args["show"] = "y"
        return {name: value for name, value in args.items() if value}


def _pence(raw: str, label: str) -> int | None:
    """An amount as the pages write money ("£1.5m", "£250,000", "1500000"), in pence.

    Raises:
        ValueError: with the message to show. A filter is not a form people fill in
            to save something: whatever is wrong with an amount, it says the same plain thing.
    """
    try:
        return parse_pounds(raw)
    except MoneyError as error:
        raise ValueError(f"{label} must be an amount in pounds, like £250,000 or £1.5m") from error


def read_filters(args, categories: list[tuple[int, str]], districts: list[tuple[int, str]]) -> OpportunityFilterForm:
    """The search's filters from the query string: ``form.parsed`` is the filter
    when every value could be used, else None and ``form.errors`` says why."""
    form = OpportunityFilterForm(
        q=one(args, "q"),
        category=one(args, "category"),
        district=one(args, "district"),
        mode=one(args, "mode"),
        closing_before={part: one(args, f"closing_before-{part}") for part in DATE_PARTS},
        value_from=one(args, "value_from"),
        value_to=one(args, "value_to"),
        show=bool(one(args, "show")),
        sort=one(args, "sort"),
    )
    # Links made before the boxes had names of their own sent day, month and year under one name.
    shared = [value.strip() for value in args.getlist("closing_before")] if hasattr(args, "getlist") else []
    if shared and not any(form.closing_before.values()):
        form.closing_before = dict(zip(DATE_PARTS, [*shared, "", "", ""][:3], strict=True))

    problems = form.errors
    if len(form.q) > MAX_SEARCH_TEXT:
        problems["q"] = f"Search must be {MAX_SEARCH_TEXT} characters or fewer"
    try:
        category_id = choice(form.category, categories)
    except ValueError:
        category_id, problems["category"] = None, "Select a category from the list"
    try:
        district_id = choice(form.district, districts)
    except ValueError:
        district_id, problems["district"] = None, "Select a district from the list"
    mode = DeliveryMode.__members__.get(form.mode) if form.mode else None
    if form.mode and mode is None:
        problems["mode"] = "Select a delivery mode from the list"
    try:
        closing_before = date_from_parts(form.closing_before, "Closing on or before")
    except ValueError as problem:
        closing_before, problems["closing_before"] = None, str(problem)
    try:
        value_from = _pence(form.value_from, "Value from")
    except ValueError as problem:
        value_from, problems["value_from"] = None, str(problem)
    try:
        value_to = _pence(form.value_to, "Value to")
    except ValueError as problem:
        value_to, problems["value_to"] = None, str(problem)
    if value_from is not None and value_to is not None and value_from > value_to:
        problems["value_to"] = "Value to must be the same as or more than value from"
    if form.sort and form.sort not in SORT_ORDERS:
        problems["sort"] = "Select a sort order from the list"

    if not problems:
        form.parsed = OpportunityFilter(
            text=form.q,
            category_id=category_id,
            district_id=district_id,
            mode=mode,
            closing_before=closing_before,
            min_value_pence=value_from,
            max_value_pence=value_to,
            show="all" if form.show else "open",
            sort=form.sort or "closing",
        )
    return form


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
