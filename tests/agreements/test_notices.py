"""Ending notices: each sent once, on time, to the right people; read receipts."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.agreements import jobs
from portal.agreements.models import (
    Agreement,
    AgreementDeliveryMode,
    DeliveryMode,
    EndingNotice,
    NoticeKind,
    ServiceCategory,
)
from portal.agreements.services import extend
from portal.providers.models import District, Organisation
from tests.support import post_form

END = date(2027, 3, 31)


def send_due_notices(app):
    """What the worker runs every minute."""
    with app.app_context():
        return jobs.send_due_notices(clock.today())


@pytest.fixture
def make_agreement(db, defaults):
    def make(organisation, end=END, reference=None):
        count = db.scalar(select(func.count(Agreement.id)))
        agreement = Agreement(
            reference=reference or f"AG-{count + 1}",
            organisation_id=organisation.id,
            service_name="Short breaks",
            category=db.scalar(select(ServiceCategory).limit(1)),
            annual_value_pence=100_000,
            start_date=date(2024, 4, 1),
            original_end_date=end,
            end_date=end,
            districts=[db.scalar(select(District).limit(1))],
            delivery_mode_rows=[AgreementDeliveryMode(mode=DeliveryMode.OUTREACH)],
        )
        db.add(agreement)
        db.commit()
        return agreement

    return make


def notices(db, kind=NoticeKind.SCHEDULED):
    return db.scalars(select(EndingNotice).where(EndingNotice.kind == kind).order_by(EndingNotice.id)).all()


def test_schedule_boundaries(app, db, at, make_agreement, make_user, mailbox):
    user = make_user()
    agreement = make_agreement(db.get(Organisation, user.organisation_id))

    at(date(2026, 9, 29))  # the day before the 6-month point (30 September)
    assert send_due_notices(app).sent == 0
    at(date(2026, 9, 30))
    assert send_due_notices(app).sent == 1
    assert send_due_notices(app).sent == 0  # never twice
    first = notices(db)[0]
    assert first.schedule_key == "end:2027-03-31:6m" and first.emailed_to == 1
    email = mailbox.last_to(user.email)
    assert "ends on 31 March 2027" in email["Subject"] and agreement.reference in mailbox.body(email)

    at(date(2026, 12, 30))  # the day before the 3-month point
    assert send_due_notices(app).sent == 0
    at(date(2026, 12, 31))
    assert send_due_notices(app).sent == 1
    at(date(2027, 2, 28))  # 1 month before 31 March is 28 February
    assert send_due_notices(app).sent == 1
    at(date(2027, 3, 31))  # the last day: nothing new
    assert send_due_notices(app).sent == 0
    at(date(2027, 4, 1))
    assert send_due_notices(app).sent == 0
    assert [n.schedule_key for n in notices(db)] == ["end:2027-03-31:6m", "end:2027-03-31:3m", "end:2027-03-31:1m"]


def test_a_late_agreement_gets_only_the_nearest_notice(app, db, at, make_agreement, make_organisation):
    make_agreement(make_organisation(), end=date(2027, 1, 15))
    at(date(2026, 11, 20))  # 6- and 3-month points both passed; the 1-month one not yet
    assert send_due_notices(app).sent == 1
    assert [n.schedule_key for n in notices(db)] == ["end:2027-01-15:3m"]


def test_unregistered_incumbent_is_emailed_at_its_contact_address_with_a_registration_link(
    app, db, at, make_agreement, mailbox
):
    incumbent = Organisation(name="Not Yet Registered", contact_email="boss@nyr.example.org")
    db.add(incumbent)
    db.commit()
    make_agreement(incumbent)
    at(date(2026, 10, 1))
    send_due_notices(app)
    assert "/register?claim=" in mailbox.body(mailbox.last_to("boss@nyr.example.org"))


def test_two_runs_at_once_send_each_notice_exactly_once(app, db, at, make_agreement, make_user, mailbox):
    users = [make_user() for _ in range(5)]
    for user in users:
        make_agreement(db.get(Organisation, user.organisation_id))
    at(date(2026, 10, 1))
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        with app.app_context():
            results.append(send_due_notices(app))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.sent for r in results) == 5
    assert db.scalar(select(func.count(EndingNotice.id))) == 5
    for user in users:
        assert len(mailbox.to(user.email)) == 1


def test_cli_command(app, at, make_agreement, make_organisation):
    make_agreement(make_organisation())
    at(date(2026, 10, 1))
    result = app.test_cli_runner().invoke(args=["notices", "send-due"])
    assert result.exit_code == 0 and "1 notices sent" in result.output


def test_an_extension_sends_a_notice_and_restarts_the_schedule(
    app, db, at, make_agreement, make_user, officer, mailbox
):
    user = make_user()
    agreement = make_agreement(db.get(Organisation, user.organisation_id))
    at(date(2027, 3, 1))
    send_due_notices(app)
    with app.test_request_context():
        extend(
            db,
            officer,
            db.get(Agreement, agreement.id),
            date(2027, 9, 30),
            "Framework delayed",
            "Director",
            date(2027, 3, 1),
        )
        db.commit()
    extension_notice = notices(db, NoticeKind.EXTENSION)[0]
    assert "extended to 30 September 2027" in extension_notice.subject
    at(date(2027, 3, 30))  # 6 months before the new end: due again, under the new end date
    assert send_due_notices(app).sent == 1
    assert notices(db)[-1].schedule_key == "end:2027-09-30:6m"


def test_officer_extends_through_the_form(client, db, at, make_agreement, make_organisation, officer, login_as):
    agreement = make_agreement(make_organisation())
    at(date(2026, 11, 23))
    login_as(officer)
    url = f"/agreements/{agreement.id}/extend"
    missing_part = post_form(client, url, {"new_end_date": ["30", "", "2027"], "reason": "r", "agreed_by": "a"})
    assert missing_part.status_code == 400 and "must include a month" in missing_part.get_data(as_text=True)
    assert 'href="#new_end_date-day"' in missing_part.get_data(as_text=True)
    nothing = post_form(client, url, {"reason": "r", "agreed_by": "a"})
    assert nothing.status_code == 400 and "Enter the new end date" in nothing.get_data(as_text=True)
    earlier = post_form(client, url, {"new_end_date": ["1", "1", "2027"], "reason": "r", "agreed_by": "a"})
    assert earlier.status_code == 400 and "must be after the current end date" in earlier.get_data(as_text=True)
    fake = post_form(client, url, {"new_end_date": ["31", "2", "2028"], "reason": "r", "agreed_by": "a"})
    assert fake.status_code == 400 and "must be a real date" in fake.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(EndingNotice)) == 0
    done = post_form(client, url, {"new_end_date": ["30", "9", "2027"], "reason": "Delay", "agreed_by": "Director"})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(Agreement, agreement.id).end_date == date(2027, 9, 30)


def test_schedule_can_be_changed(client, db, defaults, officer, login_as):
    login_as(officer)
    bad = post_form(client, "/agreements/notices", {"months": "6, 30"})
    assert bad.status_code == 400 and "between 1 and 24 months" in bad.get_data(as_text=True)
    words = post_form(client, "/agreements/notices", {"months": "six"})
    assert words.status_code == 400 and "whole numbers" in words.get_data(as_text=True)
    assert post_form(client, "/agreements/notices", {"months": "9, 2"}).status_code == 302
    from portal.agreements.services import schedule

    assert schedule(db) == ([9, 2], False)


def test_manual_notice_to_the_providers_of_filtered_agreements(
    client, db, at, make_agreement, make_user, officer, login_as, mailbox
):
    a, b = make_user(), make_user()
    org_a = db.get(Organisation, a.organisation_id)
    make_agreement(org_a, reference="MAN-1")
    make_agreement(org_a, reference="MAN-2")
    make_agreement(db.get(Organisation, b.organisation_id), reference="OTHER-1")
    at(date(2026, 11, 23))
    login_as(officer)
    empty = post_form(client, "/agreements/notices/new?q=MAN", {"subject": "", "body": ""})
    assert empty.status_code == 400
    sent = post_form(client, "/agreements/notices/new?q=MAN", {"subject": "Market event", "body": "Come along"})
    assert sent.status_code == 302
    assert len(notices(db, NoticeKind.MANUAL)) == 2  # one per agreement
    assert len(mailbox.to(a.email)) == 1 and mailbox.to(b.email) == []  # one email per organisation


def test_provider_reads_a_notice_and_the_officer_sees_it_read(
    app, client, db, at, make_agreement, make_user, officer, login_as
):
    user = make_user()
    agreement = make_agreement(db.get(Organisation, user.organisation_id))
    at(date(2026, 10, 1))
    send_due_notices(app)
    notice = notices(db)[0]
    login_as(user)
    home = client.get("/dashboard").get_data(as_text=True)
    assert "Unread" in home and agreement.reference in home
    page = client.get(f"/notices/{notice.id}")
    assert page.status_code == 200 and "ends on 31 March 2027" in page.get_data(as_text=True)
    assert "Unread" not in client.get("/dashboard").get_data(as_text=True)
    db.expire_all()
    assert db.get(EndingNotice, notice.id).read_by_id == user.id

    colleague_client = app.test_client()
    other = make_user()
    post_form(colleague_client, "/sign-in", {"email": other.email, "password": "correct-horse-battery-staple"})
    assert colleague_client.get(f"/notices/{notice.id}").status_code == 404  # another organisation's notice
    assert agreement.reference not in colleague_client.get("/dashboard").get_data(as_text=True)

    officer_client = app.test_client()
    post_form(officer_client, "/sign-in", {"email": officer.email, "password": "correct-horse-battery-staple"})
    assert "Not yet" not in officer_client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert officer_client.get(f"/notices/{notice.id}").status_code == 403


def test_send_due_now_writes_every_notice_in_one_commit(
    app, client, db, at, make_agreement, make_user, officer, login_as, mailbox
):
    from sqlalchemy import event

    from tests.support import csrf_token_from

    users = [make_user() for _ in range(3)]
    for user in users:
        make_agreement(db.get(Organisation, user.organisation_id))
    at(date(2026, 10, 1))
    login_as(officer)
    token = csrf_token_from(client.get("/agreements/notices").get_data(as_text=True))
    commits = []

    def count(connection):
        commits.append(connection)

    engine = app.extensions["db_engine"]
    event.listen(engine, "commit", count)
    try:
        response = client.post("/agreements/notices/send-due", data={"csrf_token": token})
    finally:
        event.remove(engine, "commit", count)
    assert response.status_code == 302 and len(commits) == 1
    assert "3 notices sent." in client.get("/agreements/notices").get_data(as_text=True)
    assert len(notices(db)) == 3
    for user in users:
        assert len(mailbox.to(user.email)) == 1


def test_send_due_now_skips_a_notice_a_worker_sent_first(
    app, client, db, at, make_agreement, make_user, officer, login_as, mailbox, monkeypatch
):
    from portal.agreements import services
    from portal.db import get_session, transaction

    first, second = make_user(), make_user()
    for user in (first, second):
        make_agreement(db.get(Organisation, user.organisation_id))
    at(date(2026, 10, 1))
    with app.app_context():
        due = services.due_notices(get_session(), clock.today())
    assert len(due) == 2
    with app.app_context(), transaction() as session:  # the worker, between the officer's page and their click
        services.issue_scheduled_notice(session, due[0])
    monkeypatch.setattr(services, "due_notices", lambda session, today: due)  # as the officer's request saw them

    login_as(officer)
    response = post_form(client, "/agreements/notices/send-due", {}, form_url="/agreements/notices")
    assert response.status_code == 302
    assert "1 notice sent." in client.get("/agreements/notices").get_data(as_text=True)
    assert len(notices(db)) == 2
    assert len(mailbox.to(first.email)) == 1 and len(mailbox.to(second.email)) == 1


def test_a_notice_is_marked_read_once(client, db, at, make_agreement, make_user, login_as, app):
    from portal.audit.models import AuditEvent

    user = make_user()
    make_agreement(db.get(Organisation, user.organisation_id))
    at(date(2026, 10, 1))
    send_due_notices(app)
    notice = notices(db)[0]
    login_as(user)
    assert client.get(f"/notices/{notice.id}").status_code == 200
    assert client.get(f"/notices/{notice.id}").status_code == 200  # the second view writes nothing (no WriteOnGet)
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "notice.read")) == 1


def test_the_reports_period_must_end_after_it_starts(client, defaults, officer, login_as):
    login_as(officer)
    response = client.get("/agreements/reports?start=2&start=4&start=2027&end=1&end=4&end=2027")
    assert response.status_code == 400 and "The end of the period must be after its start" in response.get_data(
        as_text=True
    )
    assert client.get("/agreements/reports?start=1&start=4&start=2027&end=2&end=4&end=2027").status_code == 200
