"""Payout tables: the tranches of a grant, the numbered export batches and their files."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.grants.models import Money

# waiting: has a condition not yet met in the process; planned: attestable when due;
# attested: ready for a batch; batched: in a live batch; paid; cancelled (never paid).
PAYOUT_STATES = {
    "waiting": "Väntar på villkor",
    "planned": "Planerad",
    "attested": "Attesterad",
    "batched": "I utbetalningsbatch",
    "paid": "Utbetald",
    "cancelled": "Avbruten",
}
BATCH_STATES = {"exported": "Exporterad", "paid": "Utbetald", "voided": "Makulerad"}


class Payout(Base):
    """One tranche of a granted amount, from the decision's payout plan."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("decision_id", "tranche"),
        CheckConstraint("amount > 0", name="payout_amount_positive"),
        CheckConstraint(
            "status IN ('waiting', 'planned', 'attested', 'batched', 'paid', 'cancelled')",
            name="payout_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    tranche: Mapped[int]
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # EndToEndId
    amount: Mapped[Decimal] = mapped_column(Money)
    due_on: Mapped[date] = mapped_column(index=True)
    condition: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    condition_met_at: Mapped[datetime | None]
    attested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attested_at: Mapped[datetime | None]
    paid_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application = relationship("Application", lazy="joined")
    attested_by = relationship("User", foreign_keys=[attested_by_id])


class PayoutBatch(Base):
    """A numbered export of attested payouts (UB-2027-0001) with its stored files."""

    __tablename__ = "payout_batches"
    __table_args__ = (
        CheckConstraint("status IN ('exported', 'paid', 'voided')", name="batch_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="exported")
    execution_date: Mapped[date]
    total: Mapped[Decimal] = mapped_column(Money)
    count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    paid_on: Mapped[date | None]
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str] = mapped_column(Text, default="")

    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    items: Mapped[list["BatchItem"]] = relationship(back_populates="batch",
                                                    order_by="BatchItem.id")
    files: Mapped[list["BatchFile"]] = relationship(order_by="BatchFile.id")


class BatchItem(Base):
    """A payout's membership of a batch. A payout is in at most one live batch: the partial
    unique index below is the guarantee, whatever the code above it does."""

    __tablename__ = "batch_items"
    __table_args__ = (
        Index("uq_batch_items_live_payout", "payout_id", unique=True,
              sqlite_where=text("live"), postgresql_where=text("live")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    live: Mapped[bool] = mapped_column(default=True)

    batch: Mapped[PayoutBatch] = relationship(back_populates="items")
    payout: Mapped[Payout] = relationship(lazy="joined")


FILE_KINDS = {
    "sie": ("SIE 4I (interna överföringar)", "application/octet-stream", "se"),
    "pain001": ("ISO 20022 pain.001 (betalningar)", "application/xml", "xml"),
    "xlsx": ("Sammanställning (Excel)",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("Sammanställning (CSV)", "text/csv; charset=utf-8", "csv"),
}


class BatchFile(Base):
    """One exported file of a batch: bytes in file storage, checksum here."""

    __tablename__ = "batch_files"
    __table_args__ = (UniqueConstraint("batch_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"))
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
