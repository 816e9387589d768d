"""What bid pages ask of the domains above them (awards), without importing them.

Ask with ``portal.signals.ask``; receivers live in the higher domain's ``receivers.py``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

outcome_requested = _signals.signal(
    "outcome-requested",
    doc="""
sender: the bid; kwargs: session.
Answer: the award's progress for the bid's "what happens next" (an object the
template reads: ``standstill`` with ``is_notice_published``, ``ends_on`` and
``text``; ``is_summaries_sent``; ``outcomes``, a list of (lot, outcome) once the
summaries are sent), or None when nothing answers.""",
)
