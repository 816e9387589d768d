"""How a lower domain asks a higher one, without importing it.

Domains stand in one order (ARCHITECTURE.md) and import only to their left.
Where a lower domain's page needs something a higher domain knows (the tender
page shows how many bids arrived; a decision lists the tenders it authorised),
the lower domain declares a named blinker signal in its ``signals.py`` and asks
it with :func:`ask`; the higher domain connects a receiver in its
``receivers.py``, which ``create_app`` imports. The arrow in the code then runs
the allowed way (higher imports lower), and the lower domain works, showing
nothing, when no higher domain is installed.
"""

from __future__ import annotations

from blinker import Signal


def ask(signal: Signal, sender, default=None, **kwargs):
    """The first answer a receiver of ``signal`` gives that is not None, else ``default``."""
    for _receiver, answer in signal.send(sender, **kwargs):
        if answer is not None:
            return answer
    return default
