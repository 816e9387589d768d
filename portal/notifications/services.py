"""Email: queued with the change that causes it, sent later by the worker.

A request only adds rows to ``outgoing_email`` in its own transaction, so an
email exists if and only if its change committed, and no request ever waits
for a mail server.
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from portal.notifications.models import OutgoingEmail


def queue_email(session: Session, to_address: str, template: str, **context) -> OutgoingEmail:
    """Queue an email rendered from ``templates/email/<template>.txt``.

    The template's first line is ``Subject: ...``; the rest is the body. The
    worker sends it once the transaction commits, and never twice.

    Raises:
        ValueError: the template does not start with its subject line.
    """
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject: "):
        raise ValueError(f"email template {template} must start with 'Subject: '")
    email = OutgoingEmail(
        to_address=to_address,
        subject=first_line.removeprefix("Subject: ").strip(),
        body_text=body.strip() + "\n",
    )
    session.add(email)
    return email
