"""Email is queued with the change; the worker sends it over SMTP after the commit,
a batch over one connection, retrying with back-off and never twice."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import func, select

from portal import clock
from portal.db import get_session, transaction
from portal.jobs import send_mail
from portal.notifications.delivery import retry_delay
from portal.notifications.models import OutgoingEmail
from portal.notifications.services import queue_email


def _queue(app, *addresses):
    with app.app_context(), transaction() as session:
        for address in addresses:
            queue_email(
                session,
                address,
                "password_reset",
                user=type("U", (), {"full_name": "Ann"})(),
                reset_url="http://x/reset",
            )


def _send(app):
    with app.app_context():
        return send_mail(app)


def test_queued_email_waits_for_the_worker_then_goes_over_smtp(app, db, mailbox):
    _queue(app, "a@example.org")
    assert mailbox._messages == []  # committed, but nothing is sent by the request
    assert _send(app) == (1, 0)
    message = mailbox.last_to("a@example.org")
    assert message["Subject"].startswith("Reset your password")
    assert "http://x/reset" in mailbox.body(message)
    assert db.scalar(select(OutgoingEmail)).sent_at is not None


def test_rolled_back_change_sends_nothing(app, db, mailbox):
    with app.app_context():
        queue_email(
            get_session(),
            "b@example.org",
            "password_reset",
            user=type("U", (), {"full_name": "Bo"})(),
            reset_url="http://x/reset",
        )
        get_session().rollback()
    assert mailbox.messages == [] and db.scalar(select(OutgoingEmail)) is None


def test_a_batch_goes_over_one_smtp_connection(app, mailbox, monkeypatch):
    connections = []
    real_smtp = smtplib.SMTP

    def counting_smtp(*args, **kwargs):
        connections.append(args)
        return real_smtp(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", counting_smtp)
    _queue(app, *(f"person{n}@example.org" for n in range(25)))
    assert _send(app) == (25, 0)
    assert len(connections) == 1
    assert len(mailbox._messages) == 25


def test_failed_delivery_waits_with_back_off_then_is_sent_once(app, db, mailbox, monkeypatch):
    start = clock.now()
    port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "FIXED_NOW", start)
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
    _queue(app, "c@example.org")
    assert _send(app) == (0, 1)
    email = db.scalar(select(OutgoingEmail))
    assert email.sent_at is None and email.attempts == 1 and email.last_error
    assert email.next_attempt_at == start + retry_delay(1)

    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    assert _send(app) == (0, 0)  # not due yet: the back-off holds
    monkeypatch.setitem(app.config, "FIXED_NOW", start + retry_delay(1))
    result = app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert "1 sent, 0 failed" in result.output
    assert mailbox.last_to("c@example.org")
    assert _send(app) == (0, 0)  # never sent twice
    assert len(mailbox.to("c@example.org")) == 1


def test_back_off_grows_and_is_capped():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(20) == timedelta(hours=1)


def test_two_workers_never_send_the_same_email(app, db, mailbox):
    _queue(app, "d@example.org")
    first = _send(app)
    second = _send(app)
    assert sorted([first, second]) == [(0, 0), (1, 0)]
    assert len(mailbox.to("d@example.org")) == 1
    assert db.scalar(select(func.count(OutgoingEmail.id)).where(OutgoingEmail.attempts == 1)) == 1


def test_outbox_backend_writes_eml_files(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_PATH", str(tmp_path))
    _queue(app, "e@example.org")
    _send(app)
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "e@example.org"
