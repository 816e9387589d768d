"""The tender's state machine: which status may follow which, and the time each stamps.

``MACHINE.move`` (``portal.states``) is the only place a tender's status is
assigned in Python; closing at the deadline is the one move made by a
conditional UPDATE instead (``lifecycle.close_if_due``), and it asks this
table first.
"""

from __future__ import annotations

from portal.states import StateMachine
from portal.tenders.models import TenderStatus

TRANSITIONS = {
    TenderStatus.DRAFT: frozenset({TenderStatus.PUBLISHED, TenderStatus.CANCELLED}),
    TenderStatus.PUBLISHED: frozenset({TenderStatus.CLOSED, TenderStatus.CANCELLED}),
    TenderStatus.CLOSED: frozenset({TenderStatus.EVALUATION, TenderStatus.CANCELLED}),
    TenderStatus.EVALUATION: frozenset({TenderStatus.AWARDED, TenderStatus.CANCELLED}),
    TenderStatus.AWARDED: frozenset(),
    TenderStatus.CANCELLED: frozenset(),
}
STAMPS = {
    TenderStatus.PUBLISHED: "published_at",
    TenderStatus.CLOSED: "closed_at",
    TenderStatus.EVALUATION: "evaluation_started_at",
    TenderStatus.AWARDED: "awarded_at",
    TenderStatus.CANCELLED: "cancelled_at",
}


def refusal(current: TenderStatus, to: TenderStatus) -> str:
    """How an illegal move is refused, in the words officers have always seen."""
    verb = "cancelled" if to is TenderStatus.CANCELLED else f"moved to {to.value.lower()}"
    return f"A tender that is {current.value.lower()} cannot be {verb}"


MACHINE = StateMachine(audit_prefix="tender", transitions=TRANSITIONS, stamps=STAMPS, refusal=refusal)
