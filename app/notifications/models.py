"""The outbox table: one row per message and recipient."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

# Message kinds: each has a text template messages/<kind>.txt.
KINDS = ("kvitto", "komplettering", "tilldelning", "paminnelse", "beslut", "aterrapportering",
         "utbetalning", "aterkallelse", "inbjudan", "losenord")
# Kinds whose body holds a secret (a one-time link): never shown on the outbox page.
SECRET_KINDS = ("inbjudan", "losenord")
STATUSES = ("pending", "sent", "failed")


class OutboxMessage(Base):
    """An e-mail queued in the same transaction as the case step that caused it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_created_at_id", "created_at", "id"),)  # utkorgen

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # Tries so far, counted when a worker claims the message (a crash mid-send counts too).
    attempts: Mapped[int] = mapped_column(default=0)
    # When a worker may (next) try; a claim pushes it ahead as a lease against other workers.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # One message per effect and recipient: a retried engine step enqueues nothing twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(400), unique=True)
