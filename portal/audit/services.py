"""The audit trail: every change records who, what, when, which object and details.

Each event becomes a link of the hash chain (portal/audit/chain.py) as its transaction
commits; importing this module registers the listener that seals them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.audit import chain
from portal.audit.models import AuditEvent
from portal.clock import now as clock_now


def record(session: Session, actor, action: str, obj=None, **details) -> AuditEvent:
    """Add an audit event to the session's transaction (it commits with the change).

    ``obj`` is any mapped object with an ``id``; it is flushed first so that a
    newly created object has one. ``actor`` may be None for the system or an
    anonymous visitor (registration, password reset). The time is the portal's
    clock, set here rather than at the insert, so the hash sealed at commit covers
    exactly the time stored.
    """
    object_type = object_id = None
    if obj is not None:
        if obj.id is None:
            session.flush()
        object_type, object_id = obj.__tablename__, obj.id
    event = AuditEvent(
        occurred_at=clock_now(),
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        details=details,
    )
    session.add(event)
    chain.note(session, event)
    return event
