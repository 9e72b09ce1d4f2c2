"""The overview's figures, each one aggregate query (or two) whatever the number of cases."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.orm import Session

from app.effects.models import CaseFact, CaseIndicator
from app.engine.models import HumanTask
from app.grants.ledger_models import LedgerEntry
from app.grants.models import Application, Decision, Round
from app.overview.filters import OverviewFilter

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AmountRow:
    """Applications and amounts of one district, kind of prevention or measure type."""

    value: str
    applications: int
    requested: Decimal
    granted: Decimal
    paid: Decimal


def _paid_per_case():
    """Subquery: the money paid out to each case (its payout ledger entries)."""
    return (select(LedgerEntry.application_id.label("application_id"),
                   func.sum(LedgerEntry.amount).label("paid"))
            .where(LedgerEntry.kind == "payout").group_by(LedgerEntry.application_id)
            .subquery())


def amounts_by(session: Session, where: OverviewFilter, kind: str) -> list[AmountRow]:
    """Applications and amounts sought, granted and paid per value of a fact (a case in
    two districts counts in both)."""
    paid = _paid_per_case()
    query = (select(CaseFact.value, func.count(Application.id),
                    func.sum(Application.requested_amount), func.sum(Application.granted_amount),
                    func.sum(paid.c.paid))
             .join(Application, Application.id == CaseFact.application_id)
             .join(Round, Round.id == Application.round_id)
             .outerjoin(paid, paid.c.application_id == Application.id)
             .where(CaseFact.kind == kind, where.cases())
             .group_by(CaseFact.value).order_by(CaseFact.value))
    return [AmountRow(value, count, _money(requested), _money(granted), _money(paid_sum))
            for value, count, requested, granted, paid_sum in session.execute(query)]


def totals(session: Session, where: OverviewFilter) -> AmountRow:
    """All the cases counted: applications and amounts."""
    paid = _paid_per_case()
    row = session.execute(
        select(func.count(Application.id), func.sum(Application.requested_amount),
               func.sum(Application.granted_amount), func.sum(paid.c.paid))
        .join(Round, Round.id == Application.round_id)
        .outerjoin(paid, paid.c.application_id == Application.id)
        .where(where.cases())).one()
    return AmountRow("", row[0], _money(row[1]), _money(row[2]), _money(row[3]))


# The stages of the funnel, in order.
FUNNEL_STAGES = ("submitted", "registered", "decided", "granted", "paid", "closed")


def status_funnel(session: Session, where: OverviewFilter) -> list[tuple[str, int]]:
    """How many of the cases reached each stage."""
    paid = _paid_per_case()
    counts = session.execute(
        select(func.count(Application.id),
               func.count(Application.registered_at), func.count(Application.decided_at),
               func.sum(case((Application.granted_amount > 0, 1), else_=0)),
               func.count(paid.c.application_id), func.count(Application.closed_at))
        .join(Round, Round.id == Application.round_id)
        .outerjoin(paid, paid.c.application_id == Application.id)
        .where(where.cases())).one()
    return [(stage, int(count or 0)) for stage, count in zip(FUNNEL_STAGES, counts, strict=True)]


@dataclass(frozen=True)
class BurnRow:
    """A round's budget at the end of a month: what is reserved, granted, paid and left."""

    round_name: str
    month: str
    budget: Decimal
    reserved: Decimal
    granted: Decimal
    paid: Decimal
    remaining: Decimal


# Ledger kind → (balance, sign): remaining = budget − reserved − granted + cancelled + reclaimed.
_BURN = {"reservation": ("reserved", 1), "reservation_release": ("reserved", -1),
         "grant": ("granted", 1), "grant_cancellation": ("granted", -1),
         "payout": ("paid", 1), "reclaim": ("reclaimed", 1)}


def month_of(session: Session, column):
    """SQL for the UTC month (ÅÅÅÅ-MM) of a datetime column, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def budget_burn(session: Session, where: OverviewFilter) -> list[BurnRow]:
    """Each round's balances at the end of every month with ledger entries (one query of
    rounds × months × kinds rows, summed up here month by month)."""
    month = month_of(session, LedgerEntry.created_at)
    query = (select(Round.id, Round.name, Round.budget, month, LedgerEntry.kind,
                    func.sum(LedgerEntry.amount))
             .join(LedgerEntry, LedgerEntry.round_id == Round.id).where(where.rounds())
             .group_by(Round.id, Round.name, Round.budget, month, LedgerEntry.kind)
             .order_by(Round.id, month))
    if where.end is not None:
        query = query.where(LedgerEntry.created_at < where.until())
    rows: list[list] = []
    running: dict[str, Decimal] = {}
    for round_id, name, budget, month_value, kind, amount in session.execute(query):
        if not rows or rows[-1][0][0] != round_id:
            running = dict.fromkeys(("reserved", "granted", "paid", "reclaimed"), ZERO)
        if not rows or rows[-1][0] != (round_id, month_value):
            rows.append([(round_id, month_value), name, budget, {}])
        balance, sign = _BURN[kind]
        running[balance] += sign * _money(amount)
        rows[-1][3] = dict(running)
    return [BurnRow(name, key[1], _money(budget), b["reserved"], b["granted"], b["paid"],
                    _money(budget) - b["reserved"] - b["granted"] + b["reclaimed"])
            for key, name, budget, b in rows]


@dataclass(frozen=True)
class StepRow:
    """Lead time of one step (days from the task's start to its completion) and its queue."""

    step: str
    completed: int
    p50_days: float | None
    p90_days: float | None
    open: int
    overdue: int


def _days(session: Session, start, end):
    """SQL for the days between two datetime columns, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def lead_times(session: Session, where: OverviewFilter, now: datetime) -> list[StepRow]:
    """p50 and p90 lead time per step (nearest rank, by window functions in SQL) and the
    open and overdue tasks per step."""
    days = cast(_days(session, HumanTask.created_at, HumanTask.completed_at), Float)
    ranked = (select(HumanTask.title.label("step"), days.label("days"),
                     func.row_number().over(partition_by=HumanTask.title,
                                            order_by=days).label("rank"),
                     func.count().over(partition_by=HumanTask.title).label("n"))
              .join(Application, Application.process_instance_id == HumanTask.instance_id)
              .join(Round, Round.id == Application.round_id)
              .where(where.cases(), HumanTask.completed_at.is_not(None),
                     HumanTask.outcome == "completed").subquery())
    percentiles = {step: (n, p50, p90) for step, n, p50, p90 in session.execute(
        select(ranked.c.step, func.max(ranked.c.n),
               func.min(case((ranked.c.rank * 2 >= ranked.c.n, ranked.c.days))),
               func.min(case((ranked.c.rank * 10 >= ranked.c.n * 9, ranked.c.days))))
        .group_by(ranked.c.step))}
    queues = {step: (open_count, overdue) for step, open_count, overdue in session.execute(
        select(HumanTask.title, func.count(HumanTask.id),
               func.sum(case((HumanTask.due_at < now, 1), else_=0)))
        .join(Application, Application.process_instance_id == HumanTask.instance_id)
        .join(Round, Round.id == Application.round_id)
        .where(where.cases(), HumanTask.completed_at.is_(None)).group_by(HumanTask.title))}
    return [StepRow(step, percentiles.get(step, (0,))[0],
                    _round(percentiles.get(step, (0, None))[1]),
                    _round(percentiles.get(step, (0, None, None))[2]),
                    queues.get(step, (0, 0))[0], int(queues.get(step, (0, 0))[1] or 0))
            for step in sorted(set(percentiles) | set(queues))]


def decisions_by_level(session: Session, where: OverviewFilter
                       ) -> list[tuple[str, str, int, Decimal]]:
    """(delegation level, outcome, decisions, amount) of the decisions in the cases."""
    query = (select(Decision.level, Decision.outcome, func.count(Decision.id),
                    func.sum(Decision.amount))
             .join(Application, Application.id == Decision.application_id)
             .join(Round, Round.id == Application.round_id).where(where.cases())
             .group_by(Decision.level, Decision.outcome)
             .order_by(Decision.level, Decision.outcome))
    return [(level, outcome, count, _money(amount))
            for level, outcome, count, amount in session.execute(query)]


@dataclass(frozen=True)
class IndicatorRow:
    """The indicators of the cases with one fact value: how many were reached."""

    value: str
    indicators: int
    reported: int
    reached: int
    not_reached: int


def indicators_by(session: Session, where: OverviewFilter, kind: str) -> list[IndicatorRow]:
    """Indicators per value of a fact (district, measure type, åtgärdsplan item)."""
    query = (select(CaseFact.value, func.count(CaseIndicator.id),
                    func.count(CaseIndicator.outcome),
                    func.sum(case((CaseIndicator.reached.is_(True), 1), else_=0)),
                    func.sum(case((CaseIndicator.reached.is_(False), 1), else_=0)))
             .join(Application, Application.id == CaseFact.application_id)
             .join(Round, Round.id == Application.round_id)
             .join(CaseIndicator, CaseIndicator.application_id == Application.id)
             .where(CaseFact.kind == kind, where.cases())
             .group_by(CaseFact.value).order_by(CaseFact.value))
    return [IndicatorRow(value, n, int(reported or 0), int(reached or 0), int(missed or 0))
            for value, n, reported, reached, missed in session.execute(query)]


def _money(value) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)

