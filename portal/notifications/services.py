"""Email: queued with the change that causes it, delivered once that change commits."""

from __future__ import annotations

import logging

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import after_commit, utcnow
from portal.notifications.mail import build_message, transmit
from portal.notifications.models import OutgoingEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def queue_email(session: Session, to_address: str, template: str, **context) -> OutgoingEmail:
    """Queue an email rendered from ``templates/email/<template>.txt``.

    The template's first line is ``Subject: ...``; the rest is the body. The
    email is sent only if the transaction commits, and is never sent twice.
    """
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject: "):
        raise ValueError(f"email template {template} must start with 'Subject: '")
    email = OutgoingEmail(
        to_address=to_address, subject=first_line.removeprefix("Subject: ").strip(),
        body_text=body.strip() + "\n",
    )
    session.add(email)
    session.flush()
    app = current_app._get_current_object()
    after_commit(session, lambda: deliver(app, [email.id]))
    return email


def deliver(app, email_ids: list[int] | None = None) -> tuple[int, int]:
    """Send queued emails (these ids, or every unsent one); returns (sent, failed).

    Each email is claimed by stamping ``sent_at`` in its own transaction before
    it is handed to the transport, so two deliverers never both send it. One that
    the transport refused is un-stamped and kept for a retry.
    """
    maker = app.extensions["db_sessionmaker"]
    sent = failed = 0
    with maker() as session:
        query = select(OutgoingEmail.id).where(
            OutgoingEmail.sent_at.is_(None), OutgoingEmail.attempts < MAX_ATTEMPTS
        )
        if email_ids is not None:
            query = query.where(OutgoingEmail.id.in_(email_ids))
        ids = list(session.scalars(query.order_by(OutgoingEmail.id)))
    for email_id in ids:
        with maker() as session:
            claimed = session.execute(
                OutgoingEmail.__table__.update()
                .where(OutgoingEmail.id == email_id, OutgoingEmail.sent_at.is_(None))
                .values(sent_at=utcnow(), attempts=OutgoingEmail.attempts + 1)
            ).rowcount
            session.commit()
            if not claimed:
                continue
            email = session.get(OutgoingEmail, email_id)
            try:
                transmit(app.config, build_message(app.config, email.to_address, email.subject, email.body_text))
                sent += 1
            except Exception as error:  # any transport failure: keep it for a retry
                log.warning("email %s not sent: %s", email_id, error)
                email.sent_at = None
                email.last_error = str(error)[:500]
                session.commit()
                failed += 1
    return sent, failed
