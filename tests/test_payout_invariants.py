"""Money invariants under concurrency and over random sequences of finance steps."""

import random

from sqlalchemy import func, select

from app.accounts.models import User, UserRole
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.formatting import STOCKHOLM
from app.grants import budget
from app.grants.models import RepaymentClaim
from app.payouts import attest, batches, claims, plans
from app.payouts.models import BatchItem, Payout, PayoutBatch
from app.payouts.reconcile import reconcile
from app.storage import storage_from_config
from tests.factories import user
from tests.test_concurrency import run_together
from tests.test_process_full import decided

THREADS = 6


def finance_users(session, count):
    """`count` finance officers: the demo's ekonomi and new colleagues."""
    names = ["ekonomi"] + [f"ekonomi{i}" for i in range(2, count + 1)]
    for name in names[1:]:
        session.add(User(username=name, display_name=name, email=f"{name}@huddinge.example",
                         password_hash="x", role_rows=[UserRole(role="ekonomi")]))
    session.commit()
    return names


def test_concurrent_batches_never_take_a_payout_twice(sessions, engine, demo):
    with sessions() as session:
        cases = [decided(session, engine) for _ in range(2)]
        ids = [p.id for c in cases for p in plans.payouts_of(session, c.id) if p.tranche == 1]
        attest.attest(session, user(session, "ekonomi"), ids, utcnow())
        session.commit()
        names = finance_users(session, THREADS)
    today = utcnow().astimezone(STOCKHOLM).date()

    def create(i):
        with sessions() as session:
            batch = batches.create_batch(
                session, storage_from_config(engine.config), engine.config,
                user(session, names[i]), execution_date=today, now=utcnow(),
                # half choose the payouts, half take "everything due up to today"
                payout_ids=ids if i % 2 else None, up_to=None if i % 2 else today)
            session.commit()
            return batch.number

    results = run_together(THREADS, create)
    made = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, Conflict | InvalidInput)]
    assert len(made) == 1 and len(refused) == THREADS - 1, results
    with sessions() as session:
        live = session.execute(select(BatchItem.payout_id, func.count()).where(BatchItem.live)
                               .group_by(BatchItem.payout_id)).all()
        assert sorted(live) == sorted((i, 1) for i in ids)
        assert session.scalar(select(func.count()).select_from(PayoutBatch)) == 1


def test_the_ledger_reconciles_after_random_finance_steps(sessions, engine, demo):
    rng = random.Random(20271)
    with sessions() as session:
        cases = [decided(session, engine) for _ in range(3)]
        round_id = cases[0].round_id
        finance = user(session, "ekonomi")
        today = utcnow().astimezone(STOCKHOLM).date()
        storage = storage_from_config(engine.config)
        steps = []
        for _ in range(40):
            step = rng.choice(["attest", "batch", "void", "paid", "conditions", "claim"])
            steps.append(step)
            try:
                _random_step(session, engine, storage, finance, cases, today, rng, step)
                session.commit()
            except (Conflict, InvalidInput):
                session.rollback()
            assert reconcile(session, round_id) == [], steps
            ledger = budget.ledger_for(session, round_id)
            paid = session.scalar(select(func.sum(Payout.amount)).where(
                Payout.status == "paid")) or 0
            assert ledger.paid == paid, steps
            assert ledger.granted == 270000 and ledger.remaining == (
                ledger.budget - 270000 + ledger.reclaimed)
        assert {"attest", "batch", "void", "paid", "claim"} <= set(steps)


def _random_step(session, engine, storage, finance, cases, today, rng, step):
    payouts = list(session.scalars(select(Payout).order_by(Payout.id)))
    exported = list(session.scalars(select(PayoutBatch).where(PayoutBatch.status == "exported")))
    if step == "attest":
        planned = [p.id for p in payouts if p.status == "planned"]
        if planned:
            attest.attest(session, finance, rng.sample(planned, rng.randint(1, len(planned))),
                          utcnow())
    elif step == "batch":
        ready = [p.id for p in payouts if p.status == "attested"]
        if ready:
            batches.create_batch(session, storage, engine.config, finance,
                                 execution_date=today, now=utcnow(),
                                 payout_ids=rng.sample(ready, rng.randint(1, len(ready))))
    elif step == "void" and exported:
        batches.void_batch(session, finance, rng.choice(exported).id, "Fel konto", utcnow())
    elif step == "paid" and exported:
        batches.mark_paid(session, engine, finance, rng.choice(exported).id, today, utcnow())
    elif step == "conditions":
        plans.meet_conditions(session, rng.choice(cases), utcnow(), actor_id=finance.id,
                              reason="test")
    elif step == "claim":
        case = rng.choice(cases)
        claimed = session.scalar(select(func.sum(RepaymentClaim.amount)).where(
            RepaymentClaim.application_id == case.id)) or 0
        room = plans.sent_amount(session, case.id) - claimed
        paid = sum(p.amount for p in plans.payouts_of(session, case.id) if p.status == "paid")
        if room > 0 and paid - claimed > 0:
            claim = RepaymentClaim(application_id=case.id, created_by_id=finance.id,
                                   amount=rng.randint(1, int(min(room, paid - claimed))),
                                   reason="Oförbrukat")
            session.add(claim)
            session.flush()
            claims.settle(session, finance, claim.id, today, utcnow())
