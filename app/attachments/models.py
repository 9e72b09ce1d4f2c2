"""The attachments table: one row per stored file, under a generated key."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Attachment(Base):
    """A file attached to a case's form field. The file lies in storage under `key`; the
    name the user gave it is only kept here (and offered again on download)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    process_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"),
                                                     index=True)
    field: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "Ta bort": the row stays (who removed what, when); the stored file is deleted.
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.original_name!r}>"

    def as_form_data(self) -> dict:
        """Return the item a form's attachments field holds for this file."""
        return {"id": self.id, "namn": self.original_name, "storlek": self.size,
                "typ": self.content_type}
