"""The audit trail as a hash chain nobody can quietly rewrite.

Every audit event carries ``position`` (its place in the chain, 1, 2, 3, ... with no
gaps), ``prev_hash`` (the hash of the event before it; :data:`GENESIS` for the first)
and ``hash``, a SHA-256 over its own fields and ``prev_hash`` (:func:`compute_hash`, the
one place the formula lives). Changing an event's details breaks its hash; deleting one
from the middle leaves a gap in the positions and a broken link. Deleting the newest
events leaves a shorter chain that is still whole, so the chain's head is published each
day (:func:`publish_head`, the ``audit_head`` table, the public page and its JSON, which
anyone may copy and keep), and :func:`verify` checks the chain against those heads.

Sealing: the events a transaction added get their position and hashes just before it
commits, in the same transaction (:func:`seal`, a ``before_commit`` listener on every
``Session``), so a rolled-back change leaves no link behind and two transactions never
take the same place in the chain (see :func:`seal` for how each database makes them
wait their turn).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.session import make_transient_to_detached

from portal.audit.models import AuditEvent, AuditHead
from portal.clock import now as clock_now
from portal.db import prepare_before_checks, savepoint

log = logging.getLogger(__name__)

GENESIS = "0" * 64
"""The ``prev_hash`` of the first event in the chain."""

# Any fixed 64-bit number: the PostgreSQL advisory lock that makes committing
# transactions extend the chain one after the other ("audit" in ASCII).
CHAIN_LOCK_KEY = int.from_bytes(b"audit", "big")

_UNSEALED = "audit_unsealed"  # session.info key: events added in this transaction, not yet sealed


# --- The formula --------------------------------------------------------------------------------


def canonical_json(value) -> str:
    """``value`` as canonical JSON text: sorted keys, no spaces, UTF-8 kept as it is.

    It goes through JSON once first, so what is hashed is what the database keeps
    and gives back (a tuple becomes a list, a number key a text key)."""
    return json.dumps(json.loads(json.dumps(value)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(
    position: int,
    occurred_at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    details: dict | None,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of one audit event: the only statement of the formula.

    The fields go into a canonical JSON array (so no field can bleed into the next),
    ``occurred_at`` as UTC ISO 8601 text with microseconds and ``details`` as canonical
    JSON. The database id is left out: the position is the event's identity in the chain.
    """
    payload = [
        position,
        occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        actor_id,
        action,
        object_type,
        object_id,
        json.loads(canonical_json(details if details is not None else {})),
        prev_hash,
    ]
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _hash_of(event: AuditEvent) -> str:
    return compute_hash(
        event.position,
        event.occurred_at,
        event.actor_id,
        event.action,
        event.object_type,
        event.object_id,
        event.details,
        event.prev_hash,
    )


# --- Sealing, as each transaction commits ---------------------------------------------------------


def note(session: Session, audit_event: AuditEvent) -> None:
    """Remember ``audit_event`` as this transaction's to seal when it commits."""
    noted = session.info.setdefault(_UNSEALED, [])
    seen = session.info.setdefault(_UNSEALED + "_ids", set())  # a set: a bulk import notes thousands
    if id(audit_event) not in seen:
        seen.add(id(audit_event))
        noted.append(audit_event)


def _take_noted(session: Session) -> list[AuditEvent]:
    # The ids go with the list: an id is only unique while its object lives, and the list keeps them alive.
    session.info.pop(_UNSEALED + "_ids", None)
    return session.info.pop(_UNSEALED, [])


def _note_new_events(session: Session, _flush_context, _instances) -> None:
    # An event added with session.add() rather than record() is chained too.
    for obj in session.new:
        if isinstance(obj, AuditEvent) and obj.position is None:  # (one sealed is inserted sealed)
            note(session, obj)


def seal(session: Session) -> None:
    """Give this transaction's new audit events their places in the chain (before_commit).

    Everything else the transaction holds is flushed first; then the chain's head is read
    and the events get the next positions, in the order they were recorded, and their
    hashes; all in the committing transaction, so the links commit with the changes or not
    at all. An event not yet written is inserted once, sealed; one a flush wrote earlier
    (with no place yet) is updated with its place.

    Two transactions must not read the same head. On PostgreSQL a transaction-scoped
    advisory lock is taken before the head is read: a second committing transaction waits
    for the first to commit (or roll back), and then, at READ COMMITTED, it reads the head
    with a fresh snapshot and sees the first one's events. Both happen in one round trip,
    in a PL/pgSQL function (migration 0016) whose SELECT takes its own snapshot after the
    lock is granted. On SQLite the transaction holds the database's one write
    lock before the head is read (a transaction that has written holds it until it ends,
    and one that has not yet written takes it with ``BEGIN IMMEDIATE``), so nobody else can
    extend the chain meanwhile; and a transaction holding that lock has seen every commit
    before it, so the head it reads is the newest. The unique position is the last guard:
    a transaction that somehow read a stale head fails to commit rather than forking the
    chain.

    SQLAlchemy fires ``before_commit`` as a savepoint is released too; sealing waits for
    the outermost commit. Taking the lock there, after every row lock the transaction
    needs (its other changes are flushed before it), is what keeps it free of deadlocks: a
    transaction holding the lock only reads the head and writes its own events. (Taken at
    a savepoint mid-transaction, it could be held while waiting for a row another
    transaction locked before waiting for it.)
    """
    if session.in_nested_transaction():
        return
    noted = session.info.get(_UNSEALED)
    if not noted and not any(isinstance(obj, AuditEvent) for obj in session.new):
        return
    # The events not yet written stay out of this flush: they are inserted once, sealed.
    unwritten = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    unwritten_ids = {id(e) for e in unwritten}
    for audit_event in unwritten:
        note(session, audit_event)
        session.expunge(audit_event)
    try:
        session.flush()  # every other change written, and the row locks it needs taken
    except BaseException:
        session.add_all(unwritten)
        raise
    events = [
        e for e in _take_noted(session) if e.position is None and (id(e) in unwritten_ids or e in session)
    ]  # an event undone by a savepoint is no longer in the session
    if not events:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # The lock, then the head read afresh once it is granted, in one round trip
        # (migration 0016's function).
        row = connection.execute(_HEAD_UNDER_CHAIN_LOCK, {"key": CHAIN_LOCK_KEY}).one()
        locked_head = (row.head_position, row.head_hash) if row.head_position is not None else None
    else:
        if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, before the head is read
        locked_head = head(session)
    position, prev_hash = locked_head or (0, GENESIS)
    for audit_event in events:
        if audit_event.occurred_at is None:  # the column defaults, as an insert would give them
            audit_event.occurred_at = clock_now()
        if audit_event.details is None:
            audit_event.details = {}
        position += 1
        audit_event.position = position
        audit_event.prev_hash = prev_hash
        audit_event.hash = prev_hash = _hash_of(audit_event)
        if id(audit_event) not in unwritten_ids:
            # Written again with the hash: JSON columns do not notice a change made in place,
            # so a dict changed after the first flush is stored exactly as it was hashed.
            flag_modified(audit_event, "details")
    sealed_unwritten = [e for e in events if id(e) in unwritten_ids]
    if len(sealed_unwritten) < len(events):
        session.flush()
    _insert_sealed(session, sealed_unwritten)


_EVENT_COLUMNS = (
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "details",
    "position",
    "prev_hash",
    "hash",
)
_INSERT_EVENT = insert(AuditEvent.__table__)
_INSERT_EVENTS = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id, sort_by_parameter_order=True)


def _insert_sealed(session: Session, events: list[AuditEvent]) -> None:
    """Insert sealed events in one statement; each then stands in the session as the row
    it wrote (no second write, no read back)."""
    if not events:
        return
    rows = [{name: getattr(e, name) for name in _EVENT_COLUMNS} for e in events]
    # On the connection: the transaction is committing, and the ORM's execution path would
    # only add its own set-up to a plain INSERT of the audit table.
    connection = session.connection()
    if len(rows) == 1:  # the usual case: one plain INSERT
        ids = connection.execute(_INSERT_EVENT, rows[0]).inserted_primary_key
    else:
        ids = connection.execute(_INSERT_EVENTS, rows).scalars().all()
    for audit_event, event_id in zip(events, ids, strict=True):
        audit_event.id = event_id
        make_transient_to_detached(audit_event)
        session.add(audit_event)


# PostgreSQL: take the chain's advisory lock, then read the head (migration 0016).
_HEAD_UNDER_CHAIN_LOCK = text("SELECT head_position, head_hash FROM audit_chain_head_locked(:key)")


def _forget_unsealed(session: Session, transaction) -> None:
    # A transaction that ends (committed or rolled back) leaves nothing to seal.
    if transaction.parent is None:
        _take_noted(session)


event.listen(Session, "before_flush", _note_new_events)
event.listen(Session, "before_commit", seal)
# In the unit of work, seal before the last-moment checks: a bid judged in time at 11:59:59.9
# must not then wait for the chain's lock and commit after the deadline.
prepare_before_checks(seal)
event.listen(Session, "after_transaction_end", _forget_unsealed)


def head(session: Session) -> tuple[int, str] | None:
    """The chain's newest (position, hash), or None while the chain is empty."""
    row = session.execute(_HEAD).first()
    return (row.position, row.hash) if row else None


# Built once, of the table's columns (no ORM rows to make): every transaction that records
# an event reads it as it commits.
_events = AuditEvent.__table__.c
_HEAD = (
    select(_events.position, _events.hash)
    .where(_events.position.is_not(None))
    .order_by(_events.position.desc())
    .limit(1)
)


# --- Published heads ----------------------------------------------------------------------------


def publish_head(session: Session, today: date) -> AuditHead | None:
    """Publish the chain's head for ``today``: once a day, never changed afterwards.

    A second call the same day changes nothing and returns the head already published
    (so a copy taken in the morning still matches in the evening); the records added
    since are covered by the next day's head. Returns None while the chain is empty.
    Two calls at once: the day is unique, and the one that loses reads the winner's.
    """
    existing = session.scalar(select(AuditHead).where(AuditHead.day == today))
    if existing is not None:
        return existing
    current = head(session)
    if current is None:
        return None
    published = AuditHead(day=today, position=current[0], hash=current[1], published_at=clock_now())
    try:
        with savepoint(session):
            session.add(published)
            session.flush()
    except IntegrityError:
        return session.scalar(select(AuditHead).where(AuditHead.day == today))
    return published


def published_heads(session: Session) -> list[AuditHead]:
    """Every published head, oldest day first."""
    return list(session.scalars(select(AuditHead).order_by(AuditHead.day)))


def head_as_data(published: AuditHead) -> dict:
    """A published head as open data (the public JSON and the bulk download)."""
    return {
        "day": published.day.isoformat(),
        "records": published.position,
        "hash": published.hash,
        "published_at": published.published_at.astimezone(UTC).isoformat(),
    }


# --- Verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """A head to check the chain against: from the portal's table, or a copy kept elsewhere."""

    day: date
    position: int
    hash: str
    source: str  # "published" or the name of the copy's file


def heads_from_data(data, source: str) -> list[Head]:
    """Heads from the public JSON (``{"heads": [...]}``, or the list itself).

    Raises ValueError: the data is not a list of heads with a day, a number of records and a hash.
    """
    items = data.get("heads") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError('expected a list of heads, or an object with one under "heads"')
    heads = []
    for number, item in enumerate(items, start=1):
        try:
            position = item["records"] if "records" in item else item["position"]
            if isinstance(position, bool) or not isinstance(position, int) or not isinstance(item["hash"], str):
                raise TypeError
            heads.append(Head(date.fromisoformat(item["day"]), position, item["hash"].lower(), source))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"head {number} needs a day (YYYY-MM-DD), a number of records and a hash") from None
    return heads


MAX_PROBLEMS_SHOWN = 20


@dataclass
class Verification:
    """What :func:`verify` found: ``problems`` in chain order (the first names the first
    record that does not match), at most :data:`MAX_PROBLEMS_SHOWN` of ``problem_count``."""

    records: int = 0
    last_position: int = 0
    heads_checked: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(message)

    def summary(self) -> str:
        if self.ok:
            return (
                f"Audit trail verified: {self.records} records, every hash and link intact, "
                f"{self.heads_checked} published head{'s' if self.heads_checked != 1 else ''} matched."
            )
        return f"Audit trail NOT verified: {self.problem_count} problem{'s' if self.problem_count != 1 else ''}."


def _named(row) -> str:
    return f"record {row.id} (position {row.position}, {row.action})"


def _head_named(h: Head) -> str:
    where = "the portal's published head" if h.source == "published" else f"the head in {h.source}"
    return f"{where} for {h.day.isoformat()}"


def verify(session: Session, copies: Iterable[Head] = (), batch_size: int = 1000) -> Verification:
    """Walk the whole chain in position order, in batches of ``batch_size`` rows (memory
    stays flat however long it is): recompute each hash, check each link to the record
    before and that the positions run on without a gap; then check every published head,
    and every head in ``copies`` (kept outside the portal), against the chain.

    A head beyond the chain's end means the newest records were deleted; a head whose
    hash differs from the record at its position means records up to it were rewritten.
    """
    result = Verification()
    unsealed = session.execute(
        select(AuditEvent.id, AuditEvent.action).where(AuditEvent.position.is_(None)).order_by(AuditEvent.id).limit(1)
    ).first()
    if unsealed is not None:
        result.problem(
            f"record {unsealed.id} ({unsealed.action}) has no place in the chain: it was written outside the portal"
        )

    published = [Head(h.day, h.position, h.hash, "published") for h in published_heads(session)]
    copies = list(copies)
    by_day = {h.day: h for h in published}
    for copy in copies:
        kept = by_day.get(copy.day)
        if kept is None:
            result.problem(f"{_head_named(copy)} is missing from the portal's published heads")
        elif (kept.position, kept.hash) != (copy.position, copy.hash):
            result.problem(f"{_head_named(copy)} differs from the portal's published head for that day")
    heads_at: dict[int, list[Head]] = {}
    for h in [*published, *copies]:
        heads_at.setdefault(h.position, []).append(h)

    columns = (
        AuditEvent.id,
        AuditEvent.position,
        AuditEvent.occurred_at,
        AuditEvent.actor_id,
        AuditEvent.action,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.details,
        AuditEvent.prev_hash,
        AuditEvent.hash,
    )
    expected, prev_hash, last = 1, GENESIS, 0
    while True:
        rows = session.execute(
            select(*columns).where(AuditEvent.position > last).order_by(AuditEvent.position).limit(batch_size)
        ).all()
        if not rows:
            break
        for row in rows:
            result.records += 1
            if row.position != expected:
                missing = (
                    f"position {expected} is"
                    if row.position == expected + 1
                    else f"positions {expected} to {row.position - 1} are"
                )
                result.problem(f"{_named(row)}: {missing} missing from before it (deleted)")
            elif row.prev_hash != prev_hash:
                result.problem(
                    f"{_named(row)}: its link to the record before it is broken (a record was changed or replaced)"
                )
            recomputed = compute_hash(
                row.position,
                row.occurred_at,
                row.actor_id,
                row.action,
                row.object_type,
                row.object_id,
                row.details,
                row.prev_hash or "",
            )
            if row.hash != recomputed:
                result.problem(f"{_named(row)}: its contents do not match its hash (changed after it was written)")
            for h in heads_at.get(row.position, ()):
                result.heads_checked += 1
                if h.hash != row.hash:
                    result.problem(f"{_head_named(h)} does not match {_named(row)}: records up to it were rewritten")
            expected, prev_hash, last = row.position + 1, row.hash, row.position
    result.last_position = last
    for position in sorted(p for p in heads_at if p > last):
        for h in heads_at[position]:
            result.heads_checked += 1
            result.problem(
                f"{_head_named(h)} says the chain held {h.position} records, but it ends at position {last}: "
                "the newest records were deleted"
            )
    return result
