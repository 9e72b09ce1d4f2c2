"""Attest: finance approves due payouts. Four-eyes: never the decision maker, the preparing
officer, someone jävig in the case or someone from the receiving organisation."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import record_event
from app.errors import Conflict, NotAllowed, NotFound
from app.formatting import kronor
from app.grants.models import Decision, JavDeclaration
from app.payouts.models import Payout

FINANCE_ROLE = "ekonomi"
DUE_WITHIN_DAYS = 14  # finance's default horizon: payouts due within two weeks


def require_finance(user: User) -> None:
    if not user.has_role(FINANCE_ROLE):
        raise NotAllowed("Bara ekonomi kan hantera utbetalningar.")


def finance_overview(session: Session, up_to: date) -> dict[str, list[Payout]]:
    """The payouts finance works on: attestable and due by `up_to`, waiting for a condition,
    attested (ready for a batch), and planned for later."""
    def query(*where):
        return list(session.scalars(select(Payout).where(*where)
                                    .order_by(Payout.due_on, Payout.reference)))

    return {
        "planned": query(Payout.status == "planned", Payout.due_on <= up_to),
        "waiting": query(Payout.status == "waiting"),
        "attested": query(Payout.status == "attested"),
        "upcoming": query(Payout.status == "planned", Payout.due_on > up_to),
    }


def finance_work(session: Session, up_to: date) -> dict[str, int]:
    """How many payouts wait for finance: to attest (due by `up_to`) and to put in a batch."""
    counts = dict(session.execute(
        select(Payout.status, func.count()).where(
            ((Payout.status == "planned") & (Payout.due_on <= up_to))
            | (Payout.status == "attested")).group_by(Payout.status)).all())
    return {"planned": counts.get("planned", 0), "attested": counts.get("attested", 0)}


def attest_problems(session: Session, user: User,
                    payouts: Sequence[Payout]) -> dict[int, str | None]:
    """Why `user` may not attest each payout (None where they may), in two queries."""
    if not payouts:
        return {}
    deciders = {row.id: {row.decided_by_id, row.presenter_id} for row in session.execute(
        select(Decision.id, Decision.decided_by_id, Decision.presenter_id)
        .where(Decision.id.in_({p.decision_id for p in payouts})))}
    jav = set(session.scalars(select(JavDeclaration.application_id).where(
        JavDeclaration.user_id == user.id,
        JavDeclaration.application_id.in_({p.application_id for p in payouts}))))
    return {p.id: _problem(user, p, deciders[p.decision_id], p.application_id in jav)
            for p in payouts}


def _problem(user: User, payout: Payout, deciders: set[int | None],
             jav: bool) -> str | None:
    number = payout.application.diarienummer
    if user.id in deciders:
        return f"{number}: du har berett eller beslutat ärendet och får inte attestera."
    if payout.application.organisation_id in user.organisation_ids:
        return f"{number}: du tillhör mottagaren och får inte attestera."
    if jav:
        return f"{number}: du har anmält jäv i ärendet."
    return None


def attest(session: Session, user: User, payout_ids: Iterable[int],
           now: datetime) -> list[Payout]:
    """Attest the given due payouts; all or nothing, each exactly once."""
    require_finance(user)
    ids = sorted(set(payout_ids))
    if not ids:
        raise Conflict("Välj minst en utbetalning att attestera.")
    payouts = list(session.scalars(select(Payout).where(Payout.id.in_(ids))
                                   .order_by(Payout.id).with_for_update(of=Payout)))
    if len(payouts) != len(ids):
        raise NotFound("Utbetalningen finns inte.")
    refusals = attest_problems(session, user, payouts)
    problems = [problem for payout in payouts
                if (problem := _state_problem(payout) or refusals[payout.id])]
    if problems:
        raise NotAllowed(" ".join(problems))
    changed = session.execute(
        update(Payout).where(Payout.id.in_(ids), Payout.status == "planned")
        .values(status="attested", attested_by_id=user.id, attested_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != len(ids):
        raise Conflict("Någon annan attesterade samtidigt. Ladda om sidan.")
    for payout in payouts:
        session.expire(payout, ["status", "attested_by_id", "attested_at"])  # set by the UPDATE
        record_event(session, "payout_attested",
                     f"Utbetalning {payout.tranche} attesterad: {kronor(payout.amount)}",
                     actor_id=user.id, instance_id=payout.application.process_instance_id,
                     details={"payout": payout.id, "reference": payout.reference})
    return payouts


def _state_problem(payout: Payout) -> str | None:
    number = payout.application.diarienummer
    if payout.status == "waiting":
        return f"{number}: villkoret för utbetalningen är inte uppfyllt ({payout.condition})."
    if payout.status != "planned":
        return f"{number}: utbetalning {payout.tranche} är redan attesterad eller utbetald."
    return None
