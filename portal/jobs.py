"""The worker: sends queued email and runs the scheduled jobs.

``flask jobs run`` starts it beside the web server (``make run`` does, through
honcho and the ``Procfile``); ``flask jobs run --once`` does one pass, for cron.

A hand-written loop over the database, rather than a job library: the only
queue is the ``outgoing_email`` table that requests already write to in their
own transaction, the schedule is a few idempotent jobs, and it runs the same on
SQLite and PostgreSQL with nothing else to install or operate. (procrastinate
is PostgreSQL-only; RQ and Celery would add Redis as a second place a queued
email could be lost between the commit and the queue.)

Every job item runs in its own transaction (``db.transaction``), so a failure
part-way keeps what was done, and two workers at once never do an item twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.db import close_session, transaction
from portal.notifications.delivery import deliver_due

log = logging.getLogger(__name__)

MAIL_POLL_SECONDS = 2.0
SCHEDULE_SECONDS = 60.0


def close_due_tenders() -> int:
    """Close every tender whose submission deadline has passed."""
    from portal.tenders.services import close_due

    with transaction() as session:
        return close_due(session, clock.now())


def send_due_notices() -> int:
    """Send the agreement ending notices due today."""
    from portal.agreements.jobs import send_due_notices as send

    return send(clock.today()).sent


def send_evidence_reminders() -> int:
    """Remind organisations of quality-assurance evidence about to expire."""
    from portal.providers.evidence import send_reminders

    with transaction() as session:
        return send_reminders(session, clock.today())


def publish_audit_head() -> int:
    """Publish today's head of the audit chain, once a day (1 if published now, else 0)."""
    from portal.audit.chain import publish_head
    from portal.audit.models import AuditHead

    today = clock.today()
    with transaction() as session:
        if session.scalar(select(AuditHead.id).where(AuditHead.day == today)) is not None:
            return 0
        return int(publish_head(session, today) is not None)


SCHEDULED: dict[str, Callable[[], int]] = {
    "tenders closed": close_due_tenders,
    "ending notices sent": send_due_notices,
    "evidence reminders queued": send_evidence_reminders,
    "audit heads published": publish_audit_head,
}


@dataclass
class Pass:
    """What one pass of the worker did."""

    sent: int = 0
    failed: int = 0
    scheduled: dict[str, int] = field(default_factory=dict)


def run_scheduled() -> dict[str, int]:
    """Run each scheduled job once; one that fails is logged and does not stop the others."""
    done = {}
    for name, job in SCHEDULED.items():
        try:
            done[name] = job()
        except Exception:
            log.exception("scheduled job %r failed", name)
        finally:
            close_session()
    return done


def send_mail(app: Flask) -> tuple[int, int]:
    """Send every queued email that is due; returns (sent, failed)."""
    try:
        result = deliver_due(app, clock.now())
    finally:
        close_session()
    return result.sent, result.failed


def run_once(app: Flask) -> Pass:
    """One pass: the scheduled jobs (which may queue email), then the mail."""
    scheduled = run_scheduled()
    sent, failed = send_mail(app)
    return Pass(sent=sent, failed=failed, scheduled=scheduled)


def run_forever(app: Flask, stop: Callable[[], bool] = lambda: False) -> None:
    """Send mail every couple of seconds and run the schedule every minute, until ``stop()``."""
    next_schedule = 0.0
    while not stop():
        if time.monotonic() >= next_schedule:
            log.info("scheduled jobs: %s", run_scheduled())
            next_schedule = time.monotonic() + SCHEDULE_SECONDS
        sent, failed = send_mail(app)
        if sent or failed:
            log.info("mail: %s sent, %s failed", sent, failed)
        time.sleep(MAIL_POLL_SECONDS)
