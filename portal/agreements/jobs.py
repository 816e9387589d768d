"""Scheduled work: sending the ending notices that are due.

This is the one place outside a request that commits, one notice per
transaction, so that a failure part-way keeps what was sent and a second copy
of the job running at the same moment skips what the first has claimed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, has_request_context
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.agreements import services
from portal.db import commit, get_session

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    sent: int = 0
    skipped: int = 0


def send_due_notices(app: Flask) -> RunResult:
    """Send every scheduled notice due today; safe to run often and concurrently."""
    if has_request_context():  # an officer's "send due notices now"
        result = _run()
    else:
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            result = _run()
    log.info("notices: %s sent, %s already sent by another run", result.sent, result.skipped)
    return result


def _run() -> RunResult:
    result = RunResult()
    for due in services.due_notices(get_session(), clock.today()):
        session = get_session()
        try:
            services.issue_scheduled_notice(session, due)
            commit()
            result.sent += 1
        except IntegrityError:
            # Another run sent this notice first; nothing of ours was committed.
            session.rollback()
            result.skipped += 1
    return result
