"""One small state-machine helper, shared by every domain that has statuses.

A domain declares its machine once: which statuses may follow which, and the
``<verb>_at`` column stamped on arrival. :meth:`StateMachine.move` is then the
only place that status changes: it refuses an illegal move, stamps the time and
writes the audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from portal.audit.services import record
from portal.errors import RuleViolation


@dataclass(frozen=True)
class StateMachine:
    """The legal moves of one kind of object.

    ``transitions`` maps each status to the statuses it may move to;
    ``stamps`` maps a status to the attribute stamped with the time of arrival;
    ``audit_prefix`` names the audit action (``tender`` gives ``tender.closed``);
    ``refusal`` words the message for an illegal move.
    """

    audit_prefix: str
    transitions: Mapping[Enum, frozenset | set]
    stamps: Mapping[Enum, str] = field(default_factory=dict)
    refusal: Callable[[Enum, Enum], str] | None = None
    status_attribute: str = "status"

    def can_move(self, current: Enum, to: Enum) -> bool:
        return to in self.transitions.get(current, ())

    def check(self, obj, to: Enum) -> None:
        """Raises RuleViolation: the object cannot move to ``to`` from where it is."""
        current = getattr(obj, self.status_attribute)
        if not self.can_move(current, to):
            message = (
                self.refusal(current, to)
                if self.refusal
                else f"This cannot be {to.name.lower()} while it is {current.name.lower()}"
            )
            raise RuleViolation(None, message)

    def move(self, session, actor, obj, to: Enum, now: datetime, *, audit: bool = True, **details) -> Enum:
        """Move ``obj`` to ``to`` at ``now``; returns the status it left.

        Raises:
            RuleViolation: the move is not one of the machine's transitions.
        """
        self.check(obj, to)
        previous = getattr(obj, self.status_attribute)
        setattr(obj, self.status_attribute, to)
        if to in self.stamps:
            setattr(obj, self.stamps[to], now)
        if audit:
            record(session, actor, f"{self.audit_prefix}.{to.name.lower()}", obj, previous=previous.name, **details)
        return previous
