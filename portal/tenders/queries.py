"""Reading tenders for the public pages and the officers' lists, in a fixed
number of queries whatever the number of tenders, lots and documents."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.dates import LONDON
from portal.decisions.models import Decision
from portal.files import StoredFile
from portal.filters import format_datetime
from portal.pagination import Page
from portal.providers.models import District
from portal.tenders.models import (
    Amendment,
    Clarification,
    DocumentKind,
    Lot,
    LotDeliveryMode,
    Question,
    QuestionKind,
    Tender,
    TenderDocument,
    TenderStatus,
    lot_district,
    question_lot,
)

PUBLIC_STATUSES = (
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.EVALUATION,
    TenderStatus.AWARDED,
    TenderStatus.CANCELLED,
)
PAGE_SIZE = 20
OFFICER_PAGE_SIZE = 20  # a page at a time: the list's size and time stay the same however many tenders there are


def is_public(tender: Tender) -> bool:
    """Whether anyone may see the tender: it was published (and whatever became of it since).
    A draft cancelled before publication never was: nobody outside the council learns of it."""
    return tender.status in PUBLIC_STATUSES and tender.published_at is not None


def public_condition():
    """:func:`is_public` as SQL, so a list and a page can never disagree (in the table's
    columns, so that a statement of plain columns stays out of the ORM's result machinery)."""
    return and_(_tender.c.status.in_(PUBLIC_STATUSES), _tender.c.published_at.is_not(None))


_tender = Tender.__table__
_lot, _district, _mode = (
    Lot.__table__,
    District.__table__,
    LotDeliveryMode.__table__,
)  # Core tables, for the pages' column queries


# The opportunities list's orders: the query string's value and what the select calls it.
SORT_ORDERS = {"closing": "Closing soonest", "newest": "Newest first"}


@dataclass
class OpportunityFilter:
    text: str = ""
    category_id: int | None = None
    district_id: int | None = None
    mode: DeliveryMode | None = None
    closing_before: date | None = None
    min_value_pence: int | None = None
    max_value_pence: int | None = None
    show: str = "open"  # open, or all that have been published
    sort: str = "closing"  # a key of SORT_ORDERS


def _lot_options():
    return selectinload(Tender.lots).options(selectinload(Lot.districts), selectinload(Lot.delivery_mode_rows))


_category = ServiceCategory.__table__
_choices = union_all(
    select(literal_column("'c'").label("what"), _category.c.id, _category.c.name),
    select(literal_column("'d'"), _district.c.id, _district.c.name),
).subquery()
_FILTER_CHOICES = select(_choices.c.what, _choices.c.id, _choices.c.name).order_by(_choices.c.what, _choices.c.name)


def filter_choices(session: Session) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The categories and the districts the opportunities filters offer, each (id, name) by name (one query)."""
    rows = session.execute(_FILTER_CHOICES)
    categories, districts = [], []
    for what, row_id, name in rows:
        (categories if what == "c" else districts).append((row_id, name))
    return categories, districts


def open_count(session: Session, now: datetime) -> int:
    """How many opportunities are open for bids at ``now`` (the start page's "Open now")."""
    return session.scalar(
        select(func.count(Tender.id)).where(Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline > now)
    )


@dataclass(frozen=True)
class OpportunityResult:
    """One opportunity in the list, with what its result shows of its lots: how many,
    every district any lot covers (by name) and every delivery mode any offers (in order)."""

    reference: str
    title: str
    description: str
    estimated_value_pence: int
    status: TenderStatus
    submission_deadline: datetime | None
    category: str
    lot_count: int
    districts: list[str]
    modes: list[DeliveryMode]

    status_at = Tender.status_at  # the status as every page shows it (the same rule as the tender's)


_RESULT_COLUMNS = (
    _tender.c.id,
    _tender.c.reference,
    _tender.c.title,
    _tender.c.description,
    _tender.c.estimated_value_pence,
    _tender.c.status,
    _tender.c.submission_deadline,
    _category.c.name,
)
_TENDER_IDS = bindparam("tender_ids", expanding=True)
_NOW = bindparam("now")
_result_extras = union_all(
    # The lots of the listed tenders, the districts they cover and the modes they offer, in one query.
    select(_lot.c.tender_id, literal_column("'l'").label("what"), cast(_lot.c.id, String).label("value")).where(
        _lot.c.tender_id.in_(_TENDER_IDS)
    ),
    select(_lot.c.tender_id, literal_column("'d'"), _district.c.name)
    .join(lot_district, lot_district.c.lot_id == _lot.c.id)
    .join(_district, _district.c.id == lot_district.c.district_id)
    .where(_lot.c.tender_id.in_(_TENDER_IDS)),
    select(_lot.c.tender_id, literal_column("'m'"), type_coerce(_mode.c.mode, String))
    .join(_mode, _mode.c.lot_id == _lot.c.id)
    .where(_lot.c.tender_id.in_(_TENDER_IDS)),
).subquery()
_RESULT_LOT_EXTRAS = select(_result_extras.c.tender_id, _result_extras.c.what, _result_extras.c.value)


def _opportunity_conditions(f: OpportunityFilter) -> list:
    """The filter's WHERE conditions, over the tender table, with the time bound ("now")."""
    if f.show == "open":
        conditions = [_tender.c.status == TenderStatus.PUBLISHED, _tender.c.submission_deadline > _NOW]
    else:
        conditions = [public_condition()]
    if f.text:
        # What was typed is matched as it is: a "%" or "_" in it is a character, not a wildcard.
        typed = f.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

        def contains(column):
            return func.lower(column).like(f"%{typed}%", escape="\\")

        conditions.append(
            or_(
                contains(_tender.c.title),
                contains(_tender.c.description),
                contains(_tender.c.reference),
                exists().where(
                    _lot.c.tender_id == _tender.c.id, or_(contains(_lot.c.title), contains(_lot.c.description))
                ),
            )
        )
    if f.category_id:
        conditions.append(_tender.c.category_id == f.category_id)
    if f.district_id:
        conditions.append(
            exists().where(
                _lot.c.tender_id == _tender.c.id,
                lot_district.c.lot_id == _lot.c.id,
                lot_district.c.district_id == f.district_id,
            )
        )
    if f.mode:
        conditions.append(
            exists().where(_lot.c.tender_id == _tender.c.id, _mode.c.lot_id == _lot.c.id, _mode.c.mode == f.mode)
        )
    if f.closing_before:
        end_of_day = datetime.combine(f.closing_before, time(23, 59, 59), tzinfo=LONDON)
        conditions.append(_tender.c.submission_deadline <= end_of_day)
    if f.min_value_pence is not None:
        conditions.append(_tender.c.estimated_value_pence >= f.min_value_pence)
    if f.max_value_pence is not None:
        conditions.append(_tender.c.estimated_value_pence <= f.max_value_pence)
    return conditions


def _opportunity_statement(conditions: list, sort: str):
    """One page of the opportunities matching ``conditions`` in the order ``sort`` names, beside
    how many match, in one statement with the page bound ("limit", "offset"). The count is
    one row, joined to the page's rows: a page with no rows still has its count."""
    count = select(func.count(_tender.c.id).label("total")).where(*conditions).subquery()
    newest = sort == "newest"
    order = (
        (_tender.c.published_at.desc().nulls_last(), _tender.c.id.desc())
        if newest
        else (_tender.c.submission_deadline, _tender.c.id)
    )
    rows = (
        select(*_RESULT_COLUMNS, _tender.c.published_at)
        .join(_category, _category.c.id == _tender.c.category_id)
        .where(*conditions)
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return (
        select(count.c.total, *(column for column in rows.c if column.key != "published_at"))
        .select_from(count.outerjoin(rows, true()))
        .order_by(
            *(
                (rows.c.published_at.desc().nulls_last(), rows.c.id.desc())
                if newest
                else (rows.c.submission_deadline, rows.c.id)
            )
        )
    )


@cache
def _unfiltered_opportunities(show: str, sort: str):
    """The statement for the opportunities with no filter but which to show, built once for each order."""
    return _opportunity_statement(_opportunity_conditions(OpportunityFilter(show=show)), sort)


def opportunities(
    session: Session, f: OpportunityFilter, page: int, now: datetime
) -> tuple[list[OpportunityResult], Page]:
    """Published opportunities matching the filters, one page of them: soonest
    closing first, or (``f.sort == "newest"``) the latest published first. The page
    and the count in one query (two for a page past the last, which shows the last),
    then the page's lots, districts and modes in one more.

    "Open" means open for bids by the server's clock at ``now``: a tender past
    its deadline is not listed as open even before the worker records its closing.
    """
    unfiltered = f == OpportunityFilter(show=f.show, sort=f.sort)
    query = (
        _unfiltered_opportunities(f.show, f.sort)
        if unfiltered
        else _opportunity_statement(_opportunity_conditions(f), f.sort)
    )
    params = {"now": now, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    result = session.execute(query, params).all()
    shown = Page(page, PAGE_SIZE, result[0].total)
    if page > shown.count:
        result = session.execute(query, {**params, "offset": shown.offset}).all()
    rows = [row for row in result if row.id is not None]
    if not rows:
        return [], shown
    lot_ids, districts, modes = defaultdict(set), defaultdict(set), defaultdict(set)
    for tender_id, what, value in session.execute(_RESULT_LOT_EXTRAS, {"tender_ids": [row.id for row in rows]}).all():
        if what == "l":
            lot_ids[tender_id].add(value)
        elif what == "d":
            districts[tender_id].add(value)
        else:
            modes[tender_id].add(DeliveryMode[value])
    return [
        OpportunityResult(
            *row[2:],  # after the count and the id
            lot_count=len(lot_ids[row.id]),
            districts=sorted(districts[row.id]),
            modes=[mode for mode in DeliveryMode if mode in modes[row.id]],
        )
        for row in rows
    ], shown


def tender_by_reference(session: Session, reference: str) -> Tender | None:
    """A tender with everything its page shows."""
    return (
        session.scalars(
            select(Tender)
            .where(Tender.reference == reference)
            .options(
                joinedload(Tender.category),
                joinedload(Tender.decision),
                _lot_options(),
                selectinload(Tender.documents).joinedload(TenderDocument.file),
                selectinload(Tender.amendments),
                selectinload(Tender.questions).options(selectinload(Question.lots), joinedload(Question.section)),
                selectinload(Tender.sections),
            )
        )
        .unique()
        .one_or_none()
    )


@dataclass(frozen=True)
class LotRow:
    """One lot as the opportunity page shows it: its districts by name, its delivery modes in order."""

    id: int
    number: int
    title: str
    description: str
    estimated_annual_value_pence: int
    max_providers: int
    districts: list[str]
    delivery_modes: list[DeliveryMode]


@dataclass(frozen=True)
class QuestionRow:
    """A question as the opportunity page shows it, with the numbers of the lots it is for (none: all)."""

    kind: QuestionKind
    text: str
    word_limit: int | None
    minimum_score: int | None
    weight: int
    lots: list[int]


@dataclass(frozen=True)
class DocumentRow:
    id: int
    kind: DocumentKind
    title: str
    file_kind: str
    size: int

    @property
    def size_label(self) -> str:
        return StoredFile.size_label.fget(self)


@dataclass(frozen=True)
class AmendmentRow:
    number: int
    reason: str
    changes: list
    published_at: datetime


class DecisionRow(NamedTuple):
    id: int
    number: str
    title: str


@dataclass(frozen=True)
class Opportunity:
    """Everything an opportunity's page shows, read in a fixed number of queries: the tender,
    its category's name and its decision (id, number and title, None if not recorded), and its
    lots, questions, documents and amendments as rows."""

    tender: Tender
    category_name: str
    decision: DecisionRow | None
    lots: list[LotRow]
    questions: list[QuestionRow]
    documents: list[DocumentRow]
    amendments: list[AmendmentRow]


# The opportunity page's statements, built once (building a statement costs more than running
# it): each reads one tender's rows by the bound parameter "tender_id" and only the columns shown.
_question, _document, _file = Question.__table__, TenderDocument.__table__, StoredFile.__table__
_amendment, _clarification = Amendment.__table__, Clarification.__table__
_TENDER_ID = bindparam("tender_id")
_decision = Decision.__table__
_OPPORTUNITY_TENDER = (
    # The category's and the decision's columns beside the tender, not loaded as entities of their own.
    select(Tender, _category.c.name, _decision.c.id, _decision.c.number, _decision.c.title)
    .join(_category, _category.c.id == Tender.category_id)
    .outerjoin(_decision, _decision.c.id == Tender.decision_id)
    .where(Tender.reference == bindparam("reference"))
    .options(raiseload("*"))
)
_no_lot_column = null()  # an extra's row has none of the lot's own columns
_OPPORTUNITY_LOTS = union_all(
    # The lots, each lot's districts (by name) and its delivery modes (in the enum names' order),
    # in one query: "what" says which a row is ("l" a lot, "d" a district, "m" a mode).
    select(
        _lot.c.id,
        literal_column("'l'").label("what"),
        _no_lot_column.label("value"),
        _lot.c.number,
        _lot.c.title,
        _lot.c.description,
        _lot.c.estimated_annual_value_pence,
        _lot.c.max_providers,
    ).where(_lot.c.tender_id == _TENDER_ID),
    select(lot_district.c.lot_id, literal_column("'d'"), _district.c.name, *[_no_lot_column] * 5)
    .join(_district, _district.c.id == lot_district.c.district_id)
    .join(_lot, _lot.c.id == lot_district.c.lot_id)
    .where(_lot.c.tender_id == _TENDER_ID),
    select(_mode.c.lot_id, literal_column("'m'"), type_coerce(_mode.c.mode, String), *[_no_lot_column] * 5)
    .join(_lot, _lot.c.id == _mode.c.lot_id)
    .where(_lot.c.tender_id == _TENDER_ID),
).order_by("what", "number", "id", "value")
_OPPORTUNITY_QUESTIONS = (
    select(
        _question.c.id,
        _question.c.kind,
        _question.c.text,
        _question.c.word_limit,
        _question.c.minimum_score,
        _question.c.weight,
        _lot.c.number,
    )
    .outerjoin(question_lot, question_lot.c.question_id == _question.c.id)
    .outerjoin(_lot, _lot.c.id == question_lot.c.lot_id)
    .where(_question.c.tender_id == _TENDER_ID)
    .order_by(_question.c.position, _question.c.id, _lot.c.number)
)
_OPPORTUNITY_DOCUMENTS = (
    select(_document.c.id, _document.c.kind, _document.c.title, _file.c.kind, _file.c.size)
    .join(_file, _file.c.id == _document.c.file_id)
    .where(_document.c.tender_id == _TENDER_ID)
    .order_by(_document.c.id)
)
_OPPORTUNITY_AMENDMENTS = (
    select(_amendment.c.number, _amendment.c.reason, _amendment.c.changes, _amendment.c.published_at)
    .where(_amendment.c.tender_id == _TENDER_ID)
    .order_by(_amendment.c.number)
)
_clarification_columns = (
    _clarification.c.organisation_id,
    _clarification.c.is_published,
    _clarification.c.question,
    _clarification.c.published_question,
    _clarification.c.answer,
    _clarification.c.asked_at,
    _clarification.c.answered_at,
)
_clarification_order = (_clarification.c.asked_at, _clarification.c.id)
_PUBLISHED_CLARIFICATIONS = (
    select(*_clarification_columns)
    .where(_clarification.c.tender_id == _TENDER_ID, _clarification.c.is_published.is_(True))
    .order_by(*_clarification_order)
)
_PUBLISHED_AND_OWN_CLARIFICATIONS = (
    select(*_clarification_columns)
    .where(
        _clarification.c.tender_id == _TENDER_ID,
        or_(_clarification.c.is_published.is_(True), _clarification.c.organisation_id == bindparam("organisation_id")),
    )
    .order_by(*_clarification_order)
)


def opportunity(session: Session, reference: str) -> Opportunity | None:
    """The opportunity page's tender and what it shows, selecting only the columns shown."""
    found = session.execute(_OPPORTUNITY_TENDER, {"reference": reference}).one_or_none()
    if found is None:
        return None
    tender, category_name, decision_id, *decision = found
    params = {"tender_id": tender.id}
    districts, modes, lot_rows = defaultdict(list), defaultdict(list), []
    # Each result fetched whole (.all()): iterating a result fetches row by row, at a cost per row.
    for lot_id, what, value, *lot in session.execute(_OPPORTUNITY_LOTS, params).all():
        if what == "d":
            districts[lot_id].append(value)
        elif what == "m":
            modes[lot_id].append(DeliveryMode[value])
        else:
            lot_rows.append((lot_id, *lot))
    lots = [LotRow(*row, districts[row[0]], modes[row[0]]) for row in lot_rows]
    questions, by_id = [], {}
    for question_id, kind, text, word_limit, minimum_score, weight, lot_number in session.execute(
        _OPPORTUNITY_QUESTIONS, params
    ).all():
        if question_id not in by_id:
            by_id[question_id] = QuestionRow(kind, text, word_limit, minimum_score, weight, [])
            questions.append(by_id[question_id])
        if lot_number is not None:
            by_id[question_id].lots.append(lot_number)
    documents = [DocumentRow(*row) for row in session.execute(_OPPORTUNITY_DOCUMENTS, params).all()]
    amendments = [AmendmentRow(*row) for row in session.execute(_OPPORTUNITY_AMENDMENTS, params).all()]
    decision = DecisionRow(decision_id, *decision) if decision_id is not None else None
    return Opportunity(tender, category_name, decision, lots, questions, documents, amendments)


@dataclass(frozen=True)
class ClarificationRow:
    question: str
    answer: str | None
    answered_at: datetime | None
    asked_at: datetime
    is_published: bool


def page_clarifications(
    session: Session, tender: Tender, organisation_id: int | None
) -> tuple[list[ClarificationRow], list[ClarificationRow]]:
    """The opportunity page's questions and answers in one query: those published to
    everyone, in the order they were answered, each as every provider reads it (the
    officer's rewording, if any; never who asked), and, for a provider, the ones its
    own organisation asked as it asked them (oldest first; only it sees them)."""
    if organisation_id is None:
        rows = session.execute(_PUBLISHED_CLARIFICATIONS, {"tender_id": tender.id}).all()
    else:
        rows = session.execute(
            _PUBLISHED_AND_OWN_CLARIFICATIONS, {"tender_id": tender.id, "organisation_id": organisation_id}
        ).all()
    public_question = Clarification.public_question.fget
    published = [
        ClarificationRow(public_question(row), row.answer, row.answered_at, row.asked_at, True)
        for row in sorted(
            (row for row in rows if row.is_published),
            key=lambda row: (row.answered_at is None, row.answered_at or row.asked_at),
        )
    ]
    own = [
        ClarificationRow(row.question, row.answer, row.answered_at, row.asked_at, row.is_published)
        for row in rows
        if organisation_id is not None and row.organisation_id == organisation_id
    ]
    return published, own


def published_clarifications(session: Session, tender: Tender) -> list[Clarification]:
    return session.scalars(
        select(Clarification)
        .where(Clarification.tender_id == tender.id, Clarification.is_published.is_(True))
        .order_by(Clarification.answered_at)
    ).all()


# The officers' list's status filter: the query string's value and the status it shows.
OFFICER_STATUS_FILTERS = {
    "draft": TenderStatus.DRAFT,
    "published": TenderStatus.PUBLISHED,
    "closed": TenderStatus.CLOSED,
    "evaluation": TenderStatus.EVALUATION,
    "awarded": TenderStatus.AWARDED,
    "cancelled": TenderStatus.CANCELLED,
}


class TenderRow(NamedTuple):
    """What a row of the officers' list shows, and nothing else, its text worked out once
    (the template unpacks the row)."""

    id: int
    reference: str
    title: str
    category: str
    deadline: str  # the submission deadline as pages show it, "Not set" for none
    status: TenderStatus  # as the tender shows at the time asked (``Tender.status_at``)


@dataclass(frozen=True)
class OfficerTenders:
    """The officers' list: one page of rows, which page it is, and how many tenders show each status."""

    rows: list[TenderRow]
    page: Page
    counts: dict[TenderStatus, int]


def _shown_status(status: TenderStatus, now):
    """``Tender.status_at`` as SQL: a published tender past its deadline shows as closed."""
    deadline, stored = _tender.c.submission_deadline, _tender.c.status
    passed = and_(deadline.is_not(None), deadline <= now)
    if status is TenderStatus.PUBLISHED:
        return and_(stored == TenderStatus.PUBLISHED, ~passed)
    if status is TenderStatus.CLOSED:
        return or_(stored == TenderStatus.CLOSED, and_(stored == TenderStatus.PUBLISHED, passed))
    return stored == status


@cache
def _officer_statement(status: TenderStatus | None):
    """One page of the tenders showing ``status`` (or all), newest first, beside how many
    tenders show each status, in one statement with the time and the page bound ("now",
    "limit", "offset"). The counts are one row, joined to the page's rows: a page with no
    rows still has its row of counts. Built once for each status."""
    counts = select(
        *(func.sum(case((_shown_status(shown, _NOW), 1), else_=0)).label(shown.name) for shown in TenderStatus)
    ).subquery()
    rows = (
        select(
            _tender.c.id,
            _tender.c.reference,
            _tender.c.title,
            _category.c.name.label("category"),
            _tender.c.submission_deadline,
            _tender.c.status,
            _tender.c.created_at,
        )
        .join(_category, _category.c.id == _tender.c.category_id)
        .order_by(_tender.c.created_at.desc(), _tender.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    if status is not None:
        rows = rows.where(_shown_status(status, _NOW))
    rows = rows.subquery()
    return (
        select(counts, rows.c.id, rows.c.reference, rows.c.title, rows.c.category)
        .add_columns(rows.c.submission_deadline, rows.c.status)
        .select_from(counts.outerjoin(rows, true()))
        .order_by(rows.c.created_at.desc(), rows.c.id.desc())
    )


def officer_tenders(session: Session, number: int, now: datetime, status: TenderStatus | None = None) -> OfficerTenders:
    """One page of the tenders (those showing ``status`` at ``now``, or all), newest first,
    with only the columns the list shows, and how many show each status. One query (two
    for a page past the last, which shows the last)."""
    query = _officer_statement(status)
    size = OFFICER_PAGE_SIZE
    result = session.execute(query, {"now": now, "limit": size, "offset": (number - 1) * size}).all()
    counts = {shown: int(getattr(result[0], shown.name) or 0) for shown in TenderStatus}
    page = Page(number, size, counts[status] if status else sum(counts.values()))
    if page.number > page.count:
        page = Page(page.count, size, page.total)
        result = session.execute(query, {"now": now, "limit": size, "offset": page.offset}).all()
    status_at = Tender.status_at  # the one rule, on the row's status and deadline
    return OfficerTenders(
        [
            TenderRow(
                row.id,
                row.reference,
                row.title,
                row.category,
                format_datetime(row.submission_deadline) if row.submission_deadline else "Not set",
                status_at(row, now),
            )
            for row in result
            if row.id is not None
        ],
        page,
        counts,
    )


def tenders_under_decision(session: Session, decision_id: int, include_drafts: bool) -> list[Tender]:
    """The tenders a decision authorised, by reference; drafts only for those who may preview them."""
    # With their documents: the decision's page links each tender's Equality Impact Assessment.
    query = (
        select(Tender)
        .where(Tender.decision_id == decision_id)
        .options(selectinload(Tender.documents).joinedload(TenderDocument.file))
    )
    if not include_drafts:
        query = query.where(public_condition())
    return list(session.scalars(query.order_by(Tender.reference)))


def own_clarifications(session: Session, tender: Tender, organisation_id: int) -> list[Clarification]:
    """The questions one organisation asked about a tender, oldest first (only it sees them)."""
    return list(
        session.scalars(
            select(Clarification)
            .where(Clarification.tender_id == tender.id, Clarification.organisation_id == organisation_id)
            .order_by(Clarification.asked_at, Clarification.id)
        )
    )


def all_clarifications(session: Session, tender: Tender) -> list[Clarification]:
    """Every question asked about a tender, with who asked (for officers), oldest first."""
    return list(
        session.scalars(
            select(Clarification)
            .where(Clarification.tender_id == tender.id)
            .options(joinedload(Clarification.organisation))
            .order_by(Clarification.asked_at, Clarification.id)
        )
    )


def has_unanswered_clarifications(session: Session, tender: Tender) -> bool:
    return (
        session.scalar(
            select(Clarification.id)
            .where(Clarification.tender_id == tender.id, Clarification.answered_at.is_(None))
            .limit(1)
        )
        is not None
    )
