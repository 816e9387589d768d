"""What the award tells the domains above it (transparency), without importing them.

Told, not asked: receivers (in the higher domain's ``receivers.py``) act in the same
transaction, so an open-data release exists exactly when its notice does.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

award_notice_published = _signals.signal(
    "award-notice-published",
    doc="""sender: the tender, now awarded; kwargs: session, now, notice (its contract award notice, UK6).""",
)

contracts_entered = _signals.signal(
    "contracts-entered",
    doc="""sender: the tender; kwargs: session, now, notice, agreements (the agreements just entered,
whose contract details notice, UK7, this is).""",
)
