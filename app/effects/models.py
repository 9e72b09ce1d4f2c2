"""Tables of the effect follow-up: reference lists and the facts a case records."""

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# The reference lists the administrator keeps: list name → what its items are.
REFERENCE_LISTS = ("kommundel", "atgardsplan")


class ReferenceItem(Base):
    """One item of a reference list: a kommundel, or a problem of the kommun's lägesbild /
    åtgärdsplan that a measure can address. `code` is what forms store; never reused."""

    __tablename__ = "reference_items"
    __table_args__ = (UniqueConstraint("list_name", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    # An inactive item is no longer offered in forms but still counted in reports.
    active: Mapped[bool] = mapped_column(default=True)


# The kinds of fact a case records (each from the form field declaring it with "x-grant").
FACT_KINDS = ("district", "prevention_kind", "measure_type", "plan_item")


class CaseFact(Base):
    """One classification of a case (e.g. district Vårby): the overview counts by these."""

    __tablename__ = "case_facts"
    __table_args__ = (Index("ix_case_facts_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))


class CaseIndicator(Base):
    """An indicator of a case: baseline and target from the application, outcome from the
    follow-up report; `reached` when all three are numbers (None: cannot be judged)."""

    __tablename__ = "case_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    baseline: Mapped[str] = mapped_column(String(300), default="")
    target: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str | None] = mapped_column(String(300))
    reached: Mapped[bool | None]
