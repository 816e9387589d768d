"""The audit trail: every change records who, what, when, which object and details."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent


def record(session: Session, actor, action: str, obj=None, **details) -> AuditEvent:
    """Add an audit event to the session's transaction (it commits with the change).

    ``obj`` is any mapped object with an ``id``; it is flushed first so that a
    newly created object has one. ``actor`` may be None for the system or an
    anonymous visitor (registration, password reset).
    """
    object_type = object_id = None
    if obj is not None:
        if obj.id is None:
            session.flush()
        object_type, object_id = obj.__tablename__, obj.id
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        details=details,
    )
    session.add(event)
    return event
