"""Email: queued with the change that causes it, sent later by the worker.

A request only adds rows to ``outgoing_email`` in its own transaction, so an
email exists if and only if its change committed, and no request ever waits
for a mail server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import String, Text, bindparam, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Insert

from portal.db import UtcDateTime
from portal.notifications.models import OutgoingEmail


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """An email ready to queue (``render_email``), to one address or many."""

    subject: str
    body_text: str


def render_email(template: str, **context) -> RenderedEmail:
    """``templates/email/<template>.txt`` rendered: its first line ``Subject: ...``, the rest the body.

    Raises:
        ValueError: the template does not start with its subject line.
    """
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject: "):
        raise ValueError(f"email template {template} must start with 'Subject: '")
    return RenderedEmail(first_line.removeprefix("Subject: ").strip(), body.strip() + "\n")


def queue_rendered(session: Session, to_addresses: list[str], email: RenderedEmail) -> None:
    """Queue ``email`` to each of ``to_addresses``, in one statement (rendered beforehand,
    so a service can do that work before its first write)."""
    if to_addresses:
        session.execute(
            _QUEUE, [{"to_address": a, "subject": email.subject, "body_text": email.body_text} for a in to_addresses]
        )


# Built once: ``queue_rendered``'s statement (a submission's receipts on SQLite; on
# PostgreSQL they are part of the submission's own statement, ``queue_rendered_when``).
_QUEUE = insert(OutgoingEmail.__table__)


def queue_rendered_when(condition: ColumnElement[bool]) -> Insert:
    """``queue_rendered`` as a statement for PostgreSQL that queues only when ``condition``
    (SQL) holds: a part (a CTE) of another service's one statement that writes its change
    and the emails about it together (one round trip). Its parameters are
    ``queue_rendered_parameters``."""
    rows = select(
        func.unnest(bindparam("email_to", type_=ARRAY(String))),
        bindparam("email_subject", type_=String),
        bindparam("email_body", type_=Text),
        bindparam("email_created_at", type_=UtcDateTime()),
        literal(0),
    ).where(condition)
    return insert(OutgoingEmail.__table__).from_select(
        ["to_address", "subject", "body_text", "created_at", "attempts"], rows
    )


def queue_rendered_parameters(to_addresses: list[str], email: RenderedEmail, now: datetime) -> dict:
    """The parameters of a ``queue_rendered_when`` statement: ``email`` to each of
    ``to_addresses``, queued at ``now``."""
    return {
        "email_to": list(to_addresses),
        "email_subject": email.subject,
        "email_body": email.body_text,
        "email_created_at": now,
    }


def queue_email(session: Session, to_address: str, template: str, **context) -> OutgoingEmail:
    """Queue an email rendered from ``templates/email/<template>.txt``.

    The template's first line is ``Subject: ...``; the rest is the body. The
    worker sends it once the transaction commits, and never twice.

    Raises:
        ValueError: the template does not start with its subject line.
    """
    rendered = render_email(template, **context)
    email = OutgoingEmail(to_address=to_address, subject=rendered.subject, body_text=rendered.body_text)
    session.add(email)
    return email
