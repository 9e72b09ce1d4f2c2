"""The budget ledger: reserve, convert, release; never over-committed, also in parallel."""

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.db import utcnow
from app.engine.instances import OperationContext
from app.errors import Conflict, InvalidInput
from app.formatting import kronor
from app.grants import budget
from app.grants.ledger_models import LedgerEntry
from app.grants.models import Application, Round
from tests.factories import submitted_application, user
from tests.test_concurrency import run_together

D = Decimal


def make_applications(sessions, engine, count: int = 1, requested: int = 250000) -> list[int]:
    """Submit `count` applications asking for `requested` kronor each; return their ids."""
    data = {"sokt_belopp": requested, "budget": [{"post": "Arvoden", "belopp": requested}]}
    with sessions() as session:
        return [submitted_application(session, engine, **data).id for _ in range(count)]


def set_budget(sessions, amount) -> int:
    with sessions() as session:
        fund_round = session.scalars(select(Round)).one()
        fund_round.budget = D(amount)
        session.commit()
        return fund_round.id


def officer_id(sessions) -> int:
    with sessions() as session:
        return user(session, "handlaggare").id


def run(sessions, action, application_id: int, *args, **kwargs):
    """Run one budget operation in its own transaction and commit it."""
    with sessions() as session:
        application = session.get(Application, application_id)
        result = action(session, application, *args, **kwargs)
        session.commit()
        return result


def ledger(sessions, round_id: int) -> budget.Ledger:
    with sessions() as session:
        return budget.ledger_for(session, round_id)


def test_reserve_convert_release_arithmetic(sessions, engine, demo):
    first, second = make_applications(sessions, engine, 2)
    actor = officer_id(sessions)
    with sessions() as session:
        round_id = session.get(Application, first).round_id
    assert ledger(sessions, round_id) == budget.Ledger(
        D("10000000.00"), D(0), D(0), D(0), D(0), D(0), D("10000000.00"))

    run(sessions, budget.reserve, first, 250000, actor_id=actor)
    run(sessions, budget.reserve, second, D("200000.50"), actor_id=actor)
    now = ledger(sessions, round_id)
    assert (now.reserved, now.granted, now.remaining) == (
        D("450000.50"), D(0), D("9549999.50"))

    run(sessions, budget.convert_to_grant, first, 200000, actor_id=actor)
    now = ledger(sessions, round_id)
    assert (now.reserved, now.granted, now.remaining) == (
        D("200000.50"), D("200000.00"), D("9599999.50"))

    assert run(sessions, budget.release, second, actor_id=actor, reason="Återkallad") == \
        D("200000.50")
    now = ledger(sessions, round_id)
    assert (now.reserved, now.granted, now.remaining) == (D(0), D("200000"), D("9800000"))
    with sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("budget_%")).order_by(AuditEvent.id)).all()
        assert budget.check_ledger(session, round_id) == []
    assert actions == ["budget_reserved", "budget_reserved", "budget_granted",
                       "budget_released"]


def test_paid_and_reclaimed_follow_the_formula(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    actor = officer_id(sessions)
    run(sessions, budget.convert_to_grant, application_id, 250000, actor_id=actor)
    with sessions() as session:
        application = session.get(Application, application_id)
        for kind, amount in [("payout", "150000"), ("payout", "100000"), ("reclaim", "40000")]:
            session.add(LedgerEntry(round_id=application.round_id, application_id=application.id,
                                    kind=kind, amount=D(amount)))
        session.commit()
        assert budget.ledger_for(session, application.round_id) == budget.Ledger(
            budget=D("10000000"), reserved=D(0), granted=D("250000"), cancelled=D(0),
            paid=D("250000"), reclaimed=D("40000"), remaining=D("9790000"))
        assert budget.check_ledger(session, application.round_id) == []


def test_cancelled_grant_returns_to_the_fund_and_bounds_payouts(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    actor = officer_id(sessions)
    run(sessions, budget.convert_to_grant, application_id, 250000, actor_id=actor)
    run(sessions, budget.record_payout, application_id, 100000, actor_id=actor, note="1")
    with pytest.raises(Conflict, match="avbrutna beloppet"):  # only 150 000 is unpaid
        run(sessions, budget.record_grant_cancellation, application_id, 150001,
            actor_id=actor, note="återkrav")
    run(sessions, budget.record_grant_cancellation, application_id, 100000, actor_id=actor,
        note="återkrav")
    with pytest.raises(Conflict, match="Utbetalningen"):  # 250 000 − 100 000 − 100 000 left
        run(sessions, budget.record_payout, application_id, 50001, actor_id=actor, note="2")
    with sessions() as session:
        application = session.get(Application, application_id)
        figures = budget.ledger_for(session, application.round_id)
        assert (figures.granted, figures.cancelled, figures.paid) == (250000, 100000, 100000)
        assert figures.remaining == D("10000000") - 250000 + 100000
        assert budget.check_ledger(session, application.round_id) == []
        session.add(LedgerEntry(round_id=application.round_id, application_id=application.id,
                                kind="grant_cancellation", amount=D("60000")))  # by hand
        session.flush()
        assert any("avbrutet" in p for p in budget.check_ledger(session, application.round_id))
        session.rollback()


def test_reservation_beyond_remaining_is_refused(sessions, engine, demo):
    first, second = make_applications(sessions, engine, 2, requested=600000)
    round_id = set_budget(sessions, 1000000)
    actor = officer_id(sessions)
    run(sessions, budget.reserve, first, 600000, actor_id=actor)
    with pytest.raises(InvalidInput) as refused:
        run(sessions, budget.reserve, second, D("400000.01"), actor_id=actor)
    assert refused.value.errors == {
        "belopp": [f"Det finns bara {kronor(400000)} kvar i omgången."]}
    assert ledger(sessions, round_id).remaining == D("400000")
    run(sessions, budget.reserve, second, 400000, actor_id=actor)
    assert ledger(sessions, round_id).remaining == 0


def test_a_grant_beyond_remaining_and_reservation_is_refused(sessions, engine, demo):
    first, second = make_applications(sessions, engine, 2, requested=600000)
    round_id = set_budget(sessions, 1000000)
    actor = officer_id(sessions)
    run(sessions, budget.reserve, first, 300000, actor_id=actor)
    run(sessions, budget.reserve, second, 600000, actor_id=actor)
    with pytest.raises(InvalidInput) as refused:
        run(sessions, budget.convert_to_grant, first, 400001, actor_id=actor)
    assert refused.value.errors == {
        "belopp": [f"Det finns bara {kronor(400000)} kvar i omgången."]}
    run(sessions, budget.convert_to_grant, first, 400000, actor_id=actor)
    assert ledger(sessions, round_id).remaining == 0


@pytest.mark.parametrize("amount", [0, -5, "abc", None, "1.005", "NaN", "1e30"])
def test_bad_amounts_are_refused(sessions, engine, demo, amount):
    (application_id,) = make_applications(sessions, engine)
    with pytest.raises(InvalidInput) as refused:
        run(sessions, budget.reserve, application_id, amount, actor_id=None)
    assert list(refused.value.errors) == ["belopp"]


def test_more_than_requested_is_refused(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)  # requests 250 000
    with pytest.raises(InvalidInput) as refused:
        run(sessions, budget.reserve, application_id, 250001, actor_id=None)
    assert refused.value.errors == {
        "belopp": [f"Får vara högst det sökta beloppet ({kronor(250000)})."]}


def test_a_new_proposal_replaces_the_reservation(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    round_id = set_budget(sessions, 300000)
    actor = officer_id(sessions)
    run(sessions, budget.reserve, application_id, 250000, actor_id=actor)
    # 50 000 are left, yet 200 000 fit: the earlier reservation is given back first.
    run(sessions, budget.reserve, application_id, 200000, actor_id=actor)
    with sessions() as session:
        application = session.get(Application, application_id)
        assert budget.active_reservation(session, application) == D("200000")
        kinds = [e.kind for e in budget.entries_for(session, round_id)]
    assert kinds == ["reservation", "reservation_release", "reservation"]
    assert ledger(sessions, round_id).remaining == D("100000")


def test_release_is_idempotent(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    actor = officer_id(sessions)
    run(sessions, budget.reserve, application_id, 250000, actor_id=actor)
    assert run(sessions, budget.release, application_id, actor_id=actor, reason="x") == 250000
    assert run(sessions, budget.release, application_id, actor_id=actor, reason="x") == 0
    with sessions() as session:
        entries = budget.entries_for(session, session.get(Application, application_id).round_id)
        assert [e.kind for e in entries] == ["reservation", "reservation_release"]
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "budget_released")).all()
        assert len(events) == 1


def test_a_granted_application_cannot_be_granted_or_reserved_again(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    run(sessions, budget.convert_to_grant, application_id, 250000, actor_id=None)
    with pytest.raises(Conflict):
        run(sessions, budget.convert_to_grant, application_id, 1000, actor_id=None)
    with pytest.raises(Conflict):
        run(sessions, budget.reserve, application_id, 1000, actor_id=None)


def operation_context(session, application_id: int, actor_id: int) -> OperationContext:
    application = session.get(Application, application_id)
    return OperationContext(session, application.instance, actor_id, utcnow(), {})


def record_decision(sessions, application_id: int, actor_id: int, data: dict) -> dict:
    """Run the registrera_beslut operation (the step after the decision task) and commit."""
    from app.grants.operations import SERVICE_OPERATIONS

    with sessions() as session:
        ctx = operation_context(session, application_id, actor_id)
        result = SERVICE_OPERATIONS["registrera_beslut"](
            ctx, {"beslut_motivering": "Motiverat enligt kriterierna.", **data})
        session.commit()
        return result


def test_operations_reserve_then_avslag_releases(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    actor = officer_id(sessions)
    with sessions() as session:
        ctx = operation_context(session, application_id, actor)
        result = budget.BUDGET_OPERATIONS["reservera_budget"](ctx, {"forslag_belopp": 250000})
        session.commit()
    assert result == {"reserverat": "250000.00", "kvar": "9750000.00"}
    record_decision(sessions, application_id, demo["beslutsfattare"].id, {"beslut": "avslag"})
    with sessions() as session:
        application = session.get(Application, application_id)
        assert budget.active_reservation(session, application) == 0
        assert budget.ledger_for(session, application.round_id).remaining == D(10000000)
        ctx = operation_context(session, application_id, actor)
        assert budget.BUDGET_OPERATIONS["slapp_reservation"](ctx, {"beslut": "avslag"}) == {
            "slappt": "0.00", "kvar": "10000000.00"}
        summaries = session.scalars(select(AuditEvent.summary).where(
            AuditEvent.action == "budget_released")).all()
    assert summaries == [f"Reservation på {kronor(250000)} släppt: Avslag"]


def test_release_operation_frees_the_reservation(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    actor = officer_id(sessions)
    run(sessions, budget.reserve, application_id, 250000, actor_id=actor)
    with sessions() as session:
        ctx = operation_context(session, application_id, actor)
        assert budget.release_operation(ctx, {}) == {"slappt": "250000.00",
                                                     "kvar": "10000000.00"}
        session.commit()


def test_partial_grant_converts_the_reservation(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    actor = officer_id(sessions)
    with sessions() as session:
        ctx = operation_context(session, application_id, actor)
        budget.reserve_operation(ctx, {"forslag_belopp": "250000"})
        session.commit()
    record_decision(sessions, application_id, demo["beslutsfattare"].id,
                    {"beslut": "delvis_bifall", "beviljat_belopp": 200000})
    with sessions() as session:
        application = session.get(Application, application_id)
        assert budget.active_reservation(session, application) == 0
        now = budget.ledger_for(session, application.round_id)
        assert budget.check_ledger(session, application.round_id) == []
    assert (now.reserved, now.granted, now.remaining) == (0, D("200000"), D("9800000"))


def test_check_proposal_reports_without_writing(sessions, engine, demo):
    first, second = make_applications(sessions, engine, 2)
    set_budget(sessions, 300000)
    run(sessions, budget.reserve, first, 250000, actor_id=None)
    with sessions() as session:
        application = session.get(Application, second)
        with pytest.raises(InvalidInput) as refused:
            budget.check_proposal(session, application, 60000)
        budget.check_proposal(session, application, 50000)
        assert refused.value.errors["belopp"] == [
            f"Det finns bara {kronor(50000)} kvar i omgången."]
        assert len(budget.entries_for(session, application.round_id)) == 1


def test_check_ledger_finds_broken_invariants(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    with sessions() as session:
        application = session.get(Application, application_id)
        round_id = application.round_id
        session.add_all([
            LedgerEntry(round_id=round_id, application_id=application_id,
                        kind="reservation_release", amount=D(5)),
            LedgerEntry(round_id=round_id, application_id=application_id, kind="grant",
                        amount=D("10000010")),
        ])
        session.flush()
        problems = budget.check_ledger(session, round_id)
    assert len(problems) == 3, problems
    assert problems[0].startswith(f"Omgång {round_id}: kvar är negativt")
    assert "negativ reservation" in problems[1]
    assert "mer än sökt" in problems[2]


# -- concurrency --------------------------------------------------------------------------

THREADS = 8


def test_parallel_proposals_never_overcommit(sessions, engine, demo):
    ids = make_applications(sessions, engine, THREADS, requested=300000)
    round_id = set_budget(sessions, 1000000)
    actor = officer_id(sessions)

    results = run_together(THREADS, lambda i: run(sessions, budget.reserve, ids[i], 300000,
                                                 actor_id=actor))
    winners = [r for r in results if isinstance(r, LedgerEntry)]
    losers = [r for r in results if isinstance(r, InvalidInput)]
    assert (len(winners), len(losers)) == (3, THREADS - 3), results
    assert all(list(e.errors) == ["belopp"] for e in losers)
    now = ledger(sessions, round_id)
    assert (now.reserved, now.remaining) == (D("900000"), D("100000"))
    with sessions() as session:
        assert budget.check_ledger(session, round_id) == []


def test_parallel_reproposals_of_one_application_leave_one_reservation(sessions, engine, demo):
    (application_id,) = make_applications(sessions, engine)
    round_id = set_budget(sessions, 1000000)
    amounts = [D(100000 + 10000 * i) for i in range(THREADS)]

    results = run_together(THREADS, lambda i: run(sessions, budget.reserve, application_id,
                                                 amounts[i], actor_id=None))
    assert all(isinstance(r, LedgerEntry) for r in results), results
    with sessions() as session:
        application = session.get(Application, application_id)
        held = budget.active_reservation(session, application)
        assert budget.check_ledger(session, round_id) == []
    last = max(results, key=lambda entry: entry.id)
    assert held == last.amount
    assert ledger(sessions, round_id).remaining == D(1000000) - held


# -- randomized ---------------------------------------------------------------------------

class Model:
    """What the ledger should say, computed without the database."""

    def __init__(self, budget_: Decimal, requested: dict[int, Decimal]):
        self.budget = budget_
        self.requested = requested
        self.held: dict[int, Decimal] = defaultdict(Decimal)
        self.granted: dict[int, Decimal] = defaultdict(Decimal)
        self.paid: dict[int, Decimal] = defaultdict(Decimal)
        self.reclaimed: dict[int, Decimal] = defaultdict(Decimal)
        self.cancelled: dict[int, Decimal] = defaultdict(Decimal)

    def remaining(self) -> Decimal:
        return (self.budget - sum(self.held.values()) - sum(self.granted.values())
                + sum(self.cancelled.values()) + sum(self.reclaimed.values()))

    def unpaid(self, app: int) -> Decimal:
        return self.granted[app] - self.paid[app] - self.cancelled[app]

    def expect(self, op: str, app: int, amount: Decimal):
        """Return the expected error class, or None after applying the operation."""
        if op in ("reserve", "convert"):
            if self.granted[app]:
                return Conflict
            available = self.remaining() + self.held[app]
            if amount > self.requested[app] or amount > available:
                return InvalidInput
            self.held[app] = D(0)
            (self.held if op == "reserve" else self.granted)[app] = amount
        elif op == "release":
            self.held[app] = D(0)
        elif op == "payout":
            self.paid[app] += amount
        elif op == "reclaim":
            self.reclaimed[app] += amount
        elif op == "cancel":
            if amount > self.unpaid(app):
                return Conflict
            self.cancelled[app] += amount
        return None


def direct_entry(session, application, kind: str, amount: Decimal) -> LedgerEntry:
    entry = LedgerEntry(round_id=application.round_id, application_id=application.id, kind=kind,
                        amount=amount)
    session.add(entry)
    return entry


def test_random_operations_keep_the_ledger_sound(sessions, engine, demo):
    rng = random.Random(20270101)
    requested = [200000, 300000, 400000, 250000, 500000]
    ids = [make_applications(sessions, engine, requested=r)[0] for r in requested]
    round_id = set_budget(sessions, 1200000)
    model = Model(D(1200000), {i: D(r) for i, r in zip(ids, requested, strict=True)})
    outcomes: dict[str, int] = defaultdict(int)

    for _ in range(200):
        op = rng.choice(["reserve", "reserve", "reserve", "release", "convert", "payout",
                         "reclaim", "cancel"])
        app = rng.choice(ids)
        amount = D(rng.randrange(1, 60)) * 10000 + D(rng.randrange(0, 100)) / 100
        if op == "payout":  # the payout module's rules, kept here so the data stays sane
            amount = min(amount, model.unpaid(app))
        if op == "reclaim":
            amount = min(amount, model.paid[app] - model.reclaimed[app])
        if op in ("payout", "reclaim") and amount <= 0:
            continue
        expected = model.expect(op, app, amount)
        with sessions() as session:
            application = session.get(Application, app)
            try:
                if op == "reserve":
                    budget.reserve(session, application, amount, actor_id=None)
                elif op == "convert":
                    budget.convert_to_grant(session, application, amount, actor_id=None)
                elif op == "release":
                    budget.release(session, application, actor_id=None, reason="test")
                elif op == "cancel":
                    budget.record_grant_cancellation(session, application, amount,
                                                     actor_id=None, note="test")
                else:
                    direct_entry(session, application, op, amount)
                session.commit()
                outcome = None
            except (InvalidInput, Conflict) as err:
                session.rollback()
                outcome = type(err)
        assert outcome is expected, (op, app, amount)
        outcomes[f"{op} {outcome.__name__ if outcome else 'ok'}"] += 1

    # Every kind of outcome happened, so the run tested something.
    assert {"reserve ok", "reserve InvalidInput", "reserve Conflict", "convert ok",
            "release ok", "payout ok", "reclaim ok", "cancel ok",
            "cancel Conflict"} <= set(outcomes), outcomes
    with sessions() as session:
        assert budget.check_ledger(session, round_id) == []
        entries = budget.entries_for(session, round_id)
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for entry in entries:
            sums[entry.kind] += entry.amount
        reserved = sums["reservation"] - sums["reservation_release"]
        recomputed = budget.Ledger(
            budget=D(1200000), reserved=reserved, granted=sums["grant"],
            cancelled=sums["grant_cancellation"], paid=sums["payout"],
            reclaimed=sums["reclaim"],
            remaining=(D(1200000) - reserved - sums["grant"] + sums["grant_cancellation"]
                       + sums["reclaim"]))
        assert budget.ledger_for(session, round_id) == recomputed
        assert recomputed.remaining == model.remaining() >= 0
        assert recomputed.reserved == sum(model.held.values())
        assert recomputed.granted == sum(model.granted.values())
        for app in ids:
            application = session.get(Application, app)
            assert budget.active_reservation(session, application) == model.held[app]
