"""The budget ledger of a round: append-only entries; every balance is a sum over them."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from app.grants.models import Money

# The kinds of entry; each amount is positive and the kind gives its sign in a balance.
# `grant_cancellation` gives granted money that will never be paid back to the fund (the
# unpaid tranches cancelled when an återkrav ends the case).
LEDGER_KINDS = ("reservation", "reservation_release", "grant", "grant_cancellation", "payout",
                "reclaim")


class LedgerEntry(Base):
    """One movement of a round's budget. Never updated or deleted: a correction is a new row."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "kind IN ('reservation', 'reservation_release', 'grant', 'grant_cancellation', "
            "'payout', 'reclaim')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
