"""A mail server that is down slows no officer: publishing an amendment to a
tender 200 people follow only queues their emails, in the officer's own
transaction, and the request never opens an SMTP connection."""

from __future__ import annotations

import smtplib
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.notifications.models import OutgoingEmail
from portal.tenders.models import Interest, Tender
from tests.support import free_port, post_form
from tests.tenders.conftest import NOW
from tests.tenders.test_officer_views import amendment_data, date_parts

ORGANISATIONS, PEOPLE_EACH = 10, 20


def test_an_amendment_with_200_interested_people_makes_no_smtp_connection(
    app, client, db, monkeypatch, make_tender, make_organisation, make_user, login_as
):
    tender = make_tender(published=True)
    for organisation in [make_organisation() for _ in range(ORGANISATIONS)]:
        db.add(Interest(tender_id=tender.id, organisation_id=organisation.id))
        db.add_all(
            User(
                email=f"follower{organisation.id}-{n}@example.org",
                full_name=f"Follower {n}",
                role=Role.PROVIDER,
                organisation_id=organisation.id,
                email_verified_at=NOW,
            )
            for n in range(PEOPLE_EACH)
        )
    db.commit()
    login_as(make_user(role=Role.OFFICER))

    # The mail server is down: nothing listens on its port, and any attempt to reach it is recorded.
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    connections = []

    def unreachable(*args, **kwargs):
        connections.append((args, kwargs))
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(smtplib, "SMTP", unreachable)
    monkeypatch.setattr(smtplib, "SMTP_SSL", unreachable)
    queued_before = db.scalar(select(func.max(OutgoingEmail.id))) or 0

    later = tender.submission_deadline + timedelta(days=7)
    response = post_form(
        client, f"/tenders/{tender.id}/amend", amendment_data(tender, submission_deadline=date_parts(later))
    )

    assert response.status_code == 302 and response.headers["Location"] == f"/tenders/{tender.id}"
    assert connections == []
    db.expire_all()
    assert db.get(Tender, tender.id).submission_deadline == later
    waiting = db.scalars(select(OutgoingEmail).where(OutgoingEmail.id > queued_before)).all()
    assert len(waiting) == ORGANISATIONS * PEOPLE_EACH == 200
    assert all(email.sent_at is None and email.attempts == 0 for email in waiting)
    assert {email.subject for email in waiting} == {f"Amendment 1 to {tender.title} ({tender.reference})"}
