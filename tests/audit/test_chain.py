"""The audit chain: sealed as each transaction commits, and every kind of tampering caught by verify."""

from __future__ import annotations

import itertools
import threading
from datetime import date

import pytest
from sqlalchemy import delete, func, insert, select, update

from portal.audit import chain
from portal.audit.models import AuditEvent, AuditHead
from portal.audit.services import record
from portal.clock import now as clock_now

DAY = date(2026, 11, 30)


def _record_each(db, count: int, **details) -> None:
    """``count`` events, each in its own committed transaction."""
    for n in range(count):
        record(db, None, "test.event", None, n=n, **details)
        db.commit()


def _rows(db):
    return db.execute(
        select(AuditEvent.id, AuditEvent.position, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.action).order_by(
            AuditEvent.position
        )
    ).all()


def _tamper(app, statement) -> None:
    """Someone with the database's password changes a row, behind the portal's back."""
    with app.extensions["db_engine"].begin() as connection:
        connection.execute(statement)


def test_events_are_chained_in_order_as_their_transactions_commit(db):
    record(db, None, "test.first", None, word="één")  # not ASCII: hashed as UTF-8
    record(db, None, "test.second", None, numbers=(1, 2), nested={"b": 1, "a": [None, True]})
    db.commit()
    _record_each(db, 2)

    rows = _rows(db)
    assert [r.position for r in rows] == [1, 2, 3, 4]
    assert [r.action for r in rows][:2] == ["test.first", "test.second"]  # the order they were recorded
    assert rows[0].prev_hash == chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert all(len(r.hash) == 64 for r in rows)
    result = chain.verify(db)
    assert result.ok, result.problems
    assert result.records == 4
    assert "4 records" in result.summary()


def test_the_formula_covers_every_field_and_the_previous_hash():
    fields = {
        "position": 1,
        "occurred_at": clock_now(),
        "actor_id": 3,
        "action": "tender.published",
        "object_type": "tender",
        "object_id": 7,
        "details": {"b": 1, "a": 2},
        "prev_hash": chain.GENESIS,
    }
    original = chain.compute_hash(**fields)
    assert original == chain.compute_hash(**{**fields, "details": {"a": 2, "b": 1}})  # key order does not matter
    for name, other in [
        ("position", 2),
        ("actor_id", 4),
        ("action", "tender.cancelled"),
        ("object_type", "bid"),
        ("object_id", 8),
        ("details", {"a": 2, "b": 2}),
        ("prev_hash", "1" * 64),
    ]:
        assert chain.compute_hash(**{**fields, name: other}) != original, name


def test_a_rolled_back_transaction_leaves_no_link_and_the_next_one_takes_its_place(db):
    _record_each(db, 1)
    record(db, None, "test.undone", None)
    db.flush()
    db.rollback()
    _record_each(db, 1)
    assert [r.position for r in _rows(db)] == [1, 2]
    assert chain.verify(db).ok


def test_events_are_sealed_at_the_outermost_commit_never_at_a_savepoint(db):
    """The chain lock is taken only as the whole transaction commits, after every row lock it
    needs (so two transactions can never wait for each other); an event in a savepoint that
    was undone leaves no link."""
    _record_each(db, 1)
    kept = record(db, None, "test.in_savepoint", None)
    with db.begin_nested():
        pass
    assert kept.position is None  # released savepoint: not sealed yet
    nested = db.begin_nested()
    record(db, None, "test.undone", None)
    db.flush()
    nested.rollback()
    db.commit()
    assert [(r.position, r.action) for r in _rows(db)] == [(1, "test.event"), (2, "test.in_savepoint")]
    assert chain.verify(db).ok


def test_an_event_added_without_record_and_one_changed_after_its_flush_are_still_sealed_exactly(db):
    db.add(AuditEvent(action="test.direct", object_type=""))
    event = record(db, None, "test.changed", None, step=1)
    db.flush()
    event.details["step"] = 2  # changed in place after the insert: stored as hashed
    db.commit()
    assert [r.position for r in _rows(db)] == [1, 2]
    stored = db.scalar(select(AuditEvent.details).where(AuditEvent.action == "test.changed"))
    assert stored == {"step": 2}
    assert chain.verify(db).ok


def test_an_event_not_yet_written_is_inserted_once_already_sealed(app, db):
    """No second write: an event still waiting in the session as its transaction commits is
    inserted with its place and hash (one added directly gets the column defaults first)."""
    from tests.support import count_queries

    _record_each(db, 1)
    record(db, None, "test.waiting", None, step=1)
    db.add(AuditEvent(action="test.direct", object_type=""))  # no time, no details given
    with count_queries(app) as statements:
        db.commit()
    writes = [s.split()[0:3] for s in statements if not s.lstrip().upper().startswith(("SELECT", "BEGIN"))]
    # Inserts only (one statement, or one a row where the database cannot number a batch's rows), no UPDATE.
    assert writes and all(w == ["INSERT", "INTO", "audit_event"] for w in writes), statements
    rows = _rows(db)
    assert [(r.position, r.action) for r in rows] == [(1, "test.event"), (2, "test.waiting"), (3, "test.direct")]
    direct = db.scalar(select(AuditEvent).where(AuditEvent.action == "test.direct"))
    assert direct.occurred_at is not None and direct.details == {}
    result = chain.verify(db)
    assert result.ok, result.problems


def test_a_clean_chain_verifies_in_batches(db):
    _record_each(db, 7)
    result = chain.verify(db, batch_size=3)
    assert result.ok and result.records == 7 and result.last_position == 7


def test_editing_one_records_details_in_the_middle_is_caught_and_the_record_named(app, db):
    _record_each(db, 5)
    target = _rows(db)[2]
    _tamper(app, update(AuditEvent).where(AuditEvent.id == target.id).values(details={"n": 99}))

    result = chain.verify(db)
    assert not result.ok
    assert result.problems[0].startswith(f"record {target.id} (position 3, test.event)")
    assert "do not match its hash" in result.problems[0]


def test_rewriting_a_records_hash_as_well_is_caught_by_the_next_records_link(app, db):
    _record_each(db, 5)
    target = _rows(db)[2]
    event = db.get(AuditEvent, target.id)
    forged = chain.compute_hash(
        event.position, event.occurred_at, event.actor_id, event.action, event.object_type, event.object_id,
        {"n": 99}, event.prev_hash,
    )  # fmt: skip
    _tamper(app, update(AuditEvent).where(AuditEvent.id == target.id).values(details={"n": 99}, hash=forged))

    result = chain.verify(db)
    following = _rows(db)[3]
    assert result.problem_count == 1
    assert result.problems[0].startswith(f"record {following.id} (position 4, test.event)")
    assert "link" in result.problems[0]


def test_deleting_one_record_from_the_middle_is_caught_and_the_record_after_it_named(app, db):
    _record_each(db, 5)
    rows = _rows(db)
    _tamper(app, delete(AuditEvent).where(AuditEvent.id == rows[2].id))

    result = chain.verify(db)
    assert not result.ok
    assert result.problems[0].startswith(f"record {rows[3].id} (position 4, test.event)")
    assert "position 3 is missing" in result.problems[0]


def test_deleting_the_newest_record_after_a_head_was_published_is_caught(app, db):
    _record_each(db, 5)
    assert chain.publish_head(db, DAY).position == 5
    db.commit()
    last = _rows(db)[-1]
    _tamper(app, delete(AuditEvent).where(AuditEvent.id == last.id))

    result = chain.verify(db)
    assert not result.ok
    assert result.problems == [
        "the portal's published head for 2026-11-30 says the chain held 5 records, but it ends at position 4: "
        "the newest records were deleted"
    ]


def test_rewriting_the_whole_tail_consistently_is_caught_by_the_published_head(app, db):
    _record_each(db, 4)
    chain.publish_head(db, DAY)
    db.commit()
    rows = _rows(db)
    # Rewrite records 3 and 4 with a fresh, self-consistent chain: every hash and link checks.
    prev = rows[1].hash
    for row in rows[2:]:
        event = db.get(AuditEvent, row.id)
        digest = chain.compute_hash(
            event.position, event.occurred_at, event.actor_id, event.action, event.object_type, event.object_id,
            {"n": "forged"}, prev,
        )  # fmt: skip
        forged = {"details": {"n": "forged"}, "prev_hash": prev, "hash": digest}
        _tamper(app, update(AuditEvent).where(AuditEvent.id == row.id).values(**forged))
        prev = digest

    result = chain.verify(db)
    assert result.problem_count == 1
    assert result.problems[0].startswith("the portal's published head for 2026-11-30 does not match record")
    assert "position 4" in result.problems[0] and "rewritten" in result.problems[0]


def test_a_copy_of_the_heads_kept_elsewhere_catches_a_deleted_published_head_and_its_records(app, db):
    _record_each(db, 3)
    chain.publish_head(db, DAY)
    db.commit()
    copy = chain.heads_from_data({"heads": [chain.head_as_data(h) for h in chain.published_heads(db)]}, "heads.json")
    assert chain.verify(db, copy).ok
    # Both the newest record and the head that would give it away are deleted.
    _tamper(app, delete(AuditHead))
    _tamper(app, delete(AuditEvent).where(AuditEvent.position == 3))
    assert chain.verify(db).ok  # the portal alone cannot tell...

    result = chain.verify(db, copy)  # ...the copy can
    assert not result.ok
    assert "the head in heads.json for 2026-11-30 is missing from the portal's published heads" in result.problems
    assert any("says the chain held 3 records, but it ends at position 2" in p for p in result.problems)


def test_heads_from_data_refuses_what_is_not_a_list_of_heads():
    with pytest.raises(ValueError):
        chain.heads_from_data({"heads": [{"day": "yesterday", "records": 1, "hash": "ab"}]}, "f")
    with pytest.raises(ValueError):
        chain.heads_from_data("nothing", "f")
    assert chain.heads_from_data([{"day": "2026-11-30", "position": 2, "hash": "AB"}], "f")[0].hash == "ab"


def test_a_record_written_outside_the_portal_is_named(app, db):
    _record_each(db, 2)
    _tamper(app, insert(AuditEvent).values(occurred_at=clock_now(), action="test.smuggled", object_type="", details={}))
    result = chain.verify(db)
    smuggled = db.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.smuggled"))
    assert result.problems == [
        f"record {smuggled} (test.smuggled) has no place in the chain: it was written outside the portal"
    ]


def test_publish_head_is_once_a_day_and_nothing_while_the_chain_is_empty(db):
    assert chain.publish_head(db, DAY) is None
    _record_each(db, 2)
    first = chain.publish_head(db, DAY)
    db.commit()
    _record_each(db, 3)
    again = chain.publish_head(db, DAY)
    assert again.id == first.id and again.position == 2 and again.hash == first.hash  # unchanged
    assert db.scalar(select(func.count(AuditHead.id))) == 1
    tomorrow = chain.publish_head(db, date(2026, 12, 1))
    db.commit()
    assert tomorrow.position == 5
    assert chain.verify(db).heads_checked == 2


def test_concurrent_writers_keep_the_chain_whole(app, db):
    """Four threads, each with its own session, commit 25 events each at the same time."""
    threads_count, commits = 4, 25
    sessionmaker = app.extensions["db_sessionmaker"]
    start = threading.Barrier(threads_count)
    errors = []

    def write(number: int) -> None:
        session = sessionmaker()
        try:
            start.wait()
            for n in range(commits):
                record(session, None, "test.concurrent", None, thread=number, n=n)
                session.commit()
        except Exception as error:  # reported below: a thread's exception would be lost
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    result = chain.verify(db)
    assert result.ok, result.problems
    assert result.records == threads_count * commits
    assert [r.position for r in _rows(db)] == list(range(1, threads_count * commits + 1))


def test_on_postgresql_the_head_is_read_afresh_once_the_chain_lock_is_granted(app, db):
    """Migration 0016's function takes the chain's lock and then reads the head: a second
    transaction that waited for the lock reads the head the first one committed, not the
    head as it stood when its call began (as one plain statement would)."""
    from sqlalchemy import text

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time instead of the advisory lock")
    locked_head = text("SELECT head_position, head_hash FROM audit_chain_head_locked(:key)")
    sessionmaker = app.extensions["db_sessionmaker"]
    first, second = sessionmaker(), sessionmaker()
    seen = []
    try:
        assert first.execute(locked_head, {"key": chain.CHAIN_LOCK_KEY}).one() == (None, None)  # empty, locked
        waiter = threading.Thread(
            target=lambda: seen.append(tuple(second.execute(locked_head, {"key": chain.CHAIN_LOCK_KEY}).one()))
        )
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive() and seen == []  # waiting for the lock
        event = record(first, None, "test.first", None)
        first.commit()  # sealed (position 1) and the lock let go
        waiter.join(30)
        assert seen == [(1, event.hash)]
    finally:
        second.rollback()
        first.close()
        second.close()


def test_the_unit_of_work_seals_before_its_last_moment_checks(app, db):
    """The chain's lock is waited for before the deadline is judged, never after it."""
    from portal.db import before_commit, transaction

    seen = []
    with app.app_context(), transaction() as session:
        event = record(session, None, "test.judged", None)
        before_commit(session, lambda: seen.append(event.position))
    assert seen == [1]
