"""What a decision's page asks of the domains above it (tenders), without importing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

linked_tenders_requested = _signals.signal(
    "linked-tenders-requested",
    doc="""
sender: the decision; kwargs: session, user (the viewer).
Answer: the tenders made under this decision that the viewer may see, in order
(objects with reference and title), or None.""",
)
