"""The transition dashboard's stored counts: one row per wave (agreements sharing an end date),
and one per incumbent still to reach in a wave.

The dashboard shows, for every wave, how many agreements end and their value, how many
incumbents were notified, read a notice, registered and were reached; for the year ahead,
the agreements ending each month; and how many providers are still to chase. Counted from
the register on every request, that work grows with the register; read from these rows it
grows only with the number of end dates; the first providers to chase are read from the
(wave, incumbent) rows of those not reached, without looking at their agreements and notices.

The rows are kept current in the transaction that changes what they count, whatever domain
makes the change (an import, an extension, a notice sent or read, a provider registering, an
award's new agreement): the session's flushes note the waves touched, and before the
transaction commits (or before the dashboard reads them within it) those waves are counted
again from the register. Nothing here depends on today's date, so the rows never go stale
with time. Statements that write these tables without the ORM's unit of work
(``session.execute(insert(Agreement), ...)``) mark every wave to count again; a raw
connection's writes are not seen, and must call :func:`refresh` themselves.

A wave is counted again whole (never adjusted by a difference), under a lock on PostgreSQL
taken once the transaction's own writes are done, so two transactions touching the same wave
cannot leave it counting only one of their changes: the second counts after the first commits,
and in READ COMMITTED its statements see that commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    String,
    and_,
    bindparam,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.selectable import ScalarSelect

from portal.agreements.models import Agreement, EndingNotice
from portal.db import Base, UtcDateTime
from portal.providers.models import Organisation


class AgreementWave(Base):
    """The counts of one wave (every agreement ending on ``end_date``), see the module."""

    __tablename__ = "agreement_wave"

    end_date: Mapped[date] = mapped_column(Date, primary_key=True)
    agreements: Mapped[int]
    value_pence: Mapped[int] = mapped_column(BigInteger)
    incumbents: Mapped[int]  # providers with an agreement in the wave
    notified: Mapped[int]  # ... sent a notice about one of them
    read: Mapped[int]  # ... that read such a notice
    registered: Mapped[int]
    reached: Mapped[int]  # registered and read a notice
    # Incumbents not reached in this wave (not registered, or no notice read) and reached in
    # every later wave of theirs: summed over the waves still to end, the providers to chase.
    last_chased: Mapped[int]


class AgreementChase(Base):
    """An incumbent not reached in a wave (not registered, or no notice read about its
    agreements ending then): the dashboard's providers to chase are read from these rows,
    soonest first, with whether it read a notice and when it was last sent one."""

    __tablename__ = "agreement_chase"
    __table_args__ = (
        # The dashboard's order (soonest wave, then name): its first rows read in order, no sort.
        Index("ix_agreement_chase_end_date_name", "end_date", "name", "organisation_id"),
        # A provider's waves to chase (is there an earlier one; what it read and was sent).
        Index("ix_agreement_chase_organisation_end_date", "organisation_id", "end_date", "read", "last_sent"),
    )

    end_date: Mapped[date] = mapped_column(Date, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))  # the organisation's, to order by
    read: Mapped[int]  # 1 when it read a notice about one of them (registered providers never)
    last_sent: Mapped[datetime | None] = mapped_column(UtcDateTime)  # its newest notice about them


COUNTS = ("agreements", "value_pence", "incumbents", "notified", "read", "registered", "reached", "last_chased")

# More providers than this touched in one transaction (an import): count every wave again,
# rather than list them all in one statement.
_MANY = 500


@cache
def _count_statements(every: bool):
    """(amounts, incumbents) per wave: of the waves bound as ``dates``, or of ``every`` wave."""
    agreement, notice, organisation = Agreement.__table__, EndingNotice.__table__, Organisation.__table__
    chosen = [] if every else [agreement.c.end_date.in_(bindparam("dates", expanding=True))]
    amounts = (
        select(
            agreement.c.end_date,
            func.count(agreement.c.id),
            func.coalesce(func.sum(agreement.c.annual_value_pence), 0),
        )
        .where(*chosen)
        .group_by(agreement.c.end_date)
    )
    pairs = (
        select(
            agreement.c.end_date.label("end_date"),
            agreement.c.organisation_id.label("organisation_id"),
            func.max(case((notice.c.id.is_not(None), 1), else_=0)).label("notified"),
            func.max(case((notice.c.read_at.is_not(None), 1), else_=0)).label("read"),
            func.max(notice.c.sent_at).label("last_sent"),
        )
        .select_from(agreement.outerjoin(notice, notice.c.agreement_id == agreement.c.id))
        .where(*chosen)
        .group_by(agreement.c.end_date, agreement.c.organisation_id)
        .subquery()
    )
    later, in_later, read_notice = agreement.alias("later"), agreement.alias("in_later"), notice.alias("read_notice")
    read_in_later = exists(
        select(read_notice.c.id)
        .select_from(in_later.join(read_notice, read_notice.c.agreement_id == in_later.c.id))
        .where(
            in_later.c.organisation_id == later.c.organisation_id,
            in_later.c.end_date == later.c.end_date,
            read_notice.c.read_at.is_not(None),
        )
    )
    chased_later = exists(
        select(later.c.id).where(
            later.c.organisation_id == pairs.c.organisation_id,
            later.c.end_date > pairs.c.end_date,
            or_(organisation.c.registered_at.is_(None), ~read_in_later),
        )
    )
    registered = case((organisation.c.registered_at.is_not(None), 1), else_=0)
    chased = or_(organisation.c.registered_at.is_(None), pairs.c.read == 0)
    incumbents = (
        select(
            pairs.c.end_date,
            func.count(),
            func.sum(pairs.c.notified),
            func.sum(pairs.c.read),
            func.sum(registered),
            func.sum(registered * pairs.c.read),
            func.sum(case((and_(chased, ~chased_later), 1), else_=0)),
        )
        .select_from(pairs.join(organisation, organisation.c.id == pairs.c.organisation_id))
        .group_by(pairs.c.end_date)
    )
    chase = (
        select(pairs.c.end_date, pairs.c.organisation_id, organisation.c.name, pairs.c.read, pairs.c.last_sent)
        .select_from(pairs.join(organisation, organisation.c.id == pairs.c.organisation_id))
        .where(chased)
    )
    return amounts, incumbents, chase


def _connection(session: Session | Connection) -> Connection:
    return session.connection() if isinstance(session, Session) else session


def recount(session: Session | Connection, dates: list[date] | None = None) -> dict[date, dict[str, int]]:
    """The rows the waves on ``dates`` (or every wave) should hold, counted from the register."""
    amounts, incumbents, _chase = _count_statements(dates is None)
    params = {} if dates is None else {"dates": list(dates)}
    connection = _connection(session)
    rows = {
        end_date: {"end_date": end_date, "agreements": count, "value_pence": int(value)}
        for end_date, count, value in connection.execute(amounts, params)
    }
    for end_date, *counts in connection.execute(incumbents, params):
        rows[end_date].update(zip(COUNTS[2:], (int(n) for n in counts), strict=True))
    return rows


def rechase(session: Session | Connection, dates: list[date] | None = None) -> list[dict]:
    """The incumbents to chase in the waves on ``dates`` (or every wave), from the register."""
    params = {} if dates is None else {"dates": list(dates)}
    rows = [
        {"end_date": end_date, "organisation_id": organisation_id, "name": name, "read": int(read), "last_sent": sent}
        for end_date, organisation_id, name, read, sent in _connection(session).execute(
            _count_statements(dates is None)[2], params
        )
    ]
    return sorted(rows, key=lambda row: (row["end_date"], row["organisation_id"]))


def every_agreement_count() -> ScalarSelect:
    """The number of agreements, as a scalar subquery: the sum of the waves' stored counts,
    which grows with the number of end dates, not of agreements (an unfiltered register's
    total, without counting every agreement)."""
    return select(func.coalesce(func.sum(AgreementWave.__table__.c.agreements), 0)).scalar_subquery()


def stored(session: Session) -> dict[date, dict[str, int]]:
    """Every stored wave, as :func:`recount` gives them (for the tests that compare the two)."""
    table = AgreementWave.__table__
    return {row.end_date: dict(row._mapping) for row in session.connection().execute(select(table))}


def stored_chase(session: Session) -> list[dict]:
    """Every stored incumbent to chase, as :func:`rechase` gives them, in its order."""
    table = AgreementChase.__table__
    return sorted(
        (dict(row._mapping) for row in session.connection().execute(select(table))),
        key=lambda row: (row["end_date"], row["organisation_id"]),
    )


def refresh(session: Session | Connection, dates: list[date] | None = None) -> None:
    """Count the waves on ``dates`` (or every wave) again, and store them."""
    connection = _connection(session)
    if connection.dialect.name == "postgresql":
        # Held to the commit: the next transaction to count a wave does so after this one's
        # changes are committed (and visible to its statements), never beside them.
        connection.execute(text("SELECT pg_advisory_xact_lock(20261130)"))
    for table, rows in (
        (AgreementWave.__table__, list(recount(connection, dates).values())),
        (AgreementChase.__table__, rechase(connection, dates)),
    ):
        connection.execute(delete(table) if dates is None else delete(table).where(table.c.end_date.in_(dates)))
        if rows:
            connection.execute(insert(table), rows)


# --- Keeping the rows current ------------------------------------------------------------


@dataclass
class _Touched:
    """What a transaction's flushes changed, to count again before it commits."""

    every: bool = False
    dates: set = field(default_factory=set)
    organisations: set = field(default_factory=set)  # every wave of theirs
    agreements: set = field(default_factory=set)  # every wave of their providers

    def __bool__(self) -> bool:
        return self.every or bool(self.dates or self.organisations or self.agreements)


_KEY = "agreement_waves_touched"
_TABLES = {Agreement.__tablename__, EndingNotice.__tablename__, Organisation.__tablename__}


def _touched(session: Session) -> _Touched:
    touched = session.info.get(_KEY)
    if touched is None:
        touched = session.info[_KEY] = _Touched()
    return touched


def _old(obj, name: str) -> list:
    """The values attribute ``name`` held before this flush changed it (none if unchanged)."""
    return [value for value in obj._sa_instance_state.attrs[name].history.deleted or () if value is not None]


def _changed(obj, *names: str) -> bool:
    state = obj._sa_instance_state
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _note_deleted(session: Session, _context, _instances) -> None:
    # Deleted rows are read before the flush, while they can still be loaded.
    if not session.deleted:
        return
    touched = _touched(session)
    for obj in session.deleted:
        if isinstance(obj, Agreement):
            touched.dates.add(obj.end_date)
            touched.organisations.add(obj.organisation_id)
        elif isinstance(obj, EndingNotice) and obj.agreement_id is not None:
            touched.agreements.add(obj.agreement_id)


@event.listens_for(Session, "after_flush")
def _note_changed(session: Session, _context) -> None:
    # After the flush every new row has its id and foreign keys; the history still says
    # what each changed attribute held before.
    touched = None
    for obj in session.new:
        if isinstance(obj, Agreement | EndingNotice | Organisation):
            touched = touched or _touched(session)
            if isinstance(obj, Agreement):
                touched.dates.add(obj.end_date)
                touched.organisations.add(obj.organisation_id)
            elif isinstance(obj, EndingNotice):
                if obj.agreement_id is not None:
                    touched.agreements.add(obj.agreement_id)
            elif obj.registered_at is not None:
                touched.organisations.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Agreement):
            if _changed(obj, "end_date", "organisation_id", "organisation", "annual_value_pence"):
                touched = touched or _touched(session)
                touched.dates.update([obj.end_date, *_old(obj, "end_date")])
                touched.organisations.update([obj.organisation_id, *_old(obj, "organisation_id")])
                touched.organisations.update(old.id for old in _old(obj, "organisation"))
        elif isinstance(obj, EndingNotice):
            if _changed(obj, "read_at", "sent_at", "agreement_id", "agreement"):
                touched = touched or _touched(session)
                touched.agreements.update(n for n in [obj.agreement_id, *_old(obj, "agreement_id")] if n)
                touched.agreements.update(old.id for old in _old(obj, "agreement"))
        elif isinstance(obj, Organisation) and _changed(obj, "registered_at", "name"):
            touched = touched or _touched(session)
            touched.organisations.add(obj.id)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    # An INSERT, UPDATE or DELETE statement on the counted tables: which rows it changed is
    # not known here, so every wave is counted again.
    if (state.is_insert or state.is_update or state.is_delete) and state.statement.table.name in _TABLES:
        _touched(state.session).every = True


def refresh_touched(session: Session) -> None:
    """Count again the waves this transaction's changes touched, if any (before it commits,
    and before the dashboard reads the rows within it)."""
    if not (session.info.get(_KEY) or session.new or session.dirty or session.deleted):
        return
    session.flush()  # the changes not yet flushed are noted as they are
    touched = session.info.pop(_KEY, None)
    if not touched:
        return
    if touched.every or len(touched.organisations) + len(touched.agreements) > _MANY:
        refresh(session)
        return
    agreement = Agreement.__table__
    providers = [n for n in touched.organisations if n is not None]
    of_agreements = select(agreement.c.organisation_id).where(agreement.c.id.in_(list(touched.agreements)))
    dates = set(touched.dates) | set(
        session.connection().scalars(
            select(agreement.c.end_date)
            .where(or_(agreement.c.organisation_id.in_(providers), agreement.c.organisation_id.in_(of_agreements)))
            .distinct()
        )
    )
    dates.discard(None)
    if dates:
        refresh(session, sorted(dates))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        refresh_touched(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # Rolled back (or committed, and already counted): nothing is left to count.
    if transaction.parent is None:
        session.info.pop(_KEY, None)
