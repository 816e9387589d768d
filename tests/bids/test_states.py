"""The bid's state machine: every pair of statuses is either a legal move
(status set, time stamped, audited) or refused with nothing changed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal.bids.models import BidStatus
from portal.bids.submission import BID_STATES
from portal.errors import RuleViolation

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
LEGAL = {
    (BidStatus.DRAFT, BidStatus.SUBMITTED),
    (BidStatus.SUBMITTED, BidStatus.SUBMITTED),  # a newer version
    (BidStatus.SUBMITTED, BidStatus.WITHDRAWN),
    (BidStatus.WITHDRAWN, BidStatus.SUBMITTED),  # submitted again before the deadline
}
STAMPS = {BidStatus.SUBMITTED: "submitted_at", BidStatus.WITHDRAWN: "withdrawn_at"}


@pytest.fixture
def recorded(monkeypatch):
    events = []
    monkeypatch.setattr(
        "portal.states.record", lambda session, actor, action, obj, **details: events.append((action, details))
    )
    return events


@pytest.mark.parametrize("current", list(BidStatus))
@pytest.mark.parametrize("to", list(BidStatus))
def test_every_pair_of_statuses(current, to, recorded):
    bid = SimpleNamespace(id=1, status=current, submitted_at=None, withdrawn_at=None)
    assert BID_STATES.can_move(current, to) is ((current, to) in LEGAL)
    if (current, to) in LEGAL:
        assert BID_STATES.move(None, None, bid, to, NOW, version=2) is current
        assert bid.status is to
        assert getattr(bid, STAMPS[to]) == NOW
        assert recorded == [(f"bid.{to.name.lower()}", {"previous": current.name, "version": 2})]
    else:
        with pytest.raises(RuleViolation):
            BID_STATES.move(None, None, bid, to, NOW)
        assert bid.status is current and bid.submitted_at is None and bid.withdrawn_at is None
        assert recorded == []


@pytest.mark.parametrize("current", [BidStatus.DRAFT, BidStatus.WITHDRAWN])
def test_only_a_submitted_bid_can_be_withdrawn(current, recorded):
    bid = SimpleNamespace(id=1, status=current, submitted_at=None, withdrawn_at=None)
    with pytest.raises(RuleViolation, match="Only a submitted bid can be withdrawn"):
        BID_STATES.move(None, None, bid, BidStatus.WITHDRAWN, NOW)


def test_nothing_else_assigns_a_bids_status():
    """The machine is the one place a bid's status changes."""
    package = Path(__file__).resolve().parents[2] / "portal" / "bids"
    assignments = [
        f"{path.name}:{number}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.status\s*=[^=]", line)
    ]
    assert assignments == []
