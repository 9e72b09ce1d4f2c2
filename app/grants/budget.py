"""A round's budget: a proposal reserves money, a decision converts the reservation into a
grant, avslag or withdrawal releases it. The ledger (app.grants.ledger_models) is append-only;
a round's balances are its running totals per kind (RoundBalance), added to in the same
transaction as each entry, so no balance sums the round's whole history. The reconciliation
(check_ledger, app.payouts.reconcile) compares the totals with the ledger's own sums.

Every write locks the round's row first, so two proposals at the same moment cannot both
spend the same remaining money."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.engine.instances import OperationContext
from app.errors import Conflict, InvalidInput, NotFound
from app.formatting import kronor
from app.grants.applications import application_of_step
from app.grants.declarations import declarations_of_instance
from app.grants.ledger_models import LEDGER_KINDS, LedgerEntry, RoundBalance
from app.grants.models import Application, Round
from app.grants.rules import amount as to_amount

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")  # Money is Numeric(14, 2)


@dataclass(frozen=True)
class Ledger:
    """A round's balances, summed from its ledger entries.

    remaining = budget − reserved − granted + cancelled + reclaimed

    `reserved` is the open reservations (reservations minus releases). `paid` is the part of
    `granted` already paid out, so it does not change `remaining`. `cancelled` is the part of
    `granted` that will never be paid (tranches cancelled at återkrav) and `reclaimed` is money
    paid back (återkrav): both return to the fund.
    """

    budget: Decimal
    reserved: Decimal
    granted: Decimal
    cancelled: Decimal
    paid: Decimal
    reclaimed: Decimal
    remaining: Decimal


def ledger_for(session: Session, round_id: int) -> Ledger:
    """Return the balances of a round (one statement: the round and its running totals)."""
    ledgers = ledgers_for(session, [round_id])
    if round_id not in ledgers:
        raise NotFound("Ansökningsomgången finns inte.")
    return ledgers[round_id]


def ledgers_for(session: Session, round_ids: list[int]) -> dict[int, Ledger]:
    """Return the balances of several rounds by round id, in one statement."""
    totals = RoundBalance.__table__.c
    query = (select(Round.id, Round.budget, *(totals[kind] for kind in LEDGER_KINDS))
             .outerjoin(RoundBalance, RoundBalance.round_id == Round.id)
             .where(Round.id.in_(round_ids)))
    return {row[0]: _ledger(row[1], _kind_sums(zip(LEDGER_KINDS, row[2:], strict=True)))
            for row in session.execute(query)}


def recount_balances(connection) -> None:
    """Set every round's running totals to its ledger's sums (after rows were written
    without the ORM: a restore, a bulk copy). Deletes and rebuilds in one transaction."""
    totals = RoundBalance.__table__
    sums = [func.coalesce(func.sum(case((LedgerEntry.kind == kind, LedgerEntry.amount))), 0)
            for kind in LEDGER_KINDS]
    connection.execute(totals.delete())
    connection.execute(totals.insert().from_select(
        ["round_id", *LEDGER_KINDS],
        select(Round.id, *sums).outerjoin(LedgerEntry, LedgerEntry.round_id == Round.id)
        .group_by(Round.id)))


def entries_for(session: Session, round_id: int) -> list[LedgerEntry]:
    """Return a round's ledger entries, oldest first."""
    query = (select(LedgerEntry).where(LedgerEntry.round_id == round_id)
             .order_by(LedgerEntry.created_at, LedgerEntry.id))
    return list(session.scalars(query))


def active_reservation(session: Session, application: Application) -> Decimal:
    """Return the amount the application holds reserved (0 when none)."""
    sums = _sums(session, LedgerEntry.application_id == application.id)
    return sums["reservation"] - sums["reservation_release"]


def reserve(session: Session, application: Application, amount, *,
            actor_id: int | None) -> LedgerEntry:
    """Reserve the proposed amount for the application, replacing its earlier reservation."""
    return _reserve(session, application, amount, actor_id)[0]


def _reserve(session: Session, application: Application, amount,
             actor_id: int | None) -> tuple[LedgerEntry, Decimal]:
    """Reserve; return the entry and what then remains in the round."""
    entry, held, remaining = _take(session, application, amount, actor_id, "reservation",
                        ("Nytt förslag", "Förslag till beslut"))
    record_event(session, "budget_reserved", f"Reserverat {kronor(entry.amount)}",
                 actor_id=actor_id, instance_id=application.process_instance_id,
                 details={"round": application.round_id, "amount": str(entry.amount),
                          "replaced": str(held)})
    return entry, remaining


def release(session: Session, application: Application, *, actor_id: int | None,
            reason: str) -> Decimal:
    """Release the application's reservation; return the amount (0 if there was none)."""
    _lock_round(session, application.round_id)
    held = active_reservation(session, application)
    if held <= 0:
        return ZERO
    _add(session, application, "reservation_release", held, actor_id, reason)
    record_event(session, "budget_released", f"Reservation på {kronor(held)} släppt: {reason}",
                 actor_id=actor_id, instance_id=application.process_instance_id,
                 details={"round": application.round_id, "amount": str(held)})
    return held


def convert_to_grant(session: Session, application: Application, amount, *,
                     actor_id: int | None) -> LedgerEntry:
    """Turn the application's reservation into a grant of `amount` (may be less)."""
    entry, held, _remaining = _take(session, application, amount, actor_id, "grant",
                        ("Beslut fattat", "Beviljat belopp"))
    record_event(session, "budget_granted",
                 f"Beviljat {kronor(entry.amount)} (reservation {kronor(held)} omvandlad)",
                 actor_id=actor_id, instance_id=application.process_instance_id,
                 details={"round": application.round_id, "amount": str(entry.amount),
                          "released": str(held)})
    return entry


def _take(session: Session, application: Application, amount, actor_id: int | None,
          kind: str, notes: tuple[str, str]) -> tuple[LedgerEntry, Decimal, Decimal]:
    """Under the round lock: check the amount, release the application's reservation and add
    an entry of `kind`; return the entry, the amount that was held and what then remains in
    the round."""
    amount = _amount(amount)
    budget = _lock_round(session, application.round_id)
    sums, round_sums = _application_and_round_sums(session, application)
    _refuse_if_granted(sums)
    _refuse_above_requested(application, amount)
    held = sums["reservation"] - sums["reservation_release"]
    available = _ledger(budget, round_sums).remaining + held
    _refuse_above_available(available, amount)
    if held:
        _add(session, application, "reservation_release", held, actor_id, notes[0], flush=False)
    entry = _add(session, application, kind, amount, actor_id, notes[1])  # one INSERT
    return entry, held, available - entry.amount


def record_payout(session: Session, application: Application, amount, *,
                  actor_id: int | None, note: str) -> LedgerEntry:
    """Book a paid-out tranche of the application's grant (never more than granted and not
    cancelled)."""
    return _book(session, application, "payout", amount, actor_id, note,
                 "Utbetalningen är större än det beviljade beloppet som återstår.")


def record_grant_cancellation(session: Session, application: Application, amount, *,
                              actor_id: int | None, note: str) -> LedgerEntry:
    """Book granted money that will never be paid (cancelled tranches): it returns to the
    fund. Never more than what is granted and not yet paid."""
    entry = _book(session, application, "grant_cancellation", amount, actor_id, note,
                  "Det avbrutna beloppet är större än det beviljade som inte är utbetalt.")
    record_event(session, "budget_grant_cancelled",
                 f"{kronor(entry.amount)} av det beviljade betalas inte ut och går tillbaka "
                 f"till fonden ({note})", actor_id=actor_id,
                 instance_id=application.process_instance_id,
                 details={"round": application.round_id, "amount": str(entry.amount)})
    return entry


def record_reclaim(session: Session, application: Application, amount, *,
                   actor_id: int | None, note: str) -> LedgerEntry:
    """Book money paid back into the fund (a settled återkrav; never more than paid out)."""
    return _book(session, application, "reclaim", amount, actor_id, note,
                 "Återkravet är större än det som har betalats ut.")


# What each kind may at most add up to, given the application's sums: payouts and
# cancellations share the grant; reclaims are bounded by what was paid.
_LIMITS = {
    "payout": lambda sums: sums["grant"] - sums["grant_cancellation"],
    "grant_cancellation": lambda sums: sums["grant"] - sums["payout"],
    "reclaim": lambda sums: sums["payout"],
}


def _book(session: Session, application: Application, kind: str, amount,
          actor_id: int | None, note: str, problem: str) -> LedgerEntry:
    amount = _amount(amount)
    _lock_round(session, application.round_id)
    sums = _sums(session, LedgerEntry.application_id == application.id)
    if sums[kind] + amount > _LIMITS[kind](sums):
        raise Conflict(problem)
    return _add(session, application, kind, amount, actor_id, note)


def check_proposal(session: Session, application: Application, amount) -> None:
    """Check a proposed amount before the form is accepted (reserve() checks again, locked)."""
    amount = _amount(amount)
    _refuse_if_granted(_sums(session, LedgerEntry.application_id == application.id))
    _refuse_above_requested(application, amount)
    available = (ledger_for(session, application.round_id).remaining
                 + active_reservation(session, application))
    _refuse_above_available(available, amount)


def check_ledger(session: Session, round_id: int) -> list[str]:
    """Return the broken invariants of a round's ledger (an empty list when it is sound): the
    running totals against the ledger's sums, then every application's entries. Reads the
    whole round: run on demand or by the worker (app.payouts.reconcile), not for a page."""
    ledger = ledger_for(session, round_id)
    problems = []
    if ledger.remaining < 0:
        problems.append(f"Omgång {round_id}: kvar är negativt ({kronor(ledger.remaining)}).")
    summed = _ledger(ledger.budget, _sums(session, LedgerEntry.round_id == round_id))
    if summed != ledger:
        problems.append(f"Omgång {round_id}: de löpande summorna ({_figures(ledger)}) skiljer "
                        f"sig från huvudbokens rader ({_figures(summed)}).")
    per_application = _sums_per_application(session, round_id)
    cases = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(
        select(LedgerEntry.application_id).where(LedgerEntry.round_id == round_id))))}
    for application_id, sums in per_application.items():
        problems += _application_problems(round_id, cases[application_id], sums)
    return problems


def _figures(ledger: Ledger) -> str:
    return ", ".join(f"{name} {kronor(value)}" for name, value in (
        ("reserverat", ledger.reserved), ("beviljat", ledger.granted),
        ("avbrutet", ledger.cancelled), ("utbetalt", ledger.paid),
        ("återbetalt", ledger.reclaimed)))


# -- service-task operations (BPMN spiffworkflow:serviceTaskOperator) ------------------------

def reserve_operation(ctx: OperationContext, data: dict) -> dict:
    """Reservera budget: reserve the officer's proposed amount (the declared
    proposal_amount; without a proposal step, the requested amount)."""
    application = application_of_step(ctx)
    decl = declarations_of_instance(ctx.session, ctx.instance)
    meaning = "proposal_amount" if decl.field("proposal_amount") else "requested_amount"
    proposed = decl.value(meaning, data)
    if decl.outcome("proposal_outcome", data) == "rejected" or not to_amount(proposed):
        released = release(ctx.session, application, actor_id=ctx.actor_id,
                           reason="Förslag om avslag")
        return {"reserverat": "0", "slappt": str(released)}
    try:
        entry, remaining = _reserve(ctx.session, application, proposed, ctx.actor_id)
    except InvalidInput as err:  # shown on the form's amount field
        messages = [m for found in err.errors.values() for m in found] or [err.message]
        raise InvalidInput(err.message, {decl.path(meaning): messages}) from err
    return {"reserverat": str(entry.amount), "kvar": str(remaining)}


def release_operation(ctx: OperationContext, data: dict) -> dict:
    """Släpp reservation: give the reserved money back (avslag, withdrawal, write-off)."""
    application = application_of_step(ctx)
    decl = declarations_of_instance(ctx.session, ctx.instance)
    reason = ("Avslag" if decl.outcome("decision_outcome", data) == "rejected"
              else "Ärendet avslutat utan beviljning")
    released = release(ctx.session, application, actor_id=ctx.actor_id, reason=reason)
    remaining = ledger_for(ctx.session, application.round_id).remaining
    return {"slappt": str(released), "kvar": str(remaining)}


BUDGET_OPERATIONS = {
    "reservera_budget": reserve_operation,
    "slapp_reservation": release_operation,
}


# -- internals --------------------------------------------------------------------------------

def _lock_round(session: Session, round_id: int) -> Decimal:
    # Row lock on PostgreSQL until commit/rollback: budget writers of one round queue here, and
    # each then reads the sums committed by the one before. NO KEY UPDATE, so inserts that only
    # reference the round (a new application) are not held up. SQLite renders no FOR UPDATE,
    # but the app's write transactions begin IMMEDIATE (app.db): writers are serialised anyway.
    query = select(Round.budget).where(Round.id == round_id).with_for_update(key_share=True)
    budget = session.scalar(query)
    if budget is None:
        raise NotFound("Ansökningsomgången finns inte.")
    return budget


def _add(session: Session, application: Application, kind: str, amount: Decimal,
         actor_id: int | None, note: str, flush: bool = True) -> LedgerEntry:
    entry = LedgerEntry(round_id=application.round_id, application_id=application.id, kind=kind,
                        amount=amount, actor_id=actor_id, note=note)
    session.add(entry)
    if flush:  # entries added together are flushed together: one INSERT
        session.flush()
    return entry


def _application_and_round_sums(session: Session, application: Application
                                 ) -> tuple[defaultdict[str, Decimal], defaultdict[str, Decimal]]:
    """The sums per kind of the application's entries and the round's running totals, in
    one statement (after the round's lock: a statement of its own, so on PostgreSQL it reads
    what the previous lock holder committed)."""
    totals = RoundBalance.__table__.c
    query = (select(LedgerEntry.kind, func.sum(LedgerEntry.amount),
                    *(totals[kind] for kind in LEDGER_KINDS))
             .select_from(RoundBalance)
             .outerjoin(LedgerEntry, LedgerEntry.application_id == application.id)
             .where(RoundBalance.round_id == application.round_id)
             .group_by(LedgerEntry.kind, *(totals[kind] for kind in LEDGER_KINDS)))
    sums: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    round_sums: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, application_total, *round_totals in session.execute(query):
        round_sums = _kind_sums(zip(LEDGER_KINDS, round_totals, strict=True))
        if kind is not None:
            sums[kind] = _money(application_total)
    return sums, round_sums


def _kind_sums(pairs) -> defaultdict[str, Decimal]:
    sums: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    sums.update({kind: _money(total) for kind, total in pairs})
    return sums


def _ledger(budget: Decimal, sums: dict[str, Decimal]) -> Ledger:
    reserved = sums["reservation"] - sums["reservation_release"]
    budget = _money(budget)
    return Ledger(budget=budget, reserved=reserved, granted=sums["grant"],
                  cancelled=sums["grant_cancellation"], paid=sums["payout"],
                  reclaimed=sums["reclaim"],
                  remaining=(budget - reserved - sums["grant"] + sums["grant_cancellation"]
                             + sums["reclaim"]))


def _sums(session: Session, *where) -> defaultdict[str, Decimal]:
    query = (select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
             .where(*where).group_by(LedgerEntry.kind))
    sums: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    for kind, total in session.execute(query):
        sums[kind] = _money(total)
    return sums


def _sums_per_application(session: Session, round_id: int) -> dict[int, defaultdict]:
    query = (select(LedgerEntry.application_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
             .where(LedgerEntry.round_id == round_id, LedgerEntry.application_id.is_not(None))
             .group_by(LedgerEntry.application_id, LedgerEntry.kind))
    result: dict[int, defaultdict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for application_id, kind, total in session.execute(query):
        result[application_id][kind] = _money(total)
    return result


def _application_problems(round_id: int, application: Application,
                          sums: dict[str, Decimal]) -> list[str]:
    name = f"Ansökan {application.id}"
    held = sums["reservation"] - sums["reservation_release"]
    granted = sums["grant"]
    checks = [
        (application.round_id != round_id, "hör till en annan omgång"),
        (held < 0, f"har negativ reservation ({kronor(held)})"),
        (held > 0 and granted > 0, "har både reservation och beviljat belopp"),
        (granted > (application.requested_amount or ZERO),
         f"har beviljats {kronor(granted)}, mer än sökt "
         f"({kronor(application.requested_amount)})"),
        (sums["payout"] > granted, f"har fått {kronor(sums['payout'])} utbetalt, mer än beviljat"),
        (sums["payout"] + sums["grant_cancellation"] > granted,
         f"har {kronor(sums['grant_cancellation'])} avbrutet och {kronor(sums['payout'])} "
         f"utbetalt, mer än beviljat"),
        (sums["reclaim"] > sums["payout"],
         f"har återbetalat {kronor(sums['reclaim'])}, mer än utbetalt"),
    ]
    return [f"{name} {text}." for broken, text in checks if broken]


def _refuse_if_granted(sums: dict[str, Decimal]) -> None:
    """Refuse a second grant, given the application's sums."""
    if sums["grant"] > 0:
        raise Conflict("Ansökan har redan ett beviljat belopp i budgeten.")


def _refuse_above_requested(application: Application, amount: Decimal) -> None:
    requested = application.requested_amount
    if requested is not None and amount > requested:
        raise InvalidInput("Beloppet är för högt.", {"belopp": [
            f"Får vara högst det sökta beloppet ({kronor(requested)})."]})


def _refuse_above_available(available: Decimal, amount: Decimal) -> None:
    if amount > available:
        raise InvalidInput("Budgeten räcker inte.", {"belopp": [
            f"Det finns bara {kronor(max(available, ZERO))} kvar i omgången."]})


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value))
        valid = amount.is_finite() and 0 < amount < MAX_AMOUNT and amount == _money(amount)
    except (InvalidOperation, ValueError):
        valid = False
    if not valid:
        raise InvalidInput("Beloppet är ogiltigt.", {"belopp": [
            "Ange ett belopp större än 0 kr med högst två decimaler."]})
    return _money(amount)


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)

