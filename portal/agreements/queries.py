"""Reading the register: filters, the transition dashboard and the reports.

Every function here loads what its page shows in a fixed number of queries,
whatever the number of agreements (eager loads and GROUP BY, never a query per row).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import (
    Date,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from portal.agreements.models import (
    Agreement,
    AgreementDeliveryMode,
    AgreementSpend,
    AgreementStatus,
    DeliveryMode,
    EndingNotice,
    ServiceCategory,
    agreement_district,
    status_rules,
)
from portal.agreements.signals import bid_stages_requested, outcomes_requested
from portal.agreements.waves import AgreementChase, AgreementWave, every_agreement_count, refresh_touched
from portal.dates import add_months
from portal.filters import format_date, format_money
from portal.pagination import Page
from portal.providers.models import District, Organisation
from portal.signals import ask

PAGE_SIZE = 50
SORTS = {
    "end": (Agreement.end_date, Agreement.reference),
    "reference": (Agreement.reference,),
    "provider": (Organisation.name, Agreement.reference),
    "value": (Agreement.annual_value_pence.desc(), Agreement.reference),
}


@dataclass
class RegisterFilter:
    text: str = ""
    category_id: int | None = None
    district_id: int | None = None
    mode: DeliveryMode | None = None
    status: AgreementStatus | None = None
    ending_from: date | None = None
    ending_to: date | None = None
    sort: str = "end"


def _filtered(query: Select, f: RegisterFilter, today: date) -> Select:
    query = query.join(Organisation, Agreement.organisation_id == Organisation.id)
    return query.where(*_conditions(f, today))


def _conditions(f: RegisterFilter, today: date) -> list:
    """The filter's WHERE conditions, over ``Agreement`` joined to ``Organisation``."""
    conditions = []
    if f.text:
        like = f"%{f.text.strip().lower()}%"
        conditions.append(
            or_(
                func.lower(Agreement.reference).like(like),
                func.lower(Agreement.service_name).like(like),
                func.lower(Organisation.name).like(like),
            )
        )
    if f.category_id:
        conditions.append(Agreement.category_id == f.category_id)
    if f.district_id:
        conditions.append(
            exists().where(
                agreement_district.c.agreement_id == Agreement.id, agreement_district.c.district_id == f.district_id
            )
        )
    if f.mode:
        conditions.append(
            exists().where(AgreementDeliveryMode.agreement_id == Agreement.id, AgreementDeliveryMode.mode == f.mode)
        )
    if f.status:
        conditions.append(_has_status(f.status, today))
    if f.ending_from:
        conditions.append(Agreement.end_date >= f.ending_from)
    if f.ending_to:
        conditions.append(Agreement.end_date <= f.ending_to)
    return conditions


def _has_status(status: AgreementStatus, today: date):
    """The status rules as SQL: this status's rule holds and no earlier one does
    (range conditions on the end date, so its index still serves)."""
    earlier = []
    for candidate, condition in status_rules(Agreement.end_date, Agreement.original_end_date, today):
        if candidate is status:
            return and_(*(not_(c) for c in earlier), condition)
        earlier.append(condition)
    raise ValueError(status)


def _with_details(query: Select) -> Select:
    return query.options(
        joinedload(Agreement.organisation),
        joinedload(Agreement.category),
        selectinload(Agreement.districts),
        selectinload(Agreement.delivery_mode_rows),
        selectinload(Agreement.extensions),
    )


class RegisterRow(NamedTuple):
    """One agreement as the register's table shows it, each cell's text worked out once here
    (no attribute lookups or filters per cell in the template)."""

    id: int
    reference: str
    organisation_name: str
    is_registered: bool
    # "service · districts · delivery modes": districts by name, comma-separated, and the modes
    # as DeliveryMode values name them, in the order of their stored names
    service_line: str
    category_name: str
    ends: str  # the end date as pages show dates
    annual_value: str  # as pages show money
    status: AgreementStatus


@dataclass(frozen=True)
class RegisterPage:
    """What the register page shows: one page of rows, which page it is, and the filter's choices."""

    rows: list[RegisterRow]
    page: Page
    categories: list[tuple[int, str]]  # (id, name), by name
    districts: list[tuple[int, str]]


_MODE_NAMES = {mode.name: mode.value for mode in DeliveryMode}


def _status(end_date: date, original_end_date: date, today: date) -> AgreementStatus:
    return next(status for status, holds in status_rules(end_date, original_end_date, today) if holds)


# The register page's statements select Core table columns, not the entities' attributes: a
# statement of the ORM's attributes is run through the ORM's result machinery, for nothing here.
_agreement, _organisation, _category = Agreement.__table__, Organisation.__table__, ServiceCategory.__table__
_district, _mode = District.__table__, AgreementDeliveryMode.__table__
_REGISTER_FROM = _agreement.join(_organisation, _agreement.c.organisation_id == _organisation.c.id)
_REGISTER_COLUMNS = (
    _agreement.c.id,
    _agreement.c.reference,
    _organisation.c.name,
    _organisation.c.registered_at.is_not(None),
    _agreement.c.service_name,
    _category.c.name,
    _agreement.c.end_date,
    _agreement.c.original_end_date,
    _agreement.c.annual_value_pence,
)
_REGISTER_ORDERS = {  # SORTS, in the same columns
    "end": (_agreement.c.end_date, _agreement.c.reference),
    "reference": (_agreement.c.reference,),
    "provider": (_organisation.c.name, _agreement.c.reference),
    "value": (_agreement.c.annual_value_pence.desc(), _agreement.c.reference),
}
_DETAIL_DISTRICT, _DETAIL_MODE, _CHOICE_CATEGORY, _CHOICE_DISTRICT = range(4)


def _register_count(conditions: list) -> Select:
    return select(func.count(_agreement.c.id)).select_from(_REGISTER_FROM).where(*conditions)


def _register_page_of(columns, conditions: list, sort: str) -> Select:
    return (
        select(*columns)
        .select_from(_REGISTER_FROM)
        .where(*conditions)
        .order_by(*_REGISTER_ORDERS.get(sort, _REGISTER_ORDERS["end"]))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _register_statements(conditions: list, sort: str) -> tuple[Select, Select]:
    """The register page's two statements, with the page bound ("limit", "offset").

    The rows, each with the number of matching agreements (counted once, by a subquery not
    correlated with the rows). Then the districts and delivery modes of the same page's
    agreements, given as the list "ids" (each in the order the entity's relationships keep
    them: district by name, mode by its stored name) and the filter's categories and
    districts, in one round trip. The
    unfiltered register's total is the sum of the waves' stored counts (``waves``), which
    grows with the number of end dates, not of agreements."""
    # Every agreement: the waves' stored counts add up to it, without counting them all.
    total = _register_count(conditions).correlate(None).scalar_subquery() if conditions else every_agreement_count()
    rows = _register_page_of((*_REGISTER_COLUMNS, total), conditions, sort).join(
        _category, _agreement.c.category_id == _category.c.id
    )
    # The page's ids, sent back as a list: picked again by the database (a CTE of the page),
    # PostgreSQL joined them to every agreement's districts and modes by a full scan.
    ids = bindparam("ids", expanding=True)
    details = union_all(
        select(
            agreement_district.c.agreement_id.label("id"),
            literal_column(str(_DETAIL_DISTRICT)).label("kind"),
            _district.c.name.label("name"),
        )
        .join(_district, agreement_district.c.district_id == _district.c.id)
        .where(agreement_district.c.agreement_id.in_(ids)),
        select(_mode.c.agreement_id, literal_column(str(_DETAIL_MODE)), _mode.c.mode).where(
            _mode.c.agreement_id.in_(ids)
        ),
        select(_category.c.id, literal_column(str(_CHOICE_CATEGORY)), _category.c.name),
        select(_district.c.id, literal_column(str(_CHOICE_DISTRICT)), _district.c.name),
    ).order_by("kind", "name")
    return rows, details


@cache
def _unfiltered_statements(sort: str) -> tuple[Select, Select]:
    """The unfiltered register's statements for each order, built once (only the page changes)."""
    return _register_statements([], sort)


def register_page(session: Session, f: RegisterFilter, today: date, number: int = 1) -> RegisterPage:
    """One page of the filtered register (a page past the last shows the last), which page it
    is of how many matching agreements, and the filter's choices. Two queries, whatever the
    size (see :func:`_register_statements`; two more for a page past the last: the count,
    then the last page's rows)."""
    conditions = _conditions(f, today)
    rows_query, details_query = (
        _register_statements(conditions, f.sort) if conditions else _unfiltered_statements(f.sort)
    )
    bounds = {"limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE}
    result = session.execute(rows_query, bounds).all()
    if result:
        page = Page(number, PAGE_SIZE, result[0][-1])
    elif number > 1:  # past the last page, or the rows went since the link was made: the last
        page = Page(number, PAGE_SIZE, session.scalar(_register_count(conditions)))
        page = replace(page, number=page.count)
        bounds = {"limit": page.size, "offset": page.offset}
        result = session.execute(rows_query, bounds).all()
    else:
        page = Page(1, PAGE_SIZE, 0)
    districts, modes = defaultdict(list), defaultdict(list)
    categories, district_choices = [], []
    for row_id, kind, name in session.execute(details_query, {"ids": [row[0] for row in result]}).all():
        if kind == _DETAIL_DISTRICT:
            districts[row_id].append(name)
        elif kind == _DETAIL_MODE:
            modes[row_id].append(_MODE_NAMES[name])
        elif kind == _CHOICE_CATEGORY:
            categories.append((row_id, name))
        else:
            district_choices.append((row_id, name))
    by_dates = {}  # many agreements share their dates (a wave ends on one day): each worked out once
    rows = []
    for agreement_id, reference, provider, registered, service, category, end, original_end, value, _ in result:
        if (shown := by_dates.get((end, original_end))) is None:
            shown = by_dates[end, original_end] = (format_date(end), _status(end, original_end, today))
        rows.append(
            RegisterRow(
                agreement_id,
                reference,
                provider,
                registered,
                f"{service} · {', '.join(districts[agreement_id])} · {', '.join(modes[agreement_id])}",
                category,
                shown[0],
                format_money(value),
                shown[1],
            )
        )
    return RegisterPage(rows, page, categories, district_choices)


def register_all(session: Session, f: RegisterFilter, today: date) -> list[Agreement]:
    """Every matching agreement, for the CSV and Excel exports."""
    query = _with_details(_filtered(select(Agreement), f, today)).order_by(*SORTS.get(f.sort, SORTS["end"]))
    return session.scalars(query.options(selectinload(Agreement.spend))).unique().all()


def matching_agreements(session: Session, f: RegisterFilter, today: date) -> list[Agreement]:
    """Every matching agreement with its provider, and nothing else: what a notice to them needs."""
    query = _filtered(select(Agreement), f, today).options(joinedload(Agreement.organisation))
    return session.scalars(query.order_by(Agreement.id)).unique().all()


@dataclass(frozen=True)
class NoticeAudience:
    agreements: int
    providers: int
    provider_names: list[str]


def notice_audience(session: Session, f: RegisterFilter, today: date, names: int = 200) -> NoticeAudience:
    """Who a notice to the matching agreements would reach, counted in the
    database: the page asking for the notice loads no agreement."""
    agreements, providers = session.execute(
        _filtered(
            select(func.count(Agreement.id), func.count(func.distinct(Agreement.organisation_id))).select_from(
                Agreement
            ),
            f,
            today,
        )
    ).one()
    shown = session.scalars(
        _filtered(select(Organisation.name).select_from(Agreement), f, today)
        .distinct()
        .order_by(Organisation.name)
        .limit(names)
    ).all()
    return NoticeAudience(agreements, providers, list(shown))


# --- The transition dashboard ----------------------------------------------------

# A wave's status, worst first. "Ended": its end date has passed, nothing is left to chase.
# "Behind": fewer than half its incumbents have registered, the council's own threshold for
# a wave at risk (an unregistered incumbent cannot bid). "In progress": at least half have
# registered, but someone is still to register or to read a notice. "Reached": every
# incumbent has registered and read a notice.
WAVE_STATUSES = {
    "Ended": "govuk-tag--grey",
    "Behind": "govuk-tag--red",
    "In progress": "govuk-tag--yellow",
    "Reached": "govuk-tag--green",
}


@dataclass
class Wave:
    end_date: date
    agreements: int = 0
    value_pence: int = 0
    incumbents: int = 0
    notified: int = 0
    read: int = 0
    registered: int = 0
    reached: int = 0  # registered and read a notice
    bid_started: int | None = None  # a bid begun for the replacing tender, not yet submitted
    bid_submitted: int | None = None
    awarded: int | None = None
    not_awarded: int | None = None
    status: str = ""

    @property
    def bid(self) -> int | None:
        """Incumbents with a submitted bid for the tender replacing their agreement."""
        return self.bid_submitted


def wave_status(wave: Wave, today: date) -> str:
    """The wave's status (see WAVE_STATUSES for what each means)."""
    if wave.end_date < today:
        return "Ended"
    if wave.registered * 2 < wave.incumbents:
        return "Behind"
    if wave.reached < wave.incumbents:
        return "In progress"
    return "Reached"


@dataclass
class Incumbent:
    """One incumbent in one wave: its agreements ending that day, and how far it has got."""

    end_date: date
    organisation_id: int
    name: str
    contact_email: str | None
    registered: bool
    notified: bool
    read: bool
    last_sent: object  # datetime of the newest notice, or None
    tender_id: int | None  # the tender replacing its agreements, once linked
    references: str
    bid: str | None = None  # "started", "submitted", or None; unknown without the bids domain
    outcome: bool | None = None  # True awarded, False bid and not awarded

    @property
    def reached(self) -> bool:
        return self.registered and self.read


def _bid_answers(session: Session, organisation_id, tender_id):
    """The bids and awards domains' answers for one (incumbent, replacing tender) row of
    the asking query, given as its columns: SQL expressions correlated on them, so that
    counting, filtering and paging stay in the database and read only the bids of the rows
    selected. Each is None when the domain that knows is not there."""
    asked = {"session": session, "organisation_id": organisation_id, "tender_id": tender_id}
    return ask(bid_stages_requested, None, **asked), ask(outcomes_requested, None, **asked)


# The lists each count on the dashboard links to: (label, condition on the incumbent rows'
# columns, see _incumbent_rows). The label completes "Incumbents ..." in the page heading.
INCUMBENT_LISTS = {
    "all": ("in this wave", lambda c: true()),
    "unreached": (
        "not yet reached (not registered, or no notice read)",
        lambda c: or_(c.registered_at.is_(None), c.reads == 0),
    ),
    "notified": ("sent a notice", lambda c: c.notices > 0),
    "not-notified": ("not sent a notice", lambda c: c.notices == 0),
    "read": ("who read a notice", lambda c: c.reads > 0),
    "not-read": ("who have not read a notice", lambda c: c.reads == 0),
    "registered": ("registered", lambda c: c.registered_at.is_not(None)),
    "not-registered": ("not registered", lambda c: c.registered_at.is_(None)),
    "bid-started": ("with a bid started, not submitted", lambda c: c.bid == "started"),
    "bid-submitted": ("with a bid submitted", lambda c: c.bid == "submitted"),
    "no-bid": ("who did not submit a bid", lambda c: or_(c.bid.is_(None), c.bid != "submitted")),
    "awarded": ("awarded", lambda c: c.outcome == 1),
    "not-awarded": ("who bid and were not awarded", lambda c: c.outcome == 0),
}


@cache
def _wave_aliases():
    """Made once (an alias is costly to make, and adapt columns to, on every request), and
    on first use, not on import: making one configures every mapper."""
    return aliased(Agreement, name="in_wave"), aliased(EndingNotice, name="notice_in_wave")


def _wave_facts(session: Session, row, registered_at) -> SimpleNamespace:
    """What the incumbent lists show and filter on, for one (wave, incumbent) row of the
    asking query (``row.end_date``, ``row.organisation_id``, and ``row.tender_id``, the
    tender replacing its agreements): SQL correlated on it, so that
    each is read only for the rows that need it (a filter evaluates what it tests; the
    details are read for the rows shown). The bid and outcome are the bids and awards
    domains' answers for the tender replacing the incumbent's agreements (NULL without them)."""
    agreement, notice = _wave_aliases()
    in_wave = and_(agreement.organisation_id == row.organisation_id, agreement.end_date == row.end_date)

    # Correlated explicitly: an implicit correlation reaches only the query immediately
    # around it, and the asking query may place these deeper.
    def over_wave(column, *joined):
        query = select(column).select_from(agreement)
        for table, on in joined:
            query = query.join(table, on)
        return query.where(in_wave).correlate_except(agreement, notice).scalar_subquery()

    with_notices = (notice, notice.agreement_id == agreement.id)
    stage, outcome = _bid_answers(session, row.organisation_id, row.tender_id)
    return SimpleNamespace(
        registered_at=registered_at,
        notices=over_wave(func.count(notice.id), with_notices),
        reads=over_wave(func.count(notice.read_at), with_notices),
        last_sent=over_wave(func.max(notice.sent_at), with_notices),
        references=over_wave(func.aggregate_strings(agreement.reference, "; ")),
        bid=stage if stage is not None else null(),
        outcome=outcome if outcome is not None else null(),
    )


def incumbent_list(
    session: Session, wave: date | None, today: date, show: str = "all", number: int | None = None, size: int = 50
) -> tuple[list[Incumbent], Page | None]:
    """The incumbents in list ``show`` (see INCUMBENT_LISTS) of one wave, or without a wave
    of every wave still to end: one row per (wave, incumbent), soonest ending first, then by
    name. With a page ``number``, that page of ``size`` rows (a page past the last shows the
    last) and which page it is; without, every row (for the CSV).

    Filtered, counted and paged in the database, in a fixed number of queries whatever the
    size: the (wave, incumbent) rows are grouped with only what the lists filter on; the
    references, newest notice, and the bids and awards domains' answers are read for the
    rows shown."""
    pairs = (
        select(
            Agreement.end_date.label("end_date"),
            Agreement.organisation_id.label("organisation_id"),
            func.max(Agreement.replacement_tender_id).label("tender_id"),
        )
        .where(Agreement.end_date == wave if wave else Agreement.end_date >= today)
        .group_by(Agreement.end_date, Agreement.organisation_id)
        .subquery()
    )
    chosen = (
        select(pairs, Organisation.name.label("name"), Organisation.registered_at.label("registered_at"))
        .join(Organisation, Organisation.id == pairs.c.organisation_id)
        .where(INCUMBENT_LISTS[show][1](_wave_facts(session, pairs.c, Organisation.registered_at)))
    )
    page = None
    if number is not None:
        page = Page(number, size, session.scalar(select(func.count()).select_from(chosen.subquery())))
        page = replace(page, number=min(page.number, page.count))
        chosen = chosen.order_by(pairs.c.end_date, Organisation.name, Organisation.id)
        chosen = chosen.limit(page.size).offset(page.offset)
    shown = chosen.subquery()
    facts = _wave_facts(session, shown.c, shown.c.registered_at)
    rows = session.execute(
        select(
            shown,
            Organisation.contact_email,
            facts.notices,
            facts.reads,
            facts.last_sent,
            facts.references,
            facts.bid,
            facts.outcome,
        )
        .join(Organisation, Organisation.id == shown.c.organisation_id)
        .order_by(shown.c.end_date, shown.c.name, shown.c.organisation_id)
    )
    out = []
    for (
        end_date,
        organisation_id,
        tender_id,
        name,
        registered_at,
        contact_email,
        notices,
        reads,
        last_sent,
        references,
        bid,
        awarded,
    ) in rows:
        out.append(
            Incumbent(
                end_date,
                organisation_id,
                name,
                contact_email,
                registered_at is not None,
                bool(notices),
                bool(reads),
                last_sent,
                tender_id,
                "; ".join(sorted(set(references.split("; ")))) if references else "",
                bid=bid,
                outcome=None if awarded is None else bool(awarded),
            )
        )
    return out, page


# The dashboard is a summary whose size does not grow with the register: one page of waves
# at a time, the months of the year ahead, and the first of the incumbents to chase, each
# with the whole list a click away (the paginated incumbents list).
WAVES_PER_PAGE = 4
MONTHS_AHEAD = 12
UNREACHED_SHOWN = 20


@dataclass
class Dashboard:
    by_month: list[tuple[date, int, int]] = field(default_factory=list)  # this month and the next ones
    later: tuple[int, int] = (0, 0)  # (agreements, annual value) ending after the months shown
    waves: list[Wave] = field(default_factory=list)  # one page of them
    wave_page: Page = field(default_factory=lambda: Page(1, WAVES_PER_PAGE, 0))
    unreached: list[dict] = field(default_factory=list)  # the first UNREACHED_SHOWN, soonest ending
    unreached_total: int = 0


@cache
def _summary_query():
    """The statement of ``_summary``, built once: one row of sums over the stored waves (see
    ``waves``) from ``since``: how many waves, how many of them ended before ``today``,
    for each month (from ``m<n>`` to ``m<n+1>``, the last open-ended) its agreements and
    value, and the providers to chase (summed over the waves still to end)."""
    wave = AgreementWave.__table__
    since, today = bindparam("since", type_=Date), bindparam("today", type_=Date)
    read_from = bindparam("read_from", type_=Date)
    starts = [bindparam(f"m{n}", type_=Date) for n in range(MONTHS_AHEAD + 1)]

    # Literal noughts and ones: fewer parameters to send and plan with.
    one, nought = literal_column("1"), literal_column("0")

    def total(column, *conditions):
        return func.coalesce(func.sum(case((and_(*conditions), column), else_=nought)), nought)

    columns = [total(one, wave.c.end_date >= since), total(one, wave.c.end_date >= since, wave.c.end_date < today)]
    for n in range(MONTHS_AHEAD + 1):
        ending = [wave.c.end_date >= starts[n]] + ([wave.c.end_date < starts[n + 1]] if n < MONTHS_AHEAD else [])
        columns += [total(wave.c.agreements, *ending), total(wave.c.value_pence, *ending)]
    columns.append(total(wave.c.last_chased, wave.c.end_date >= today))
    return select(*columns).where(wave.c.end_date >= read_from)


def _summary(session: Session, since: date, today: date) -> tuple[int, int, list, tuple[int, int], int]:
    """(waves from ``since``, how many of them ended, agreements ending in each of the
    MONTHS_AHEAD months from this one (months with none left out), (agreements, value)
    ending after them, providers to chase). One query, of the stored waves."""
    months = [add_months(today.replace(day=1), n) for n in range(MONTHS_AHEAD + 1)]
    params = {f"m{n}": month for n, month in enumerate(months)}
    params |= {"since": since, "read_from": min(since, months[0]), "today": today}
    waves, ended, *counted, to_chase = session.connection().execute(_summary_query(), params).one()
    by_month, later = [], (0, 0)
    for n, (count, value) in enumerate(zip(counted[::2], counted[1::2], strict=True)):
        if n == MONTHS_AHEAD:
            later = (int(count), int(value))
        elif count:
            by_month.append((months[n], int(count), int(value)))
    return int(waves), int(ended), by_month, later, int(to_chase)


def _wave_page(waves: int, ended: int, number: int | None) -> Page:
    """Which page of ``waves`` to show: ``number``, or without one the page holding the
    first wave still to end (after the ``ended`` ones)."""
    page = Page(number or 1, WAVES_PER_PAGE, waves)
    if number is None:
        page = Page(min(ended, max(waves - 1, 0)) // WAVES_PER_PAGE + 1, WAVES_PER_PAGE, waves)
    return replace(page, number=min(page.number, page.count))


@cache
def _wave_queries():
    """The statements of ``_waves`` that do not depend on who answers for bids, built once
    (their subqueries cost more to build than to run), with the dates and the page bound."""
    wave = AgreementWave.__table__
    waves = (
        select(
            wave.c.end_date,
            wave.c.agreements,
            wave.c.value_pence,
            wave.c.incumbents,
            wave.c.notified,
            wave.c.read,
            wave.c.registered,
            wave.c.reached,
        )
        .where(wave.c.end_date >= bindparam("since", type_=Date))
        .order_by(wave.c.end_date)
        .limit(bindparam("size"))
        .offset(bindparam("offset"))
    )
    in_page = and_(
        Agreement.end_date >= bindparam("first", type_=Date), Agreement.end_date <= bindparam("last", type_=Date)
    )
    # Only incumbents whose agreements have a replacing tender can have bid for it.
    replacing = (
        select(
            Agreement.end_date.label("end_date"),
            Agreement.organisation_id.label("organisation_id"),
            func.max(Agreement.replacement_tender_id).label("tender_id"),
        )
        .where(in_page, Agreement.replacement_tender_id.is_not(None))
        .group_by(Agreement.end_date, Agreement.organisation_id)
        .subquery()
    )
    return waves, replacing


_BIDS_QUERIES: dict = {}


def _bids_query(session: Session, replacing):
    """(whether bids are answered, whether outcomes are, the statement counting them per wave
    of the page), or None when neither domain answers. The domains' answers are SQL built
    from the asking columns alone, so the statement is built once for the receivers
    connected (the cache is keyed on them: an app without a domain answers differently)."""
    key = (tuple(bid_stages_requested.receivers), tuple(outcomes_requested.receivers))
    if key not in _BIDS_QUERIES:
        stage, outcome = _bid_answers(session, replacing.c.organisation_id, replacing.c.tender_id)
        statement = None
        if stage is not None or outcome is not None:
            answers = select(
                replacing.c.end_date,
                (stage if stage is not None else null()).label("stage"),
                (outcome if outcome is not None else null()).label("outcome"),
            ).subquery()
            # Grouped by the answers, each asked once per incumbent (a sum per answer would
            # ask it again in every sum), and added up per wave by the caller.
            statement = (
                stage is not None,
                outcome is not None,
                select(answers.c.end_date, answers.c.stage, answers.c.outcome, func.count()).group_by(
                    answers.c.end_date, answers.c.stage, answers.c.outcome
                ),
            )
        _BIDS_QUERIES[key] = statement
    return _BIDS_QUERIES[key]


def _waves(session: Session, since: date, today: date, page: Page) -> list[Wave]:
    """The page's waves with their counts, as stored (see ``waves``); the bids and outcomes
    counted in the database: the domains above answer with SQL for the (incumbent,
    replacing tender) pairs of the page's waves, so no other bid is read."""
    waves_query, replacing = _wave_queries()
    waves = {
        row[0]: Wave(*row)
        for row in session.connection().execute(waves_query, {"since": since, "size": page.size, "offset": page.offset})
    }
    if not waves:
        return []
    bids = _bids_query(session, replacing)
    if bids is not None:
        stage, outcome, statement = bids
        for wave in waves.values():
            if stage:
                wave.bid_started = wave.bid_submitted = 0
            if outcome:
                wave.awarded = wave.not_awarded = 0
        bounds = {"first": min(waves), "last": max(waves)}
        for end_date, stage_is, outcome_is, count in session.connection().execute(statement, bounds):
            wave = waves[end_date]
            if stage_is == "started":
                wave.bid_started += count
            elif stage_is == "submitted":
                wave.bid_submitted += count
            if outcome_is == 1:
                wave.awarded += count
            elif outcome_is == 0:
                wave.not_awarded += count
    for wave in waves.values():
        wave.status = wave_status(wave, today)
    return list(waves.values())


def _read_in_wave(organisation_id, end_date):
    """SQL: the organisation read a notice about one of its agreements ending on ``end_date``."""
    notice, agreement = aliased(EndingNotice), aliased(Agreement)
    return (
        select(notice.id)
        .join(agreement, agreement.id == notice.agreement_id)
        .where(
            agreement.organisation_id == organisation_id,
            agreement.end_date == end_date,
            notice.read_at.is_not(None),
        )
        .exists()
    )


@cache
def _unreached_queries(shown: int):
    """The two statements of ``_unreached``, built once (their aliases are costly to build
    per request), with ``today`` a parameter."""
    today = bindparam("today", type_=Date)

    def chased(agreement):
        return or_(Organisation.registered_at.is_(None), ~_read_in_wave(agreement.organisation_id, agreement.end_date))

    # The first ``shown`` (wave, provider) rows of the stored incumbents to chase (see
    # ``waves``), each the provider's first wave to chase still to end, soonest first.
    chase = AgreementChase.__table__
    earlier, later = chase.alias("earlier"), chase.alias("later")
    first = (
        select(chase.c.organisation_id.label("id"), chase.c.end_date.label("next_end"))
        .where(
            chase.c.end_date >= today,
            chase.c.end_date <= bindparam("until", type_=Date),
            ~select(earlier.c.end_date)
            .where(
                earlier.c.organisation_id == chase.c.organisation_id,
                earlier.c.end_date >= today,
                earlier.c.end_date < chase.c.end_date,
            )
            .exists(),
        )
        .order_by(chase.c.end_date, chase.c.name, chase.c.organisation_id)
        .limit(shown)
        .subquery()
    )

    # Over the provider's waves to chase still to end: whether it read a notice about their
    # agreements, and when it was last sent one.
    def over_chased(column):
        return (
            select(column)
            .where(later.c.organisation_id == Organisation.id, later.c.end_date >= today)
            .scalar_subquery()
        )

    rows = (
        select(
            Organisation.id,
            Organisation.name,
            Organisation.contact_email,
            Organisation.registered_at,
            first.c.next_end,
            over_chased(func.max(later.c.read)),
            over_chased(func.max(later.c.last_sent)),
        )
        .join(first, first.c.id == Organisation.id)
        .order_by(first.c.next_end, Organisation.name, Organisation.id)
    )
    # Counted provider by provider: one probe of (organisation, end date) each, which stops
    # at the first wave to chase, rather than grouping every agreement still to end.
    total = select(func.count(Organisation.id)).where(
        select(Agreement.id)
        .where(Agreement.organisation_id == Organisation.id, Agreement.end_date >= today, chased(Agreement))
        .exists()
    )
    return rows, total


def _unreached(
    session: Session, today: date, shown: int, waves: list[Wave] = (), total: int | None = None
) -> tuple[list[dict], int]:
    """The providers with agreements still to end that in some wave have not registered or
    read no notice, soonest ending first (the first ``shown``), and how many there are:
    ``total`` when given (the dashboard sums it from the stored waves), else counted.

    The first ``shown`` are read from the stored (wave, provider) rows of the incumbents
    not reached (see ``waves``), soonest wave first, stopping once there are enough: a row is
    shown when it is the provider's first wave to chase (none earlier still to end).

    ``waves`` (already counted) bound the search: every provider not reached in a wave still
    to end has its first wave to chase on or before it, so once one wave has ``shown`` such
    providers, the first ``shown`` all end by then, and later rows need not be read."""
    rows, count = _unreached_queries(shown)
    until = min(
        (w.end_date for w in waves if w.end_date >= today and w.incumbents - w.reached >= shown),
        default=date.max,
    )
    return [
        {
            "id": organisation_id,
            "name": name,
            "contact_email": contact_email,
            "registered": registered_at is not None,
            "notified": last_sent is not None,  # every notice has its time sent
            "read": bool(reads),
            "next_end": end_date,
            "last_sent": last_sent,
        }
        for organisation_id, name, contact_email, registered_at, end_date, reads, last_sent in (
            session.connection().execute(rows, {"today": today, "until": until})
        )
    ], (session.scalar(count, {"today": today}) if total is None else total)


def dashboard(
    session: Session,
    today: date,
    months_back: int = 12,
    page: int | None = None,
    unreached_shown: int = UNREACHED_SHOWN,
) -> Dashboard:
    """A summary whose size does not grow with the register: one page of waves (agreements
    sharing an end date, from ``months_back`` months ago; without ``page``, the page holding
    the first wave still to end), each with how many incumbents were notified, read a notice,
    registered (and started or submitted a bid for the replacing tender, and were awarded or
    not: asked of the domains above, left None when they are not there), and its status;
    agreements ending in each month of the year ahead; and the first incumbents not yet
    reached (not registered, or no notice read), with how many there are. The counts are
    read from the stored waves (``waves``: a row per end date, whatever the number of
    agreements); the bids, outcomes and incumbents shown are read for the page's waves and
    the providers shown only. A fixed number of queries whatever the size."""
    since = add_months(today, -months_back)
    refresh_touched(session)  # this transaction's own changes, if it made any, are counted
    result = Dashboard()
    waves, ended, result.by_month, result.later, to_chase = _summary(session, since, today)
    result.wave_page = _wave_page(waves, ended, page)
    result.waves = _waves(session, since, today, result.wave_page)
    result.unreached, result.unreached_total = _unreached(session, today, unreached_shown, result.waves, total=to_chase)
    return result


# --- Reports -------------------------------------------------------------------


def spend_by_year_and_category(session: Session) -> tuple[list[int], list[str], dict[tuple[int, str], int]]:
    """(financial years, category names, {(year, category): pence})."""
    rows = session.execute(
        select(AgreementSpend.financial_year, ServiceCategory.name, func.sum(AgreementSpend.amount_pence))
        .join(Agreement, AgreementSpend.agreement_id == Agreement.id)
        .join(ServiceCategory, Agreement.category_id == ServiceCategory.id)
        .group_by(AgreementSpend.financial_year, ServiceCategory.name)
    ).all()
    years = sorted({r[0] for r in rows})
    categories = sorted({r[1] for r in rows})
    return years, categories, {(year, name): int(total) for year, name, total in rows}


def ending_between(session: Session, start: date, end: date) -> list[tuple[date, int, int]]:
    """(end date, agreements, annual value) for agreements ending in the period."""
    return [
        tuple(row)
        for row in session.execute(
            select(Agreement.end_date, func.count(Agreement.id), func.sum(Agreement.annual_value_pence))
            .where(Agreement.end_date >= start, Agreement.end_date <= end)
            .group_by(Agreement.end_date)
            .order_by(Agreement.end_date)
        ).all()
    ]


def ending_in_financial_year_with_extensions(session: Session, start: date, end: date) -> dict:
    """How many agreements ending in the period had been extended, by end date."""
    rows = session.execute(
        select(Agreement.end_date, func.sum(case((Agreement.end_date != Agreement.original_end_date, 1), else_=0)))
        .where(Agreement.end_date >= start, Agreement.end_date <= end)
        .group_by(Agreement.end_date)
    ).all()
    return {end_date: int(extended) for end_date, extended in rows}
