"""Engine tables: process versions, instances, the human-task projection, incidents."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow

INSTANCE_STATUSES = ("running", "completed", "cancelled")


class ProcessVersion(Base):
    """One version of a process definition, stored once by content hash."""

    __tablename__ = "process_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # File name → text of the BPMN file and every DMN file the version was parsed with.
    sources: Mapped[dict] = mapped_column(deferred=True)  # only read to re-parse a version
    # Form name → {"schema", "uischema"} of the forms its user tasks name (None: older
    # versions, which use the forms/ files).
    forms: Mapped[dict | None] = mapped_column(deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    # Cases per version and status (the admin's overview): counted from the index alone.
    __table_args__ = (Index("ix_process_instances_version_status", "process_version_id",
                            "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    process_id: Mapped[str] = mapped_column(String(100))
    # Tasks in lanes of external roles (the applicant) are scoped to this organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[str] = mapped_column(String(20), default="running")
    # The serialized workflow without its spec (the spec comes from process_versions).
    state: Mapped[str] = mapped_column(Text, deferred=True)  # large: loaded when advancing
    # Optimistic lock: every save bumps it, a save with a stale value fails (StaleDataError).
    version: Mapped[int] = mapped_column(default=1)
    # A JSON snapshot of the case data after the last save, for pages and queries.
    data: Mapped[dict] = mapped_column(default=dict)
    # Earliest waiting timer, so the scheduler finds due instances with one indexed query.
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    # Messages and signals the flow waits for to go on (not optional exits such as a withdrawal
    # message on a boundary), or NULL: with no open task and no timer either, it has stopped.
    awaits: Mapped[list | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"))
    # Set while an open incident stops the timers of this instance.
    has_incident: Mapped[bool] = mapped_column(default=False)
    # Name of the end event reached, e.g. "Beviljad".
    end_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined", innerjoin=True)
    # The open human-task rows, loaded together with the instance lock (Engine.lock_instance).
    open_tasks: Mapped[list["HumanTask"]] = relationship(
        primaryjoin="and_(HumanTask.instance_id == ProcessInstance.id, "
                    "HumanTask.completed_at.is_(None))",
        viewonly=True, lazy="select", overlaps="instance")

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """A READY user task, mirrored after every save so inboxes are one indexed query."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_open", "role", "completed_at", "organisation_id"),
        # "Completed by me" (a reviewer's reviewed cases, four eyes): newest first.
        Index("ix_human_tasks_completed_by", "completed_by_id", "role", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(40))
    form_name: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # The username the process assigned the task to (property `assignee`), or None for the role.
    assignee: Mapped[str | None] = mapped_column(String(80), index=True)
    # The form's top-level fields this task shows (property `formFieldsVariable`), or None.
    field_names: Mapped[list | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    # Work saved with "Spara utkast", not yet validated.
    draft: Mapped[dict | None]
    draft_saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "completed" by a user, or "cancelled" when the engine closed it (timer, withdrawal).
    outcome: Mapped[str | None] = mapped_column(String(20))
    # Who took the task ("Ta uppgiften") or was handed it by a colleague; None: anyone of
    # the role may do it.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship(lazy="joined", innerjoin=True)
    completed_by = relationship("User", foreign_keys=[completed_by_id])
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])


class Incident(Base):
    """A failed automatic step; its transaction was rolled back. Retryable by an admin."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_resolved_at_id", "resolved_at", "id"),)  # the open ones

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id"), index=True
    )
    process_id: Mapped[str] = mapped_column(String(100), default="")
    element: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)
    # What was being done, so it can be retried: {"kind": "complete_task", ...}.
    action: Mapped[dict]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
