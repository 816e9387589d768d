"""Nothing two people do at once is lost (issue 9): two real requests, on two
connections, in two threads, at the same moment, on whichever database runs
the tests.

Each request is held at its first write (or locking read) until the other has
reached its own: so both have read everything they read before either writes,
which is the moment a race is lost. From there the database decides. On
PostgreSQL the second writer waits for the first's row lock; SQLite has one
writer at a time, so there the second waits for the first to commit (its
reads, made before, still race).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import timedelta
from html import unescape

from sqlalchemy import event, func, select

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.bids.models import Bid, BidAnswer, BidOpening
from portal.tenders.models import Tender, TenderStatus
from tests.bids.conftest import DEADLINE, answer, hidden, questions_of
from tests.support import csrf_token_from, sign_in_through_session

WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN IMMEDIATE")


@contextmanager
def held_at_first_write(engine, parties: int = 2, timeout: float = 5.0):
    """Hold each worker thread at its first write or locking read until all
    ``parties`` are there (or ``timeout`` passes: one may be waiting for a lock)."""
    barrier = threading.Barrier(parties)
    seen = threading.local()

    def hold(_connection, _cursor, statement, *_args):
        if threading.current_thread() is threading.main_thread() or getattr(seen, "held", False):
            return
        sql = statement.lstrip().upper()
        if sql.startswith(WRITES) or "FOR UPDATE" in sql:
            seen.held = True
            with suppress(threading.BrokenBarrierError):
                barrier.wait(timeout)

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)


def at_once(app, *calls: Callable):
    """Run the calls in threads at the same moment; their results, in order."""
    results: list = [None] * len(calls)
    errors: list = []
    start = threading.Barrier(len(calls))

    def run(i):
        try:
            start.wait()
            results[i] = calls[i]()
        except Exception as error:  # re-raised in the test's thread
            errors.append(error)

    with held_at_first_write(app.extensions["db_engine"], len(calls)):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def signed_in(app, user):
    client = app.test_client()
    sign_in_through_session(client, user)
    return client


def test_two_colleagues_saving_one_answer_at_once_one_wins_the_other_sees_both(
    app, db, tender, provider, colleague, start_bid
):
    """Answers: the version check is the database's (a conditional update), so
    one save wins and the other gets the 409 page with both texts, never two
    "saved" with one text silently lost."""
    clients = [signed_in(app, provider), signed_in(app, colleague)]
    bid = start_bid(clients[0], tender)
    _selection, question, _second = questions_of(tender)
    assert answer(clients[0], bid.id, question.id, "First draft.").status_code == 302
    url = f"/bids/{bid.id}/questions/{question.id}"
    pages = [c.get(url).get_data(as_text=True) for c in clients]
    assert [hidden(page, "base_version") for page in pages] == ["1", "1"]
    texts = ["The provider's text.", "The colleague's text."]

    def save(i):
        return lambda: clients[i].post(
            url,
            data={
                "csrf_token": csrf_token_from(pages[i]),
                "base_version": "1",
                "action": "save",
                "draft_token": hidden(pages[i], "draft_token"),
                "answer": texts[i],
            },
        )

    results = at_once(app, save(0), save(1))
    statuses = [r.status_code for r in results]
    assert sorted(statuses) == [302, 409], [r.get_data(as_text=True)[:300] for r in results]
    winner, loser = statuses.index(302), statuses.index(409)
    shown = unescape(results[loser].get_data(as_text=True))
    assert texts[winner] in shown and texts[loser] in shown and "Keep my text" in shown
    db.expire_all()
    saved = db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id, BidAnswer.question_id == question.id))
    assert saved.text == texts[winner] and saved.version == 2


def test_two_changes_at_once_each_raise_the_revision(app, db, tender, provider, colleague, start_bid):
    """Bid revision: raised by the database (revision + 1), so neither change is
    lost from it and a receipt cannot look current after a later change."""
    clients = [signed_in(app, provider), signed_in(app, colleague)]
    bid = start_bid(clients[0], tender)
    before = bid.revision
    _selection, first, second = questions_of(tender)
    pages = {
        q.id: clients[i].get(f"/bids/{bid.id}/questions/{q.id}").get_data(as_text=True)
        for i, q in enumerate((first, second))
    }

    def save(i, question, text):
        page = pages[question.id]
        return lambda: clients[i].post(
            f"/bids/{bid.id}/questions/{question.id}",
            data={
                "csrf_token": csrf_token_from(page),
                "base_version": "0",
                "action": "save",
                "draft_token": hidden(page, "draft_token"),
                "answer": text,
            },
        )

    results = at_once(app, save(0, first, "Outreach in schools."), save(1, second, "Every worker is checked."))
    assert [r.status_code for r in results] == [302, 302], [r.get_data(as_text=True)[:300] for r in results]
    db.expire_all()
    assert db.get(Bid, bid.id).revision == before + 2
    assert db.scalar(select(func.count(BidAnswer.id)).where(BidAnswer.bid_id == bid.id)) == 2


def test_two_officers_opening_a_tender_nobody_has_closed_close_it_once_and_open_it(
    app, db, tender, make_user, clock_at
):
    """Closing, and opening: two officers confirming at once, past the deadline
    of a tender not yet closed, each try to close it; it closes once (one audit
    row), and the second confirmation, whichever it is, opens the bids."""
    clock_at(DEADLINE + timedelta(minutes=1))
    clients = [signed_in(app, make_user(role=Role.OFFICER)) for _ in range(2)]
    tokens = [csrf_token_from(c.get(f"/tenders/{tender.id}/bids").get_data(as_text=True)) for c in clients]
    db.expire_all()
    assert db.get(Tender, tender.id).status is TenderStatus.PUBLISHED  # the page closed nothing

    def confirm(i):
        return lambda: clients[i].post(f"/tenders/{tender.id}/bids/open", data={"csrf_token": tokens[i]})

    results = at_once(app, confirm(0), confirm(1))
    assert [r.status_code for r in results] == [302, 302], [r.get_data(as_text=True)[:300] for r in results]
    db.expire_all()
    assert db.get(Tender, tender.id).status is TenderStatus.EVALUATION
    assert db.scalar(select(func.count(BidOpening.id)).where(BidOpening.tender_id == tender.id)) == 2

    def events(action):
        return db.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.object_type == "tender", AuditEvent.object_id == tender.id, AuditEvent.action == action
            )
        )

    assert events("tender.closed") == 1 and events("tender.bids_opened") == 1


def test_a_confirmation_made_while_another_is_uncommitted_waits_for_it_then_opens(
    app, db, open_tender, make_user, clock_at
):
    """Opening, with the two confirmations interleaved by hand, on both
    databases: the second officer's confirmation, made while the first's is
    counted but not yet committed, waits for it (the tender's row lock on
    PostgreSQL; SQLite's one writer) and then counts both and opens the bids.
    Without the lock, on PostgreSQL, it would count only its own and leave the
    bids sealed with two confirmations."""
    from portal.accounts.models import User
    from portal.bids import opening

    tender = open_tender(status=TenderStatus.CLOSED)  # closed by the job: neither confirmation writes the tender
    now = clock_at(DEADLINE + timedelta(minutes=1))
    officers = [make_user(role=Role.OFFICER).id for _ in range(2)]
    first, second = (app.extensions["db_sessionmaker"]() for _ in range(2))
    try:
        assert opening.confirm_opening(first, first.get(User, officers[0]), first.get(Tender, tender.id), now) is False
        outcome = {}

        def confirm_second():
            with app.app_context():
                outcome["opened"] = opening.confirm_opening(
                    second, second.get(User, officers[1]), second.get(Tender, tender.id), now
                )

        waiting = threading.Thread(target=confirm_second)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "the second confirmation must wait for the first"
        first.commit()
        waiting.join(20)
        assert not waiting.is_alive()
        second.commit()
    finally:
        for session in (first, second):
            session.rollback()
            session.close()
    assert outcome == {"opened": True}
    db.expire_all()
    assert db.get(Tender, tender.id).status is TenderStatus.EVALUATION
