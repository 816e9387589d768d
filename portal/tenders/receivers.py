"""What the tenders domain answers when a domain below it asks (``portal.signals``).

``create_app`` imports this module, which connects the receivers.
"""

from __future__ import annotations

from portal.decisions.signals import linked_tenders_requested
from portal.tenders.public_policies import can_preview_drafts
from portal.tenders.queries import tenders_under_decision


@linked_tenders_requested.connect
def tenders_under_a_decision(decision, *, session, user, **_):
    """The tenders a decision authorised that ``user`` may see: published ones
    for everyone, drafts too for those who may preview them; by reference."""
    return tenders_under_decision(session, decision.id, include_drafts=can_preview_drafts(user))
