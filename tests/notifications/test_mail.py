"""Email is queued with the change and delivered over SMTP once it commits."""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import select

from portal.db import commit, get_session
from portal.notifications.models import OutgoingEmail
from portal.notifications.services import deliver, queue_email


def test_email_goes_over_smtp_only_after_commit(app, db, mailbox):
    with app.test_request_context():
        queue_email(get_session(), "a@example.org", "password_reset",
                    user=type("U", (), {"full_name": "Ann"})(), reset_url="http://x/reset")
        assert mailbox.to("a@example.org") == []
        commit()
    message = mailbox.last_to("a@example.org")
    assert message["Subject"].startswith("Reset your password")
    assert "http://x/reset" in mailbox.body(message)
    assert db.scalar(select(OutgoingEmail)).sent_at is not None


def test_rolled_back_change_sends_nothing(app, db, mailbox):
    with app.test_request_context():
        queue_email(get_session(), "b@example.org", "password_reset",
                    user=type("U", (), {"full_name": "Bo"})(), reset_url="http://x/reset")
        get_session().rollback()
    assert mailbox.messages == [] and db.scalar(select(OutgoingEmail)) is None


def test_failed_delivery_is_kept_and_retried(app, db, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
    with app.test_request_context():
        queue_email(get_session(), "c@example.org", "password_reset",
                    user=type("U", (), {"full_name": "Cy"})(), reset_url="http://x/reset")
        commit()
    email = db.scalar(select(OutgoingEmail))
    assert email.sent_at is None and email.attempts == 1 and email.last_error
    monkeypatch.undo()

    result = app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert "1 sent, 0 failed" in result.output
    assert mailbox.last_to("c@example.org")
    assert deliver(app) == (0, 0)  # never sent twice


def test_outbox_backend_writes_eml_files(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "outbox")
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_PATH", str(tmp_path))
    with app.test_request_context():
        queue_email(get_session(), "d@example.org", "password_reset",
                    user=type("U", (), {"full_name": "Di"})(), reset_url="http://x/reset")
        commit()
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "d@example.org"
