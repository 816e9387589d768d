"""Sending the queued email: the worker's half of the mail queue.

Each batch is claimed first (``sent_at`` stamped by a conditional update that
only one worker can win) and committed, then sent over one connection. A
message the transport refused is released with ``next_attempt_at`` pushed back
(1, 2, 4, 8 ... minutes, at most an hour) and ``last_error`` kept; after
``MAX_ATTEMPTS`` it is left for a person to look at. A message is never sent
twice: a worker that dies between claiming and sending loses that message
rather than risk a duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update

from portal.db import transaction
from portal.notifications.mail import build_message, open_transport
from portal.notifications.models import OutgoingEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH_SIZE = 100


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0

    def __add__(self, other: DeliveryResult) -> DeliveryResult:
        return DeliveryResult(self.sent + other.sent, self.failed + other.failed)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before trying a message again after ``attempts`` tries."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _claim_batch(now: datetime, limit: int) -> list[OutgoingEmail]:
    """Stamp and commit up to ``limit`` due messages as this worker's."""
    with transaction() as session:
        due = list(
            session.scalars(
                select(OutgoingEmail.id)
                .where(
                    OutgoingEmail.sent_at.is_(None),
                    OutgoingEmail.attempts < MAX_ATTEMPTS,
                    or_(OutgoingEmail.next_attempt_at.is_(None), OutgoingEmail.next_attempt_at <= now),
                )
                .order_by(OutgoingEmail.id)
                .limit(limit)
            )
        )
        claimed = []
        for email_id in due:
            won = session.execute(
                update(OutgoingEmail)
                .where(OutgoingEmail.id == email_id, OutgoingEmail.sent_at.is_(None))
                .values(sent_at=now, attempts=OutgoingEmail.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won:
                claimed.append(email_id)
        emails = (
            list(session.scalars(select(OutgoingEmail).where(OutgoingEmail.id.in_(claimed)).order_by(OutgoingEmail.id)))
            if claimed
            else []
        )
    return emails


def _release(failures: dict[int, str], now: datetime) -> None:
    """Give refused messages back to the queue, to be tried again later."""
    with transaction() as session:
        for email_id, error in failures.items():
            email = session.get(OutgoingEmail, email_id)
            email.sent_at = None
            email.last_error = error[:500]
            email.next_attempt_at = now + retry_delay(email.attempts)


def deliver_batch(app: Flask, now: datetime, limit: int = BATCH_SIZE) -> DeliveryResult:
    """Send one batch of due messages over one connection."""
    emails = _claim_batch(now, limit)
    if not emails:
        return DeliveryResult()
    failures: dict[int, str] = {}
    sent_ids: set[int] = set()
    try:
        with open_transport(app.config) as send:
            for email in emails:
                try:
                    send(build_message(app.config, email.to_address, email.subject, email.body_text))
                    sent_ids.add(email.id)
                except (OSError, ValueError) as error:  # a refused recipient or a dropped line
                    failures[email.id] = str(error) or error.__class__.__name__
    except Exception as error:  # the server could not be reached: every unsent message waits
        log.warning("mail transport unavailable: %s", error)
        failures.update(
            {
                e.id: str(error) or error.__class__.__name__
                for e in emails
                if e.id not in failures and e.id not in sent_ids
            }
        )
    if failures:
        for email_id, error in failures.items():
            log.warning("email %s not sent: %s", email_id, error)
        _release(failures, now)
    return DeliveryResult(sent=len(emails) - len(failures), failed=len(failures))


def deliver_due(app: Flask, now: datetime) -> DeliveryResult:
    """Send every due message, batch after batch, until none is left or the
    transport fails (the rest wait for the next run)."""
    total = DeliveryResult()
    while True:
        result = deliver_batch(app, now)
        total = total + result
        if result.sent + result.failed < BATCH_SIZE or result.failed:
            return total
