"""Process map benchmark: what the case's process map costs a case page, and that the cost does
not grow with the number of cases.

    .venv/bin/python bench/process_map.py [--repeat 30] [--extra 300] [--json]

On a fresh SQLite database (temp file) with the demo data (ten cases in different phases,
made by driving the process), it times for every demo case `case_map()` (load the instance's
state, deserialize the workflow, read its human tasks, compute each element's state and the
flows taken) and the two routes the viewer fetches (`processkarta.json`, `processkarta.bpmn`)
and the whole case page through Flask's test client, as the officer. It counts the SQL
statements of one `case_map()`. Then it adds `--extra` submitted cases and measures again:
the figures should stay the same (one case's map reads one instance and its task rows).
Prints median and p95 milliseconds.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.db import Base, make_engine, utcnow  # noqa: E402
from app.demo import load_demo, load_demo_cases  # noqa: E402
from app.formatting import local_today  # noqa: E402
from app.grants import applications  # noqa: E402
from app.grants.case_map import case_map  # noqa: E402
from app.grants.models import Application, Round  # noqa: E402
from tests.factories import application_data  # noqa: E402


def timed(function, repeat: int) -> dict:
    """Median and p95 milliseconds of `repeat` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2)}


def add_cases(app, count: int) -> None:
    """Submit `count` more applications through the engine (the applicant's real steps)."""
    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    with sessions() as session:
        applicant = session.scalars(select(User).where(User.username == "sokande")).one()
        round_id = session.scalars(select(Round.id)).first()
        for _ in range(count):
            application = applications.start_application(session, engine, applicant, round_id,
                                                         local_today())
            task = next(t for t in application.instance.open_tasks)
            applications.complete_task(session, engine, applicant, task.id, application_data(),
                                       local_today())
            session.commit()


def measure(app, repeat: int) -> dict:
    """Time the map of every demo case, and its routes and page, as the officer."""
    engine, sessions = app.extensions["engine"], app.extensions["sessions"]
    statements = []
    event.listen(app.extensions["db_engine"], "before_cursor_execute",
                 lambda *args: statements.append(1))
    client = app.test_client()
    client.post("/logga-in", data={"username": "handlaggare", "password": "demo1234"})
    results = {}
    with sessions() as session:
        officer = session.scalars(select(User).where(User.username == "handlaggare")).one()
        cases = session.scalars(select(Application).where(Application.submitted_at.is_not(None))
                                .order_by(Application.id).limit(10)).all()
        maps, counts = [], []
        for application in cases:
            def one(application=application):
                session.expire_all()
                case_map(session, engine, officer, application, utcnow(), "sv")
            maps.append(timed(one, repeat)["median_ms"])
            statements.clear()
            one()
            counts.append(len(statements))
        results["case_map_median_ms_by_case"] = maps
        results["case_map_statements"] = sorted(set(counts))
        ids = [a.id for a in cases]
    for name, path in (("json", "/ansokningar/{}/processkarta.json"),
                       ("bpmn", "/ansokningar/{}/processkarta.bpmn"),
                       ("case_page", "/ansokningar/{}")):
        results[name] = timed(lambda path=path: [client.get(path.format(i)) for i in ids],
                              repeat // 3 or 1)
        results[name] = {k: round(v / len(ids), 2) for k, v in results[name].items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--extra", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tf-bench-map-") as folder:
        url = f"sqlite:///{folder}/map.db"
        db_engine = make_engine(url)
        Base.metadata.create_all(db_engine)
        db_engine.dispose()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench",
                          "ENVIRONMENT": "development", "WTF_CSRF_ENABLED": False})
        with app.extensions["sessions"]() as session:
            load_demo(session, local_today())
            session.commit()
            load_demo_cases(session, app.extensions["engine"], local_today())
            session.commit()
        report = {"demo": measure(app, args.repeat)}
        add_cases(app, args.extra)
        report[f"demo+{args.extra}"] = measure(app, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for label, figures in report.items():
        print(f"{label}:")
        print(f"  case_map() per case, median ms: {figures['case_map_median_ms_by_case']}"
              f"  ({figures['case_map_statements']} SQL statements)")
        for name in ("json", "bpmn", "case_page"):
            print(f"  GET {name:9} per request: median {figures[name]['median_ms']} ms,"
                  f" p95 {figures[name]['p95_ms']} ms")


if __name__ == "__main__":
    main()
