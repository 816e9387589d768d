"""The public contracts register: every contract and framework agreement the council
has entered, imported from its register or made by an award.

What a row holds is chosen here and nowhere else: the winning provider, the lot,
the agreed value per year, the dates, the tender and decision it came from, and
whether the provider is a VCSE. Nothing of a bid that did not win is read: the
award is joined through its winners only (``award_winner``), and a bid's price
or scores are never selected.

A page costs two queries (the count; the rows, each with the lots its provider won
in the tender it was awarded from) and the CSV two (the rows, the lots of the awarded
rows), whatever the number of agreements: columns are selected as plain rows, never
as objects with relationships to load one by one.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from portal.agreements.models import Agreement, ServiceCategory, agreement_district
from portal.agreements.waves import every_agreement_count
from portal.awards.models import LotAward, award_winner
from portal.bids.models import Bid
from portal.decisions.models import Decision
from portal.pagination import Page
from portal.providers.models import District, Organisation, OrganisationType
from portal.providers.vcse import VCSE_TYPES, is_vcse
from portal.tenders.models import Lot, Tender
from portal.tenders.queries import public_condition

# Core tables: the register's statements select columns, so their rows are read without the ORM.
_agreement = Agreement.__table__
_organisation = Organisation.__table__
_service_category = ServiceCategory.__table__
_tender = Tender.__table__
_decision = Decision.__table__
_lot_award = LotAward.__table__
_bid = Bid.__table__
_lot = Lot.__table__
_district = District.__table__

PAGE_SIZE = 50
MAX_PROVIDER_TEXT = 100


class ContractStatus(enum.Enum):
    """A contract's standing as the public sees it, derived from its dates, never stored."""

    CURRENT = "Current"
    ENDED = "Ended"
    REPLACED = "Replaced"


def status_of(end_date: date, replaced_at: datetime | None, today: date) -> ContractStatus:
    """Replaced once the contracts of the tender that replaces it are entered;
    otherwise ended after its end date; otherwise current."""
    if replaced_at is not None:
        return ContractStatus.REPLACED
    return ContractStatus.ENDED if end_date < today else ContractStatus.CURRENT


def _status_condition(status: ContractStatus, today: date):
    """:func:`status_of` as SQL, so the filter and the column cannot disagree."""
    if status is ContractStatus.REPLACED:
        return _agreement.c.replaced_at.is_not(None)
    if status is ContractStatus.ENDED:
        return and_(_agreement.c.replaced_at.is_(None), _agreement.c.end_date < today)
    return and_(_agreement.c.replaced_at.is_(None), _agreement.c.end_date >= today)


@dataclass(frozen=True)
class ContractFilter:
    """What the register is filtered by; every field optional."""

    category_id: int | None = None
    district_id: int | None = None
    provider: str = ""  # words in the provider's name
    in_force_on: date | None = None
    status: ContractStatus | None = None
    vcse_only: bool = False


@dataclass(frozen=True)
class AwardedLot:
    """The lot an awarded agreement came from, and the award's own decision, if one was recorded."""

    number: int
    title: str
    decision_id: int | None
    decision_number: str | None


class ContractRow(NamedTuple):
    """One row of the register, exactly what the page and the CSV show (a named tuple: a page
    makes fifty, and a frozen dataclass costs several times more to make)."""

    id: int
    reference: str
    provider: str
    charity_number: str | None
    company_number: str | None
    organisation_type: OrganisationType | None
    service_name: str
    category: str
    annual_value_pence: int
    start_date: date
    end_date: date
    status: ContractStatus
    tender_reference: str | None  # the tender it was awarded from (published: it has a public page)
    tender_title: str | None
    lot: AwardedLot | None
    tender_decision_id: int | None
    tender_decision_number: str | None

    @property
    def is_vcse(self) -> bool:
        return is_vcse(self.organisation_type)

    @property
    def vcse_text(self) -> str:
        """Yes or No; "Not known" for an imported incumbent whose legal form nobody has told the portal."""
        if self.organisation_type is None:
            return "Not known"
        return "Yes" if self.is_vcse else "No"

    @property
    def service(self) -> str:
        """The lot, for an awarded agreement; otherwise the service as the register names it."""
        if self.lot is not None:
            return f"Lot {self.lot.number}: {self.lot.title}"
        return self.service_name

    @property
    def decision_id(self) -> int | None:
        """The award's decision where one was recorded, else the decision that authorised the tender."""
        if self.lot is not None and self.lot.decision_id is not None:
            return self.lot.decision_id
        return self.tender_decision_id

    @property
    def decision_number(self) -> str | None:
        if self.lot is not None and self.lot.decision_id is not None:
            return self.lot.decision_number
        return self.tender_decision_number


def _like_text(typed: str) -> str:
    """What was typed, matched as it is: "%" and "_" are characters, not wildcards."""
    escaped = typed.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# A filter's shape: which of its parts are used (and the status, which changes the condition's
# form). The statements of each shape are built once, with the filter's values bound.
_Shape = tuple[bool, bool, bool, bool, "ContractStatus | None", bool]


def _shape(f: ContractFilter) -> _Shape:
    return (
        f.category_id is not None,
        f.district_id is not None,
        bool(f.provider.strip()),
        f.in_force_on is not None,
        f.status,
        f.vcse_only,
    )


def _params(f: ContractFilter, today: date) -> dict:
    """The values the statements of a filter's shape are given."""
    return {
        "category_id": f.category_id,
        "district_id": f.district_id,
        "provider": _like_text(f.provider),
        "in_force_on": f.in_force_on,
        "today": today,
    }


def _conditions(shape: _Shape) -> list:
    """The WHERE conditions of a filter's shape, over ``Agreement`` joined to ``Organisation``."""
    category, district, provider, in_force, status, vcse_only = shape
    conditions = []
    if category:
        conditions.append(_agreement.c.category_id == bindparam("category_id"))
    if district:
        conditions.append(
            exists().where(
                agreement_district.c.agreement_id == _agreement.c.id,
                agreement_district.c.district_id == bindparam("district_id"),
            )
        )
    if provider:
        conditions.append(func.lower(_organisation.c.name).like(bindparam("provider"), escape="\\"))
    if in_force:
        in_force_on = bindparam("in_force_on")
        conditions.append(and_(_agreement.c.start_date <= in_force_on, _agreement.c.end_date >= in_force_on))
    if status is not None:
        conditions.append(_status_condition(status, bindparam("today")))
    if vcse_only:
        conditions.append(_organisation.c.organisation_type.in_(sorted(VCSE_TYPES, key=lambda t: t.name)))
    return conditions


def _filtered_ids(shape: _Shape):
    return (
        select(_agreement.c.id)
        .join(_organisation, _organisation.c.id == _agreement.c.organisation_id)
        .where(*_conditions(shape))
    )


ORDER = (_agreement.c.start_date.desc(), _agreement.c.reference, _agreement.c.id)


@cache
def _all_rows_query():
    """The register's columns and joins, built once (only the conditions differ by request)."""
    awarded_from = (
        select(
            _tender.c.id,
            _tender.c.reference,
            _tender.c.title,
            _tender.c.decision_id,
            _decision.c.number.label("decision_number"),
        )
        .outerjoin(_decision, _decision.c.id == _tender.c.decision_id)
        # Only a tender with a public page is linked to: an awarded tender always has one.
        .where(public_condition())
        .subquery()
    )
    return (
        select(
            _agreement.c.id,
            _agreement.c.reference,
            _organisation.c.name,
            _organisation.c.charity_number,
            _organisation.c.company_number,
            _organisation.c.organisation_type,
            _agreement.c.service_name,
            _service_category.c.name.label("category"),
            _agreement.c.annual_value_pence,
            _agreement.c.start_date,
            _agreement.c.end_date,
            _agreement.c.replaced_at,
            awarded_from.c.reference.label("tender_reference"),
            awarded_from.c.title.label("tender_title"),
            awarded_from.c.decision_id,
            awarded_from.c.decision_number,
        )
        .select_from(_agreement)
        .join(_organisation, _organisation.c.id == _agreement.c.organisation_id)
        .join(_service_category, _service_category.c.id == _agreement.c.category_id)
        .outerjoin(awarded_from, awarded_from.c.id == _agreement.c.awarded_from_tender_id)
        .order_by(*ORDER)
    )


@cache
def _rows_query(shape: _Shape):
    return _all_rows_query().where(*_conditions(shape))


@cache
def _page_queries(shape: _Shape):
    """The count, and one page's rows each with the lots its provider won in the tender it was
    awarded from (a row per lot; one row, without a lot, for none), of a filter's shape: built
    once, the page bound."""
    if any(shape):
        count = select(func.count()).select_from(_filtered_ids(shape).subquery())
    else:  # every agreement (each has its provider): their stored count, not a count of them all
        count = select(every_agreement_count())
    page = (
        _rows_query(shape)
        .add_columns(_agreement.c.awarded_from_tender_id, _agreement.c.organisation_id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    lot_decision = _decision.alias("lot_decision")
    won = (
        _lot_award.join(award_winner, award_winner.c.lot_award_id == _lot_award.c.id)
        .join(_bid, _bid.c.id == award_winner.c.bid_id)
        .join(_lot, _lot.c.id == _lot_award.c.lot_id)
        .outerjoin(lot_decision, lot_decision.c.id == _lot_award.c.decision_id)
    )
    rows = (
        select(
            *(page.c[column.name] for column in _rows_query(shape).selected_columns),
            _lot.c.number.label("lot_number"),
            _lot.c.title.label("lot_title"),
            _lot_award.c.decision_id.label("lot_decision_id"),
            lot_decision.c.number.label("lot_decision_number"),
        )
        .select_from(page)
        .outerjoin(
            won,
            and_(
                page.c.tender_reference.is_not(None),  # as ``_rows``: a lot only for a linked tender
                _lot_award.c.tender_id == page.c.awarded_from_tender_id,
                _bid.c.organisation_id == page.c.organisation_id,
            ),
        )
        .order_by(page.c.start_date.desc(), page.c.reference, page.c.id, _lot.c.number)
    )
    return count, rows


@cache
def _all_lots_query(shape: _Shape):
    """The lots of every awarded row of a filter's shape (for the CSV), built once."""
    return _lots_query(
        # Not correlated: the subquery names the same table as the lots query around it.
        _filtered_ids(shape).where(_agreement.c.awarded_from_tender_id.is_not(None)).correlate(None)
    )


LOT_IN_REFERENCE = re.compile(r"-L(\d+)-\d+$")


def _lots_query(agreement_ids):
    return (
        select(
            _agreement.c.id,
            _agreement.c.reference,
            _agreement.c.service_name,
            _lot.c.number,
            _lot.c.title,
            _lot_award.c.decision_id,
            _decision.c.number,
        )
        .select_from(_agreement)
        .join(_lot_award, _lot_award.c.tender_id == _agreement.c.awarded_from_tender_id)
        .join(award_winner, award_winner.c.lot_award_id == _lot_award.c.id)
        .join(_bid, and_(_bid.c.id == award_winner.c.bid_id, _bid.c.organisation_id == _agreement.c.organisation_id))
        .join(_lot, _lot.c.id == _lot_award.c.lot_id)
        .outerjoin(_decision, _decision.c.id == _lot_award.c.decision_id)
        .where(_agreement.c.id.in_(agreement_ids))
        .order_by(_agreement.c.id, _lot.c.number)
    )


def _awarded_lots(session: Session, shape: _Shape, params: dict) -> dict[int, AwardedLot]:
    """The lot each awarded agreement of the filter came from, in one query: the tender's
    lot awards whose winners include the agreement's provider.

    A provider that won two lots of one tender has two agreements; the reference the
    award gave each (``<tender>-L<lot>-<n>``, see ``portal.awards.contracts.places``)
    says which lot is whose, and the service name (``...: lot <n>, <title>``) when a
    long reference was cut short.
    """
    rows = session.execute(_all_lots_query(shape), params).all()
    candidates: dict[int, list] = {}
    for row in rows:
        candidates.setdefault(row[0], []).append(row)
    found = {}
    for agreement_id, lots in candidates.items():
        lot = _lot_of(lots)
        if lot is not None:
            found[agreement_id] = lot
    return found


def _lot_of(lots: list) -> AwardedLot | None:
    """Of the lots (id, reference, service name, lot number, title, decision id and number)
    an agreement's provider won in its tender, the agreement's own."""
    chosen = lots[0] if len(lots) == 1 else _lot_named(lots)
    if chosen is None:
        return None
    return AwardedLot(number=chosen[3], title=chosen[4], decision_id=chosen[5], decision_number=chosen[6])


def _lot_named(lots: list):
    """Of the lots a provider won in one tender, the one this agreement's reference or service names."""
    _, reference, service_name = lots[0][:3]
    match = LOT_IN_REFERENCE.search(reference)
    for row in lots:
        if match and int(match.group(1)) == row[3]:
            return row
    for row in lots:
        if f": lot {row[3]}, " in service_name:
            return row
    return None


def _rows(result, lots: dict[int, AwardedLot], today: date) -> list[ContractRow]:
    # Unpacked and made by position: fifty rows a page, and keywords cost more.
    return [
        ContractRow(
            agreement_id,
            reference,
            provider,
            charity_number,
            company_number,
            organisation_type,
            service_name,
            category,
            annual_value_pence,
            start_date,
            end_date,
            status_of(end_date, replaced_at, today),
            tender_reference,
            tender_title,
            lots.get(agreement_id) if tender_reference else None,
            decision_id,
            decision_number,
        )
        for (
            agreement_id,
            reference,
            provider,
            charity_number,
            company_number,
            organisation_type,
            service_name,
            category,
            annual_value_pence,
            start_date,
            end_date,
            replaced_at,
            tender_reference,
            tender_title,
            decision_id,
            decision_number,
            *_lot,  # a page's rows end with their lot's columns (``_page_queries``)
        ) in result
    ]


def register_page(session: Session, f: ContractFilter, today: date, number: int = 1) -> tuple[list[ContractRow], Page]:
    """One page of the filtered register, newest start first (a page past the last shows the last)."""
    count, rows = _page_queries(_shape(f))
    params = _params(f, today)
    total = session.scalar(count, params)
    page = Page(number, PAGE_SIZE, total)
    page = replace(page, number=min(page.number, page.count))
    result, candidates = [], {}
    for r in session.execute(rows, {**params, "limit": page.size, "offset": page.offset}):
        if not result or result[-1].id != r.id:  # a row per lot won: the agreement's first
            result.append(r)
        if r.lot_number is not None:
            candidates.setdefault(r.id, []).append(
                (r.id, r.reference, r.service_name, r.lot_number, r.lot_title, r.lot_decision_id, r.lot_decision_number)
            )
    lots = {agreement_id: lot for agreement_id, won in candidates.items() if (lot := _lot_of(won)) is not None}
    return _rows(result, lots, today), page


def register_all(session: Session, f: ContractFilter, today: date) -> list[ContractRow]:
    """Every matching row, for the CSV: two queries whatever their number (the lots
    are asked for the whole filtered set at once, by subquery, not page by page)."""
    shape, params = _shape(f), _params(f, today)
    result = session.execute(_rows_query(shape), params).all()
    lots = _awarded_lots(session, shape, params)
    return _rows(result, lots, today)


@dataclass(frozen=True)
class FilterChoices:
    categories: list[tuple[int, str]]
    districts: list[tuple[int, str]]


@cache
def _choices_query():
    return union_all(
        select(literal_column("0").label("kind"), _service_category.c.id, _service_category.c.name.label("name")),
        select(literal_column("1"), _district.c.id, _district.c.name),
    ).order_by("kind", "name")


def filter_choices(session: Session) -> FilterChoices:
    """The categories and districts the filters offer, by name (one query)."""
    choices = FilterChoices(categories=[], districts=[])
    for kind, choice_id, name in session.execute(_choices_query()):
        (choices.districts if kind else choices.categories).append((choice_id, name))
    return choices
