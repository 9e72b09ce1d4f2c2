"""The audit trail: one row per state change, written in the same transaction."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    # The audit log page's filters by kind and by who, newest first (app/audit_log.py).
    __table_args__ = (Index("ix_audit_events_action_id", "action", "id"),
                      Index("ix_audit_events_actor_id_id", "actor_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[dict] = mapped_column(default=dict)

    actor = relationship("User", lazy="joined")


def record_event(
    session: Session,
    action: str,
    summary: str,
    *,
    actor_id: int | None = None,
    instance_id: int | None = None,
    task_id: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction."""
    event = AuditEvent(
        action=action,
        summary=summary,
        actor_id=actor_id,
        process_instance_id=instance_id,
        task_id=task_id,
        details=details or {},
    )
    session.add(event)
    return event


def events_for_instance(session: Session, instance_id: int) -> list[AuditEvent]:
    """Return the history of one process instance, oldest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.process_instance_id == instance_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(session.scalars(query))
