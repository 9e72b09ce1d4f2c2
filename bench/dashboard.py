"""The fund overview at scale: p50/p95 of /oversikt (and one table's XLSX) with N cases.

    .venv/bin/python bench/dashboard.py [--cases 10000] [--requests 20] [--database-url URL]

A simple generator writes N submitted cases straight into a fresh database (SQLite in a temp
file unless --database-url names an empty one): each with a process instance, two tasks (one
done, one open, some overdue), two to three facts (district, kind, measure), one indicator,
and for every second case a decision, a grant and a payout in the ledger. Then the page is
requested through the Flask test client as the demo officer, after one warm-up request (the
charts are drawn once per distinct figures and kept, so the warm-up pays for vl-convert).
Prints the generator's time and p50/p95 in ms, once with the figures computed for every
request (the aggregate queries; they grow with N inside the database, never in Python) and
once with the figures kept (app/overview/cache.py: nothing changed since, so one lookup).
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.db import Base, make_engine  # noqa: E402
from app.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.effects.models import CaseFact, CaseIndicator  # noqa: E402
from app.effects.seed import KOMMUNDELAR  # noqa: E402
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion  # noqa: E402
from app.formatting import local_today  # noqa: E402
from app.grants.ledger_models import LedgerEntry  # noqa: E402
from app.grants.models import Application, Decision, Organisation, Round  # noqa: E402
from app.overview.cache import forget_all  # noqa: E402

KINDS = ("social", "situationell")
MEASURES = ("nattvandring", "trygghetsvardar", "belysning", "rojning", "fritidsaktiviteter")
STEPS = ("Formell kontroll", "Bedömning", "Beredning", "Beslut")
BATCH = 2000


def generate(session, cases: int) -> None:
    """Write `cases` submitted cases in batches (core inserts, no engine)."""
    rng = random.Random(16)
    fund_round = session.scalars(select(Round)).first()
    organisations = session.scalars(select(Organisation.id)).all()
    officer = session.scalar(select(User.id).where(User.username == "handlaggare"))
    version = session.scalars(select(ProcessVersion)).first()
    now = datetime.now(UTC)
    first_id = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    for start in range(0, cases, BATCH):
        ids = range(first_id + start, first_id + min(start + BATCH, cases))
        rows = {name: [] for name in ("instances", "apps", "tasks", "facts", "indicators",
                                      "decisions", "ledger")}
        for n in ids:
            created = now - timedelta(days=rng.randint(1, 300))
            granted = n % 2 == 0
            amount = Decimal(rng.randrange(20_000, 500_000, 1000))
            rows["instances"].append({"id": n, "process_version_id": version.id,
                                      "process_id": version.process_id, "state": "",
                                      "data": {}, "created_at": created, "updated_at": created})
            rows["apps"].append({"id": n, "round_id": fund_round.id,
                                 "organisation_id": rng.choice(organisations),
                                 "process_instance_id": n, "diarienummer": f"BENCH-{n}",
                                 "title": f"Insats {n}", "requested_amount": amount,
                                 "granted_amount": amount if granted else None,
                                 "status": "Pågår", "created_by_id": officer,
                                 "created_at": created, "submitted_at": created,
                                 "registered_at": created,
                                 "decided_at": created + timedelta(days=30) if granted else None})
            step = rng.choice(STEPS)
            rows["tasks"] += [
                {"id": f"{n:08d}-0000-0000-0000-000000000001", "instance_id": n,
                 "task_name": "t1", "title": "Formell kontroll", "created_at": created,
                 "completed_at": created + timedelta(hours=rng.randint(1, 400)),
                 "outcome": "completed"},
                {"id": f"{n:08d}-0000-0000-0000-000000000002", "instance_id": n,
                 "task_name": "t2", "title": step, "created_at": created,
                 "due_at": created + timedelta(days=rng.randint(1, 60))}]
            rows["facts"] += [{"application_id": n, "kind": "district",
                               "value": rng.choice(KOMMUNDELAR)},
                              {"application_id": n, "kind": "prevention_kind",
                               "value": rng.choice(KINDS)},
                              {"application_id": n, "kind": "measure_type",
                               "value": rng.choice(MEASURES)}]
            rows["indicators"].append({"application_id": n, "position": 0, "name": "Trygghet",
                                       "baseline": "50 %", "target": "60 %",
                                       "outcome": "62 %" if granted else None,
                                       "reached": True if granted else None})
            if granted:
                rows["decisions"].append({"application_id": n, "outcome": "bifall",
                                          "amount": amount, "motivation": "",
                                          "decided_by_id": officer, "level": "delegat",
                                          "decided_at": created + timedelta(days=30)})
                rows["ledger"] += [{"round_id": fund_round.id, "application_id": n,
                                    "kind": kind, "amount": amount,
                                    "created_at": created + timedelta(days=days)}
                                   for kind, days in (("grant", 30), ("payout", 60))]
        for model, key in ((ProcessInstance, "instances"), (Application, "apps"),
                           (HumanTask, "tasks"), (CaseFact, "facts"),
                           (CaseIndicator, "indicators"), (Decision, "decisions"),
                           (LedgerEntry, "ledger")):
            if rows[key]:
                session.execute(insert(model), rows[key])
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='tf-bench-')}/bench.db"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "ENVIRONMENT": "development", "WTF_CSRF_ENABLED": False,
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="tf-bench-up-")})
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
        app.extensions["engine"].versions.current_version(session, "trygghetsfond")
        session.commit()
        started = time.perf_counter()
        generate(session, args.cases)
        print(f"generated {args.cases} cases in {time.perf_counter() - started:.1f} s "
              f"({url.split(':')[0]})")
    client = app.test_client()
    client.post("/logga-in", data={"username": "handlaggare", "password": DEMO_PASSWORD})
    for path in ("/oversikt", "/oversikt?fran=2026-01-01", "/oversikt/kommundelar.xlsx"):
        assert client.get(path).status_code == 200, path  # warm-up: charts drawn and kept
        for label, forget in (("queries run", True), ("kept figures", False)):
            times = []
            for _ in range(args.requests):
                if forget:
                    forget_all()
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            print(f"{path} ({label}): p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms "
                  f"({args.requests} requests, {args.cases} cases)")

if __name__ == "__main__":
    main()
