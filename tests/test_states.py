"""The shared state-machine helper: legal moves stamp and audit, illegal ones raise."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from portal.errors import RuleViolation
from portal.states import StateMachine


class Light(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"
    AMBER = "AMBER"


MACHINE = StateMachine(
    audit_prefix="light",
    transitions={Light.RED: {Light.GREEN}, Light.GREEN: {Light.AMBER}, Light.AMBER: {Light.RED}},
    stamps={Light.GREEN: "green_at"},
    refusal=lambda current, to: f"A {current.name.lower()} light cannot turn {to.name.lower()}",
)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture
def recorded(monkeypatch):
    events = []
    monkeypatch.setattr(
        "portal.states.record", lambda session, actor, action, obj, **details: events.append((action, details))
    )
    return events


@pytest.mark.parametrize("current", list(Light))
@pytest.mark.parametrize("to", list(Light))
def test_every_pair_of_statuses(current, to, recorded):
    light = SimpleNamespace(status=current, green_at=None, id=1)
    if to in MACHINE.transitions[current]:
        assert MACHINE.move(None, None, light, to, NOW, reason="test") is current
        assert light.status is to
        assert recorded == [(f"light.{to.name.lower()}", {"previous": current.name, "reason": "test"})]
        assert (light.green_at == NOW) is (to is Light.GREEN)
    else:
        with pytest.raises(RuleViolation, match=f"A {current.name.lower()} light cannot turn {to.name.lower()}"):
            MACHINE.move(None, None, light, to, NOW)
        assert light.status is current and recorded == [] and light.green_at is None
