"""Closing at the deadline: the database decides who closes a tender, so it
closes once; pages never write, and show a tender past its deadline as closed
all the same."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.tenders import services
from portal.tenders.models import Tender, TenderStatus
from tests.tenders.conftest import NOW


def closed_events(db, tender) -> int:
    db.expire_all()
    return db.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.object_type == "tender", AuditEvent.object_id == tender.id, AuditEvent.action == "tender.closed"
        )
    )


@pytest.fixture
def other_session(app):
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.rollback()
    session.close()


def test_two_closers_at_once_close_it_once(db, other_session, make_tender):
    tender = make_tender(published=True)
    deadline = tender.submission_deadline
    # Both read the tender while it is still open, as two callers racing at the deadline do.
    first = db.get(Tender, tender.id)
    second = other_session.get(Tender, tender.id)
    assert first.status is second.status is TenderStatus.PUBLISHED

    assert services.close_if_due(db, first, deadline) is True
    db.commit()
    assert services.close_if_due(other_session, second, deadline + timedelta(seconds=1)) is False
    other_session.commit()

    assert second.status is TenderStatus.CLOSED and second.closed_at == deadline  # the winner's stamp
    assert closed_events(db, tender) == 1


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SQLite has one writer at a time: there a second closer cannot wait on the first's row",
)
def test_a_closer_waiting_on_another_does_not_close_it_again(db, other_session, make_tender):
    tender = make_tender(published=True)
    deadline = tender.submission_deadline
    first, second = db.get(Tender, tender.id), other_session.get(Tender, tender.id)
    assert services.close_if_due(db, first, deadline) is True  # its row lock is held until the commit
    outcome = {}
    waiting = threading.Thread(
        target=lambda: outcome.update(closed=services.close_if_due(other_session, second, deadline))
    )
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive()  # the second UPDATE waits for the first transaction
    db.commit()
    waiting.join(10)
    other_session.commit()
    assert outcome == {"closed": False} and closed_events(db, tender) == 1


def test_the_job_run_twice_closes_each_tender_once(db, make_tender):
    due = make_tender(published=True)
    later = make_tender(published=True, submission_deadline=NOW + timedelta(days=40))
    assert services.close_due(db, due.submission_deadline) == 1
    db.commit()
    assert services.close_due(db, due.submission_deadline + timedelta(minutes=1)) == 0
    db.commit()
    db.expire_all()
    assert db.get(Tender, due.id).status is TenderStatus.CLOSED
    assert db.get(Tender, later.id).status is TenderStatus.PUBLISHED
    assert closed_events(db, due) == 1 and closed_events(db, later) == 0


def test_pages_past_the_deadline_write_nothing(app, client, db, make_tender, make_user, login_as, clock_at):
    from portal.accounts.models import Role

    tender = make_tender(published=True)
    clock_at(tender.submission_deadline + timedelta(hours=1))
    login_as(make_user(role=Role.OFFICER))
    for url in ("/tenders", f"/tenders/{tender.id}", f"/opportunities/{tender.reference}", "/opportunities?show=y"):
        assert client.get(url).status_code == 200, url
    db.expire_all()
    assert db.get(Tender, tender.id).status is TenderStatus.PUBLISHED and closed_events(db, tender) == 0
    officer_list = client.get("/tenders").get_data(as_text=True)
    assert "Closed" in officer_list and "Open for bids" not in officer_list


def test_the_public_never_sees_a_tender_past_its_deadline_as_open(client, db, make_tender, clock_at):
    open_one = make_tender(published=True, submission_deadline=NOW + timedelta(days=40))
    past = make_tender(published=True)
    clock_at(past.submission_deadline)

    listed = client.get("/opportunities").get_data(as_text=True)
    assert open_one.reference in listed and past.reference not in listed and "1 opportunity" in listed
    everything = client.get("/opportunities?show=y").get_data(as_text=True)
    assert past.reference in everything and "Closed" in everything
    page = client.get(f"/opportunities/{past.reference}").get_data(as_text=True)
    assert "Closed" in page and "Open for bids" not in page and "Start a bid" not in page
    db.expire_all()
    assert db.get(Tender, past.id).status is TenderStatus.PUBLISHED  # the worker records it, not the page
