"""Email: queued with the change that causes it, sent later by the worker.

A request only adds rows to ``outgoing_email`` in its own transaction, so an
email exists if and only if its change committed, and no request ever waits
for a mail server.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy import insert
from sqlalchemy.orm import Session

from portal.notifications.models import OutgoingEmail


def queue_email(session: Session, to_address: str, template: str, **context) -> OutgoingEmail:
    """Queue an email rendered from ``templates/email/<template>.txt``.

    The template's first line is ``Subject: ...``; the rest is the body. The
    worker sends it once the transaction commits, and never twice.

    Raises:
        ValueError: the template does not start with its subject line.
    """
    subject, body = _rendered(template, context)
    email = OutgoingEmail(to_address=to_address, subject=subject, body_text=body)
    session.add(email)
    return email


def _rendered(template: str, context: dict) -> tuple[str, str]:
    """(subject, body) of ``templates/email/<template>.txt`` rendered with ``context``."""
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject: "):
        raise ValueError(f"email template {template} must start with 'Subject: '")
    return first_line.removeprefix("Subject: ").strip(), body.strip() + "\n"


# Built once: a submission's receipts are queued with it.
_QUEUE = insert(OutgoingEmail.__table__)


def queue_emails(session: Session, to_addresses: list[str], template: str, **context) -> None:
    """Queue the same email, rendered once, to each of ``to_addresses`` (one statement),
    as :func:`queue_email` does for one.

    Raises:
        ValueError: the template does not start with its subject line.
    """
    if not to_addresses:
        return
    subject, body = _rendered(template, context)
    session.execute(
        _QUEUE,
        [{"to_address": address, "subject": subject, "body_text": body} for address in to_addresses],
    )
