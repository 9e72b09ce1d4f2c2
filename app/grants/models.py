"""Grant-domain tables."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow

Money = Numeric(14, 2)

ORGANISATION_KINDS = {"kommun": "Kommun", "namnd": "Nämnd", "bolag": "Bolag",
                      "kommunalforbund": "Kommunalförbund", "forening": "Förening"}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    org_number: Mapped[str | None] = mapped_column(String(11))
    active: Mapped[bool] = mapped_column(default=True)
    # Payout details (maintained by the administrator). A nämnd is paid by an internal
    # transfer to its ansvar/kostnadsställe; a bolag or kommunalförbund by bankgiro, plusgiro
    # or bank account (IBAN).
    cost_centre: Mapped[str | None] = mapped_column(String(20))
    account_kind: Mapped[str | None] = mapped_column(String(10))  # bankgiro, plusgiro, iban
    account: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))


class Fund(Base):
    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The BPMN process id every application to this fund runs.
    process_id: Mapped[str] = mapped_column(String(100))
    diarie_prefix: Mapped[str] = mapped_column(String(20), default="KS")
    description: Mapped[str] = mapped_column(Text, default="")
    # The body that owns the fund (letters name it); empty: the LETTER_NAMND setting.
    organ: Mapped[str] = mapped_column(String(200), default="")
    # Who signs its letters, and their title (empty: the letter names the decision-maker).
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    # Who applicants contact, printed in the fund's letters ('' = the global LETTER_CONTACT).
    contact: Mapped[str] = mapped_column(String(300), default="")
    # Finance dimensions; empty: the global FINANCE_* settings (app.grants.funds).
    cost_centre: Mapped[str] = mapped_column(String(20), default="")
    cost_centre_name: Mapped[str] = mapped_column(String(200), default="")
    project_pattern: Mapped[str] = mapped_column(String(40), default="")
    # The account its SIE transfers are booked on; empty: FINANCE_TRANSFER_ACCOUNT.
    transfer_account: Mapped[str] = mapped_column(String(10), default="")
    # May rounds of this fund take applications in overlapping periods?
    allow_overlapping_rounds: Mapped[bool] = mapped_column(default=False)

    rounds: Mapped[list["Round"]] = relationship(back_populates="fund", order_by="Round.opens_on")


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("fund_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    budget: Mapped[Decimal] = mapped_column(Money)
    max_per_application: Mapped[Decimal] = mapped_column(Money, default=Decimal("1500000"))
    # The period the funded measures must fall within (None: no limit).
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    # Weights of the review form's criteria in this round ({criterion key: weight}); a key
    # left out keeps the form's x-vikt.
    criteria_weights: Mapped[dict] = mapped_column(default=dict)
    # Days the applicant gets to answer a request for komplettering, by default.
    komplettering_days: Mapped[int] = mapped_column(default=14)

    fund: Mapped[Fund] = relationship(back_populates="rounds", lazy="joined")

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on


class Application(Base):
    """An ärende: one application and the process instance that handles it."""

    __tablename__ = "applications"
    # The beredning's rank: the round's cases by review score (app.grants.reviews).
    __table_args__ = (Index("ix_applications_round_id_review_score", "round_id", "review_score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    process_instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id"), unique=True
    )
    diarienummer: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    public_description: Mapped[str] = mapped_column(Text, default="")
    requested_amount: Mapped[Decimal | None] = mapped_column(Money)
    granted_amount: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(100), default="Utkast")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # SHA-256 of the facts last recorded for the overview (app.effects.facts): a save whose
    # facts are unchanged writes and reads nothing more.
    facts_digest: Mapped[str | None] = mapped_column(String(64))
    # The mean of the valid reviews' weighted scores (None: no review yet), kept by
    # app.grants.reviews.update_review_score whenever the case is saved.
    review_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    round: Mapped[Round] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    instance = relationship("ProcessInstance")
    decisions: Mapped[list["Decision"]] = relationship(
        back_populates="application", order_by="Decision.decided_at"
    )


class DiarieSequence(Base):
    """The last diarienummer sequence used per prefix and year (gap-free, never reused)."""

    __tablename__ = "diarie_sequences"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


DECISION_OUTCOMES = {"bifall": "Bifall", "delvis_bifall": "Delvis bifall", "avslag": "Avslag"}
# Decisions on formal grounds, made by the officer at the formal check (no trial of the merits).
FORMAL_OUTCOMES = {"avvisning": "Avvisning", "avskrivning": "Avskrivning"}
OUTCOME_NAMES = {**DECISION_OUTCOMES, **FORMAL_OUTCOMES}
# A declared outcome (x-grant-outcomes) → the code a decision is stored with.
OUTCOME_CODES = {"granted": "bifall", "partly_granted": "delvis_bifall", "rejected": "avslag",
                 "dismissed": "avvisning", "written_off": "avskrivning"}


class Decision(Base):
    """A decision as made. Never updated: a correction is a new row that references it."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_level_decided_at", "level", "decided_at"),  # delegation report
        Index("ix_decisions_replaces_id", "replaces_id"),  # a case's corrections
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    motivation: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    # Delegation level from the DMN table: "delegat", "au" (arbetsutskott) or "ks".
    level: Mapped[str] = mapped_column(String(20), default="delegat")
    # The body that decided, as the letter names it: the committee of the minutes, or the
    # nämnd a delegat decides for. Recorded at the decision, so later settings never change it.
    organ: Mapped[str] = mapped_column(String(200), default="")
    delegation_reference: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    # Föredragande: the officer who prepared the case (beredning).
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    meeting_date: Mapped[date | None]
    meeting_paragraph: Mapped[str | None] = mapped_column(String(20))

    application: Mapped[Application] = relationship(back_populates="decisions")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")
    presenter = relationship("User", foreign_keys=[presenter_id], lazy="joined")


class JavDeclaration(Base):
    """A person's declaration of jäv in a case (FL 16–18 §§); it bars them from the case."""

    __tablename__ = "jav_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    task_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class RepaymentClaim(Base):
    """An återkrav: unused money the recipient must pay back (handled by finance)."""

    __tablename__ = "repayment_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, settled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime | None]
    settled_on: Mapped[date | None]
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship(lazy="joined")


# The search table and its triggers live with the query that reads them; importing the module
# here registers them wherever the models are (create_all, migrations, the app).
from app.grants import search  # noqa: E402, F401
