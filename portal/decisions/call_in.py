"""When an executive decision takes effect, worked out from its record.

A key decision subject to call-in cannot be carried out until the call-in period
has passed: 5 clear working days after the day it is published (the rule in many
councils' constitutions, Kent's among them). The period ends at the end of the
fifth working day after publication, and the decision takes effect the day
after. Working days here are the council's own: Monday to Friday, except bank
holidays in England (the council is an English one; a Scottish bank holiday is a
working day in Kent). A decision not subject to call-in (an urgent one, for
example) takes effect on the day it was made; a decision called in, withdrawn,
abandoned or rejected has no date to give.

Computed rather than stored: the record (publication date, call-in yes or no,
status) is all it needs, so a new column could only disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from portal.decisions.models import Decision

CALL_IN_WORKING_DAYS = 5
CALLED_IN = "Item Called In"
NOT_TAKING_EFFECT = frozenset({"Withdrawn", "Abandoned", "Rejected"})
NOT_YET_MADE = frozenset({"For Determination", "Deferred"})


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_council_working_day(day: date) -> bool:
    """Monday to Friday, and not a bank holiday in England."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def call_in_ends(published_on: date, days: int = CALL_IN_WORKING_DAYS) -> date:
    """The last day of the call-in period: the ``days``-th clear working day after
    ``published_on`` (the day of publication itself never counts)."""
    day, counted = published_on, 0
    while counted < days:
        day += timedelta(days=1)
        if is_council_working_day(day):
            counted += 1
    return day


@dataclass(frozen=True)
class Effect:
    """What the decision page says about call-in and when the decision takes effect."""

    call_in_ends: date | None  # None: not subject to call-in
    effective_from: date | None  # None: it does not take effect (or not yet known)
    explanation: str  # the "Takes effect" row's words when there is no date, or a note beside it


def effect_of(decision: Decision, today: date) -> Effect:
    """Call-in end and effective date for ``decision``, as of ``today`` (for "ends"/"ended")."""
    ends = call_in_ends(decision.publication_date) if decision.is_subject_to_call_in else None
    if decision.status == CALLED_IN:
        return Effect(ends, None, "Not yet: the decision has been called in for scrutiny by councillors")
    if decision.status in NOT_YET_MADE:
        return Effect(ends, None, "Not yet: the decision has not been made")
    if decision.status in NOT_TAKING_EFFECT:
        return Effect(ends, None, f"It does not take effect: the decision is {decision.status.lower()}")
    if ends is None:
        why = " (it is an urgent decision)" if decision.is_urgent else ""
        return Effect(None, decision.decision_date, f"Not subject to call-in{why}, so it took effect when it was made")
    effective = ends + timedelta(days=1)
    if today <= ends:
        return Effect(ends, effective, "Unless it is called in for scrutiny before the call-in period ends")
    return Effect(ends, effective, "It was not called in during the call-in period")
