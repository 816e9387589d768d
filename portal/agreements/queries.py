"""Reading the register: filters, the transition dashboard and the reports.

Every function here loads what its page shows in a fixed number of queries,
whatever the number of agreements (eager loads and GROUP BY, never a query per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Select, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

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
from portal.dates import add_months
from portal.pagination import Page
from portal.providers.models import Organisation

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
    if f.text:
        like = f"%{f.text.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Agreement.reference).like(like),
                func.lower(Agreement.service_name).like(like),
                func.lower(Organisation.name).like(like),
            )
        )
    if f.category_id:
        query = query.where(Agreement.category_id == f.category_id)
    if f.district_id:
        query = query.where(
            exists().where(
                agreement_district.c.agreement_id == Agreement.id, agreement_district.c.district_id == f.district_id
            )
        )
    if f.mode:
        query = query.where(
            exists().where(AgreementDeliveryMode.agreement_id == Agreement.id, AgreementDeliveryMode.mode == f.mode)
        )
    if f.status:
        query = query.where(_has_status(f.status, today))
    if f.ending_from:
        query = query.where(Agreement.end_date >= f.ending_from)
    if f.ending_to:
        query = query.where(Agreement.end_date <= f.ending_to)
    return query


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


def register_page(session: Session, f: RegisterFilter, today: date, number: int = 1) -> tuple[list[Agreement], Page]:
    """One page of the filtered register (a page past the last shows the last)
    and which page it is of how many matching agreements."""
    page = Page(number, PAGE_SIZE, session.scalar(_filtered(select(func.count(Agreement.id)), f, today)))
    page = replace(page, number=min(page.number, page.count))
    query = _with_details(_filtered(select(Agreement), f, today)).order_by(*SORTS.get(f.sort, SORTS["end"]))
    rows = session.scalars(query.limit(page.size).offset(page.offset)).unique().all()
    return rows, page


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


@dataclass
class Wave:
    end_date: date
    agreements: int = 0
    value_pence: int = 0
    incumbents: int = 0
    notified: int = 0
    read: int = 0
    registered: int = 0
    bid: int | None = None
    awarded: int | None = None
    not_awarded: int | None = None


@dataclass
class Dashboard:
    by_month: list[tuple[date, int, int]] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    unreached: list[dict] = field(default_factory=list)


def dashboard(
    session: Session, today: date, months_back: int = 12, bids_by_organisation=None, outcomes=None
) -> Dashboard:
    """Agreements ending by month; each wave (agreements sharing an end date) with
    how many incumbents were notified, read a notice, registered (and bid, and were
    awarded or not); and the incumbents not yet reached: not registered, or no
    notice read. ``outcomes`` maps (organisation, tender) to True (awarded) or False."""
    since = add_months(today, -months_back)
    result = Dashboard()
    rows = session.execute(
        select(Agreement.end_date, func.count(Agreement.id), func.coalesce(func.sum(Agreement.annual_value_pence), 0))
        .where(Agreement.end_date >= since)
        .group_by(Agreement.end_date)
        .order_by(Agreement.end_date)
    ).all()
    months: dict[date, list[int]] = {}
    for end_date, count, value in rows:
        key = end_date.replace(day=1)
        months.setdefault(key, [0, 0])
        months[key][0] += count
        months[key][1] += value
    result.by_month = [(key, counts[0], counts[1]) for key, counts in sorted(months.items())]

    # One row per (wave, incumbent): was it notified, did it read, is it registered.
    per_incumbent = session.execute(
        select(
            Agreement.end_date,
            Organisation.id,
            Organisation.name,
            Organisation.contact_email,
            Organisation.registered_at,
            func.count(EndingNotice.id),
            func.count(EndingNotice.read_at),
            func.max(EndingNotice.sent_at),
            func.max(Agreement.replacement_tender_id),
        )
        .join(Organisation, Agreement.organisation_id == Organisation.id)
        .outerjoin(EndingNotice, EndingNotice.agreement_id == Agreement.id)
        .where(Agreement.end_date >= since)
        .group_by(
            Agreement.end_date,
            Organisation.id,
            Organisation.name,
            Organisation.contact_email,
            Organisation.registered_at,
        )
        .order_by(Agreement.end_date, Organisation.name)
    ).all()
    waves = {end_date: Wave(end_date, count, value) for end_date, count, value in rows}
    unreached = {}
    for end_date, org_id, name, contact, registered_at, notices, reads, last_sent, tender_id in per_incumbent:
        wave = waves[end_date]
        wave.incumbents += 1
        wave.notified += 1 if notices else 0
        wave.read += 1 if reads else 0
        wave.registered += 1 if registered_at else 0
        if bids_by_organisation is not None:
            wave.bid = (wave.bid or 0) + (1 if org_id in bids_by_organisation else 0)
        if outcomes is not None:
            outcome = outcomes.get((org_id, tender_id))  # the tender replacing this incumbent's agreement
            wave.awarded = (wave.awarded or 0) + (1 if outcome is True else 0)
            wave.not_awarded = (wave.not_awarded or 0) + (1 if outcome is False else 0)
        if end_date >= today and (not registered_at or not reads):
            entry = unreached.setdefault(
                org_id,
                {
                    "id": org_id,
                    "name": name,
                    "contact_email": contact,
                    "registered": bool(registered_at),
                    "notified": False,
                    "read": False,
                    "next_end": end_date,
                    "last_sent": None,
                },
            )
            entry["notified"] = entry["notified"] or bool(notices)
            entry["read"] = entry["read"] or bool(reads)
            entry["next_end"] = min(entry["next_end"], end_date)
            if last_sent and (entry["last_sent"] is None or last_sent > entry["last_sent"]):
                entry["last_sent"] = last_sent
    result.waves = list(waves.values())
    result.unreached = sorted(unreached.values(), key=lambda e: (e["next_end"], e["name"]))
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


def provider_home(session: Session, organisation_id: int) -> tuple[list[Agreement], list[EndingNotice]]:
    """A provider's own agreements (soonest ending first) and notices (unread first)."""
    agreements = (
        session.scalars(
            select(Agreement)
            .where(Agreement.organisation_id == organisation_id)
            .options(joinedload(Agreement.category))
            .order_by(Agreement.end_date, Agreement.reference)
        )
        .unique()
        .all()
    )
    notices = session.scalars(
        select(EndingNotice)
        .where(EndingNotice.organisation_id == organisation_id)
        .order_by(EndingNotice.read_at.is_not(None), EndingNotice.sent_at.desc(), EndingNotice.id.desc())
        .limit(100)
    ).all()
    return agreements, notices
