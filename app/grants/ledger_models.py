"""The budget ledger of a round: append-only entries; every balance is a sum over them, kept
as running totals per round (RoundBalance) in the same transaction as each entry."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, event, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column

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


class RoundBalance(Base):
    """A round's running totals per kind of ledger entry, so that a balance never sums the
    whole ledger: kept in the same transaction as every entry (add_to_balances, on flush) and
    compared with the ledger's own sums by the reconciliation (app.payouts.reconcile)."""

    __tablename__ = "round_balances"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    reservation: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reservation_release: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    grant: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    grant_cancellation: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    payout: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reclaim: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class LedgerReconciliation(Base):
    """One run of the full reconciliation of a round (on demand or by the worker): when, by
    whom (None: the worker) and the problems it found (an empty list: it balanced)."""

    __tablename__ = "ledger_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    problems: Mapped[list] = mapped_column(default=list)

    __table_args__ = (Index("ix_ledger_reconciliations_round_id_id", "round_id", "id"),)


@event.listens_for(Session, "before_flush")
def add_to_balances(session: Session, _context, _instances) -> None:
    """Add the amounts of the ledger entries about to be inserted to their rounds' running
    totals: one UPDATE per round (an INSERT for a round's first entry). Budget writers hold
    the round's row lock (app.grants.budget), so two transactions never add at once."""
    added: dict[int, dict[str, Decimal]] = {}
    for entry in session.new:
        if isinstance(entry, LedgerEntry):
            kinds = added.setdefault(entry.round_id, dict.fromkeys(LEDGER_KINDS, Decimal(0)))
            kinds[entry.kind] += Decimal(str(entry.amount))
    if not added:
        return
    table, connection = RoundBalance.__table__, session.connection()
    for round_id, kinds in added.items():
        amounts = {kind: amount for kind, amount in kinds.items() if amount}
        updated = connection.execute(
            update(table).where(table.c.round_id == round_id)
            .values({kind: table.c[kind] + amount for kind, amount in amounts.items()}))
        if updated.rowcount == 0:
            connection.execute(insert(table).values(
                round_id=round_id, **{kind: kinds[kind] for kind in LEDGER_KINDS}))
