"""The tender's state machine, every pair of statuses: a legal move stamps and
audits; an illegal one is refused in officers' words and changes nothing. The
policies that offer a move agree with the table."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from portal.accounts.models import Role
from portal.errors import RuleViolation
from portal.tenders import policies
from portal.tenders.machine import MACHINE, STAMPS
from portal.tenders.models import Tender, TenderStatus

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
S = TenderStatus
# Written out here, not read from the machine, so that a changed table fails this test.
LEGAL = {
    (S.DRAFT, S.PUBLISHED),
    (S.DRAFT, S.CANCELLED),
    (S.PUBLISHED, S.CLOSED),
    (S.PUBLISHED, S.CANCELLED),
    (S.CLOSED, S.EVALUATION),
    (S.CLOSED, S.CANCELLED),
    (S.EVALUATION, S.AWARDED),
    (S.EVALUATION, S.CANCELLED),
}
PAIRS = [(current, to) for current in TenderStatus for to in TenderStatus]
OFFICER = SimpleNamespace(is_authenticated=True, role=Role.OFFICER, id=1)


@pytest.fixture
def audited(monkeypatch):
    events = []
    monkeypatch.setattr(
        "portal.states.record", lambda session, actor, action, obj, **details: events.append((action, details))
    )
    return events


def a_tender(status: TenderStatus) -> Tender:
    return Tender(id=1, reference="KCC-SM-1", title="Machine", status=status)


@pytest.mark.parametrize("current, to", PAIRS, ids=[f"{c.name}-to-{t.name}" for c, t in PAIRS])
def test_every_pair_of_statuses(current, to, audited):
    tender = a_tender(current)
    stamps = {name: getattr(tender, name) for name in STAMPS.values()}
    if (current, to) in LEGAL:
        assert MACHINE.move(None, OFFICER, tender, to, NOW) is current
        assert tender.status is to and getattr(tender, STAMPS[to]) == NOW
        assert audited == [(f"tender.{to.name.lower()}", {"previous": current.name})]
    else:
        verb = "cancelled" if to is S.CANCELLED else f"moved to {to.value.lower()}"
        with pytest.raises(RuleViolation, match=f"^A tender that is {current.value.lower()} cannot be {verb}$"):
            MACHINE.move(None, OFFICER, tender, to, NOW)
        assert tender.status is current and audited == []
        assert {name: getattr(tender, name) for name in STAMPS.values()} == stamps


@pytest.mark.parametrize("current", list(TenderStatus))
def test_the_policies_offer_exactly_the_legal_moves(current):
    tender = a_tender(current)
    assert policies.can_publish(OFFICER, tender) is ((current, S.PUBLISHED) in LEGAL)
    assert policies.can_cancel(OFFICER, tender) is ((current, S.CANCELLED) in LEGAL)
    assert MACHINE.can_move(current, S.CLOSED) is ((current, S.CLOSED) in LEGAL)


def test_nobody_but_officers_is_offered_a_move():
    tender = a_tender(S.DRAFT)
    for user in (
        SimpleNamespace(is_authenticated=False),
        SimpleNamespace(is_authenticated=True, role=Role.PROVIDER),
        SimpleNamespace(is_authenticated=True, role=Role.EVALUATOR),
    ):
        assert not policies.can_publish(user, tender) and not policies.can_cancel(user, tender)
        assert not policies.can_edit(user, tender) and not policies.can_change_conflicts(user, tender)
