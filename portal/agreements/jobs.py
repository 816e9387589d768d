"""Scheduled work: sending the ending notices that are due.

Run by the worker (``flask jobs run``) and by ``flask notices send-due``, one
notice per transaction, so that a failure part-way keeps what was sent and a
second copy of the job running at the same moment skips what the first has
claimed. An officer's "send due notices now" queues the same notices inside
their own request instead (``services.issue_due_notices``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError

from portal.agreements import services
from portal.db import get_session, transaction

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    sent: int = 0
    skipped: int = 0


def send_due_notices(today: date) -> RunResult:
    """Send every scheduled notice due ``today``, committing each on its own;
    safe to run often and concurrently. Needs an app context, not a request.

    A notice another run sent first is counted as skipped, not raised.
    """
    result = RunResult()
    for due in services.due_notices(get_session(), today):
        try:
            with transaction() as session:
                services.issue_scheduled_notice(session, due)
            result.sent += 1
        except IntegrityError:
            # Another run sent this notice first; nothing of ours was committed.
            result.skipped += 1
    log.info("notices: %s sent, %s already sent by another run", result.sent, result.skipped)
    return result
