"""When a request reached the portal: the moment a bid is judged by.

A provider who presses "Submit bid" one second before the deadline has bid in
time, even if their request then waits behind others for a free worker and is
handled (or commits) after the deadline. So bids are judged by the request's
arrival, not by the clock when the work happens:

* Behind a trusted proxy (``TRUSTED_PROXIES`` > 0), the ``X-Request-Start``
  header it sets (nginx: ``proxy_set_header X-Request-Start "t=${msec}";``
  gives ``t=1700000000.123``). Plain seconds, milliseconds or microseconds
  since the epoch, as other proxies send, are read too.
* Otherwise, or when the header is missing or unbelievable, the moment the
  application began handling the request, stamped by ``ArrivalStamp`` (a WSGI
  middleware, the outermost layer, so as early as the app can know).

The header is never believed beyond what the app saw itself: an arrival later
than the app's own start of handling is the start of handling (a proxy whose
clock runs fast cannot make a bid late, nor one who runs slow by more than
``MAX_QUEUE_WAIT`` make it early).

Tests stand the clock still with ``FIXED_NOW`` (``portal.clock``); then the
start of handling is the test clock, read once, the first time the request
asks, so a test that makes time pass between two readings sees the request
arrive at the first.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, request

from portal import clock

ENVIRON_KEY = "portal.handling_started"
ARRIVED_KEY = "portal.arrived_at"  # kept in the request's environ, not ``g``: a test's app context outlives requests
HEADER = "X-Request-Start"

# How long before the app began handling it a request may believably have
# arrived. nginx gives up on the app after ``proxy_read_timeout`` (120 s in
# docs/deploy/nginx.conf, the same as gunicorn's --timeout) and tells the
# browser it failed, so a request that waited longer than that was never
# answered: no provider can have been told it was on time. A header older than
# this comes from a proxy whose clock is wrong, and is ignored.
MAX_QUEUE_WAIT = timedelta(seconds=120)


class ArrivalStamp:
    """WSGI middleware: stamps each request with the moment the application
    began handling it (before Flask, routing, sessions or the database)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        # No app context yet, so this is the real clock even under a test's FIXED_NOW
        # (which ``_handling_started`` reads instead).
        environ.setdefault(ENVIRON_KEY, clock.now())
        return self.wsgi_app(environ, start_response)


def parse_request_start(value: str | None) -> float | None:
    """Seconds since the epoch from an ``X-Request-Start`` value, or None if it
    cannot be read.

    ``t=1700000000.123`` (nginx), ``1700000000.123``, ``1700000000123``
    (milliseconds) and ``1700000000123456`` (microseconds) are all read; the
    unit is told by the size of the number (seconds since 1970 will not reach
    10^11 for another three thousand years).
    """
    if not value:
        return None
    value = value.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if number >= 1e14:
        return number / 1e6
    if number >= 1e11:
        return number / 1e3
    return number


def _handling_started() -> datetime:
    if current_app.config.get("FIXED_NOW") is not None:
        return clock.now()
    # Set by ArrivalStamp, which create_app always installs; else the first time asked.
    return request.environ.setdefault(ENVIRON_KEY, clock.now())


def judge_arrival(header: str | None, handling_started: datetime, trusted: bool) -> datetime:
    """The arrival to believe, from the proxy's header (if ``trusted``) and
    the moment the app began handling the request."""
    if not trusted:
        return handling_started
    seconds = parse_request_start(header)
    if seconds is None:
        return handling_started
    try:
        claimed = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return handling_started
    if claimed >= handling_started:
        return handling_started  # never later than the app saw it itself
    if handling_started - claimed > MAX_QUEUE_WAIT:
        return handling_started  # absurdly old: a proxy clock that is wrong
    return claimed


def arrival_time() -> datetime:
    """When the current request reached the portal (aware, UTC); outside a
    request, the clock's now. The same value however often it is asked."""
    if not has_request_context():
        return clock.now()
    arrived = request.environ.get(ARRIVED_KEY)
    if arrived is None:
        trusted = int(current_app.config.get("TRUSTED_PROXIES") or 0) > 0
        arrived = request.environ[ARRIVED_KEY] = judge_arrival(
            request.headers.get(HEADER), _handling_started(), trusted
        )
    return arrived
