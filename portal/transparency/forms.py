"""The contracts register's filters, read from the query string.

Plain request-argument parsing rather than a WTForms form: the filters are drawn
as plain GOV.UK markup (rendering a filter form through govuk-frontend-wtf was
the slowest part of the opportunities list, issue 13), and a filter only reads.
Shape only: a value the filter cannot use (an impossible date, an id not in the
list, a status that does not exist) is a problem to show in the error summary,
never dropped quietly and never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.filter_args import DATE_PARTS, choice, date_from_parts, one
from portal.transparency.register import MAX_PROVIDER_TEXT, ContractFilter, ContractStatus, FilterChoices


@dataclass
class RegisterFilterForm:
    """What was typed into the filters (to show it back) and what was wrong with it.

    ``errors`` maps a field's name to its message; the error summary links each
    to the element with that id (the day box, for the date).
    """

    category: str = ""
    district: str = ""
    provider: str = ""
    in_force: dict[str, str] = field(default_factory=lambda: dict.fromkeys(DATE_PARTS, ""))
    status: str = ""
    vcse: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    parsed: ContractFilter | None = None

    @property
    def error_list(self) -> list[dict]:
        """The error summary's items, in the order the fields appear."""
        anchors = {"in_force": "in_force-day"}
        order = ("category", "district", "provider", "in_force", "status", "vcse")
        return [
            {"text": self.errors[name], "href": f"#{anchors.get(name, name)}"} for name in order if name in self.errors
        ]

    def query_args(self) -> dict[str, str]:
        """The filters as they were sent (for the page links and the CSV link)."""
        args = {"category": self.category, "district": self.district, "provider": self.provider, "status": self.status}
        args.update({f"in_force-{part}": value for part, value in self.in_force.items()})
        if self.vcse:
            args["vcse"] = "yes"
        return {name: value for name, value in args.items() if value}


def read_filters(args, choices: FilterChoices) -> RegisterFilterForm:
    """The register's filters from the query string: ``form.parsed`` is the filter
    when every value could be used, else None and ``form.errors`` says why."""
    form = RegisterFilterForm(
        category=one(args, "category"),
        district=one(args, "district"),
        provider=one(args, "provider"),
        in_force={part: one(args, f"in_force-{part}") for part in DATE_PARTS},
        status=one(args, "status"),
    )
    vcse = one(args, "vcse")
    form.vcse = vcse == "yes"
    if vcse not in ("", "yes"):
        form.errors["vcse"] = "Select VCSE providers only, or leave it unticked"

    try:
        category_id = choice(form.category, choices.categories)
    except ValueError:
        category_id, form.errors["category"] = None, "Select a category from the list"
    try:
        district_id = choice(form.district, choices.districts)
    except ValueError:
        district_id, form.errors["district"] = None, "Select a district from the list"
    if len(form.provider) > MAX_PROVIDER_TEXT:
        form.errors["provider"] = f"Provider name must be {MAX_PROVIDER_TEXT} characters or fewer"
    try:
        in_force_on = date_from_parts(form.in_force, "In force on")
    except ValueError as problem:
        in_force_on, form.errors["in_force"] = None, str(problem)
    status = ContractStatus.__members__.get(form.status.upper()) if form.status else None
    if form.status and status is None:
        form.errors["status"] = "Select a status from the list"

    if not form.errors:
        form.parsed = ContractFilter(
            category_id=category_id,
            district_id=district_id,
            provider=form.provider,
            in_force_on=in_force_on,
            status=status,
            vcse_only=form.vcse,
        )
    return form
