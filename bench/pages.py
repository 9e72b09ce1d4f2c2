"""Pages at scale: p50/p95 of every staff and applicant page with N cases, served by gunicorn.

    .venv/bin/python bench/pages.py [--cases 100000] [--requests 20] [--backends sqlite postgres]
                                    [--page-seconds 30] [--steps 5] [--concurrency 1 8]

For each backend (SQLite in a temp file; PostgreSQL in a throwaway database, admin URL from
TF_TEST_POSTGRES_URL as in tests/conftest.py):

1. The generator (tests/population.py): the demo's users and fund, then a SAMPLE of cases made
   through the real operations (make_sample: one case in every state and one at beredning,
   with their letters, payouts, batches, messages and audit events), then faithful copies of
   every row that belongs to them (multiply: keys shifted, unique text suffixed, times spread
   over ten years, the round's budget and running totals in proportion), first up to 1 000
   cases, then up to N (copies of those a minute apart: still ten years). Statistics are
   refreshed after each (ANALYZE), as autovacuum would.
2. The cost of completing beredning and beslut (the steps that take the round's lock), at
   1 000 cases and at N: `--steps` new cases are taken to beredning through the real
   operations, then each step is completed and timed in a new session, as a request does.
3. EXPLAIN of every SELECT of every page (captured in-process through the Flask test client),
   printed as the indexes each page's queries use and the tables they scan whole.
4. gunicorn with 2 workers serves the app; every demo user logs in through the login form;
   each page is requested `--requests` times at concurrency 1 and at 8 (8 threads, each
   with its own keep-alive connection), after one warm-up request. A page that has taken
   `--page-seconds` stops early (its n is printed). The trivial page (/tillganglighet, no
   database) is the baseline; the ratio is a page's p95 over the trivial page's p95.
5. Peak RSS (VmHWM) of each web worker after all requests.

The last line is `worst p95 at N cases: X ms (PostgreSQL, concurrency 1)` (SQLite when
PostgreSQL is not run). The machine running this may be shared: figures are noisy then.
"""

import argparse
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.db import Base, make_engine  # noqa: E402
from app.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.formatting import local_today  # noqa: E402
from app.grants import applications  # noqa: E402
from app.grants.models import Application  # noqa: E402
from tests.factories import (  # noqa: E402
    decision_data,
    open_task,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)
from tests.population import make_sample, multiply, pages_by_user  # noqa: E402
from tests.postgres import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

TRIVIAL = "/tillganglighet"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PORT = 8765


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--page-seconds", type=float, default=30.0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"],
                        choices=["sqlite", "postgres"])
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 8],
                        help="1 must be among them (the last line's figure)")
    args = parser.parse_args()
    worst: dict[str, float] = {}
    for backend in args.backends:
        if backend == "postgres" and not postgres_reachable():
            print("PostgreSQL is not reachable (TF_TEST_POSTGRES_URL): skipped")
            continue
        worst[backend] = run_backend(backend, args)
    name, backend = (("PostgreSQL", "postgres") if "postgres" in worst
                     else ("SQLite", "sqlite"))
    if backend in worst:
        print(f"worst p95 at {args.cases} cases: {worst[backend]:.0f} ms "
              f"({name}, concurrency 1)")


def run_backend(backend: str, args) -> float:
    """Build, measure and serve one database; return the worst p95 at concurrency 1."""
    url = (f"sqlite:///{tempfile.mkdtemp(prefix='tf-pages-')}/bench.db" if backend == "sqlite"
           else create_postgres_database("tf_bench_pages"))
    print(f"\n=== {backend}: {args.cases} cases ===", flush=True)
    try:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                          "ENVIRONMENT": "development",
                          "UPLOAD_DIR": tempfile.mkdtemp(prefix="tf-pages-files-")})
        pages = build(app, args.cases, args.steps)
        statements = explain_pages(app, pages)
        app.extensions["db_engine"].dispose()
        return serve_and_measure(url, pages, statements, args)
    finally:
        if backend == "postgres":
            drop_postgres_database(url)


# -- 1 and 2: the generator and the steps under the round's lock -----------------------------

def build(app, cases: int, steps: int) -> dict[str, list[str]]:
    sessions, engine = app.extensions["sessions"], app.extensions["engine"]
    started = time.perf_counter()
    with sessions() as session:
        load_demo(session, local_today())
        session.commit()
        make_sample(session, engine)
        pages = pages_by_user(session)
    print(f"sample: {count_cases(sessions)} cases through the real operations "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    step_costs = {}
    for target in sorted({min(1000, cases), cases}):
        grow_to(app, target)
        step_costs[count_cases(sessions)] = time_steps(app, steps)
    print("\ncompleting a step that takes the round's lock (median of "
          f"{steps}; ms and SQL statements):")
    print(f"  {'cases':>8} {'beredning ms':>13} {'stmts':>6} {'beslut ms':>10} {'stmts':>6}")
    for size, costs in step_costs.items():
        print(f"  {size:>8} {costs['beredning'][0]:>13.1f} {costs['beredning'][1]:>6} "
              f"{costs['beslut'][0]:>10.1f} {costs['beslut'][1]:>6}")
    return pages


def count_cases(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count(Application.id)))


def grow_to(app, target: int) -> None:
    sessions, db_engine = app.extensions["sessions"], app.extensions["db_engine"]
    now = count_cases(sessions)
    copies = max(round(target / now) - 1, 0)
    started = time.perf_counter()
    # The first growth spreads the sample over ten years; later growth keeps that spread
    # (copies a minute apart), so every month holds about as many cases as any other.
    step = None if now < 100 else timedelta(minutes=1)
    if copies:
        with db_engine.begin() as connection:
            added = multiply(connection, copies, step)
    else:
        added = {}
    with db_engine.connect() as connection:  # statistics, as autovacuum would keep them
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    rows = sum(added.values())
    print(f"copies: {count_cases(sessions)} cases, {rows} rows added "
          f"({', '.join(f'{t} {n}' for t, n in sorted(added.items(), key=lambda x: -x[1])[:6])}"
          f" …) in {time.perf_counter() - started:.1f} s", flush=True)


def time_steps(app, count: int) -> dict[str, tuple[float, int]]:
    """Take `count` new cases to beredning, then complete beredning and beslut in each."""
    sessions, engine = app.extensions["sessions"], app.extensions["engine"]
    cases = []
    with sessions() as session:
        for _ in range(count):
            case = submitted_application(session, engine, sokt_belopp=90000,
                                         budget=[{"post": "Arvoden", "belopp": 90000}])
            to_review(session, engine, case)
            review_all(session, engine, case)
            cases.append(case.id)
    costs: dict[str, list[tuple[float, int]]] = {"beredning": [], "beslut": []}
    for case_id in cases:
        for name, data, who in (("beredning", proposal_data("bifall", 90000), "handlaggare"),
                                ("beslut", decision_data("bifall", 90000), "beslutsfattare")):
            costs[name].append(timed_step(app, case_id, name, data, who))
    return {name: (statistics.median(ms for ms, _ in found),
                   int(statistics.median(n for _, n in found)))
            for name, found in costs.items()}


def timed_step(app, case_id: int, task_name: str, data: dict, username: str):
    sessions, engine = app.extensions["sessions"], app.extensions["engine"]
    with sessions() as session:
        task_id = open_task(session, session.get(Application, case_id), task_name).id
    statements = []

    def count(*_args):
        statements.append(1)

    db_engine = app.extensions["db_engine"]
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        assert user.roles
        event.listen(db_engine, "before_cursor_execute", count)
        started = time.perf_counter()
        try:
            applications.complete_task(session, engine, user, task_id, data, local_today())
            session.commit()
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            event.remove(db_engine, "before_cursor_execute", count)
    return elapsed, len(statements)


# -- 3: EXPLAIN ------------------------------------------------------------------------------

def explain_pages(app, pages: dict[str, list[str]]) -> dict[tuple[str, str], int]:
    """Print the indexes and whole-table scans of every page's SELECTs; return the number of
    statements of each page."""
    from tests.conftest import login

    db_engine = app.extensions["db_engine"]
    postgres = db_engine.dialect.name == "postgresql"
    counts = {}
    print("\nEXPLAIN of every page's queries (indexes used, without primary keys and small "
          "tables; tables scanned whole):")
    for username, paths in pages.items():
        client = app.test_client()
        login(client, username)
        for path in paths:
            captured: list[tuple[str, object]] = []

            def capture(_conn, _cursor, statement, parameters, *_args, captured=captured):
                captured.append((statement, parameters))

            event.listen(db_engine, "before_cursor_execute", capture)
            try:
                status = client.get(path).status_code
            finally:
                event.remove(db_engine, "before_cursor_execute", capture)
            counts[username, path] = len(captured)
            indexes, scans, failed = set(), set(), []
            with db_engine.connect() as connection:
                for statement, parameters in captured:
                    if not statement.lstrip().upper().startswith("SELECT"):
                        continue
                    try:
                        found, whole = (_pg_plan if postgres else _sqlite_plan)(
                            connection, statement, parameters)
                    except Exception as err:  # printed: the page fails too
                        failed.append(str(err).splitlines()[0][:80])
                        connection.rollback()
                        continue
                    indexes |= found
                    scans |= whole
            print(f"  {username:<14} {path[:44]:<44} {len(captured):>3} stmts  "
                  f"indexes: {', '.join(sorted(indexes)) or '-'}"
                  + (f"  SCANS: {', '.join(sorted(scans))}" if scans else "")
                  + (f"  HTTP {status}" if status != 200 else "")
                  + (f"  EXPLAIN FAILED: {'; '.join(failed)}" if failed else ""), flush=True)
    return counts


def _pg_plan(connection, statement, parameters) -> tuple[set, set]:
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    indexes, scans = set(), set()

    def walk(node):
        if "Index Name" in node and _worth_printing(node["Index Name"],
                                                     node.get("Relation Name", "")):
            indexes.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") not in SMALL:
            scans.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return indexes, scans


def _sqlite_plan(connection, statement, parameters) -> tuple[set, set]:
    raw = connection.connection.dbapi_connection
    rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    indexes, scans = set(), set()
    for row in rows:
        detail = row[-1]
        words = detail.split()
        table = re.sub(r"_\d+$", "", words[1]) if len(words) > 1 else ""  # alias users_1
        match = re.search(r"USING (?:COVERING )?INDEX (\w+)", detail)
        if match and _worth_printing(match.group(1), table):
            indexes.add(match.group(1))
        elif detail.startswith("SCAN ") and "USING" not in detail and table not in SMALL:
            scans.add(table)
    return indexes, scans


def _worth_printing(index: str, table: str) -> bool:
    """Leave out primary keys and the small tables' indexes: the list shows the indexes that
    keep a page from reading history."""
    small = table in SMALL or any(index.startswith(f"sqlite_autoindex_{name}_")
                                  for name in SMALL)
    return not (small or index.startswith("pk_") or index.endswith("_pkey"))


# Tables that stay small whatever the number of cases: scanning them whole is fine.
SMALL = {"users", "user_roles", "organisations", "funds", "rounds", "process_versions",
         "diarie_sequences", "group_mappings", "round_balances", "user_sessions",
         "login_throttles", "user_identities", "account_tokens", "sso_groups"}


# -- 4 and 5: gunicorn -----------------------------------------------------------------------

def serve_and_measure(url: str, pages, statements, args) -> float:
    env = {**os.environ, "TF_DATABASE_URL": url, "TF_ENVIRONMENT": "development",
           "TF_SECRET_KEY": secrets.token_hex(32), "WEB_CONCURRENCY": "2",
           "GUNICORN_BIND": f"127.0.0.1:{PORT}",
           "TF_UPLOAD_DIR": tempfile.mkdtemp(prefix="tf-pages-files-"),
           "PYTHONPATH": str(ROOT)}
    log = open(tempfile.mktemp(prefix="tf-pages-gunicorn-", suffix=".log"), "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
         "app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until_up()
        workers = worker_pids(server.pid)
        rss_start = {pid: rss_mb(pid, "VmRSS") for pid in workers}
        cookies = {username: log_in(username) for username in pages}
        results = []
        trivial = measure(cookies["admin"], TRIVIAL, args)
        print_heading(trivial)
        for username, paths in pages.items():
            for path in paths:
                try:
                    results.append((username, path, measure(cookies[username], path, args)))
                except PageFailed as err:
                    print(f"{username:<14} {path[:44]:<44} FAILED: {err}", flush=True)
                    continue
                print_row(trivial, *results[-1], statements)
        print("\npeak RSS of the web workers (MB): " + ", ".join(
            f"pid {pid}: start {rss_start[pid]:.0f}, peak {rss_mb(pid, 'VmHWM'):.0f}, "
            f"now {rss_mb(pid, 'VmRSS'):.0f}" for pid in workers))
        return max(r["c1"][1] for _u, _p, r in results)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
        print(f"(gunicorn log: {log.name})")


def wait_until_up() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            connection.request("GET", TRIVIAL)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if len(children) >= 2:
            return [int(pid) for pid in children]
        time.sleep(0.2)
    return [int(pid) for pid in children]


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def log_in(username: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    connection.request("GET", "/logga-in")
    response = connection.getresponse()
    cookie = _cookie(response)
    token = CSRF_RE.search(response.read().decode()).group(1)
    body = urlencode({"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    connection.request("POST", "/logga-in", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"{username} could not log in ({response.status})")
    return _cookie(response) or cookie


def _cookie(response) -> str:
    return "; ".join(value.split(";")[0] for name, value in response.getheaders()
                     if name.lower() == "set-cookie")


def measure(cookie: str, path: str, args) -> dict:
    """p50/p95 (ms), n and size at concurrency 1 and 8."""
    result = {}
    get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=120), path, cookie)  # warm-up
    for concurrency in args.concurrency:
        times: list[float] = []
        sizes: list[int] = []
        deadline = time.monotonic() + args.page_seconds
        per_thread = max(args.requests // concurrency, 1) if concurrency > 1 else args.requests

        def worker(times=times, sizes=sizes, deadline=deadline, per_thread=per_thread):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            for _ in range(per_thread):
                if time.monotonic() > deadline:
                    return
                elapsed, size = get(connection, path, cookie)
                times.append(elapsed)
                sizes.append(size)

        if concurrency == 1:
            worker()
        else:
            threads = [threading.Thread(target=worker) for _ in range(concurrency)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        result[f"c{concurrency}"] = (statistics.median(times), _p95(times), len(times))
        result["size"] = max(sizes)
    return result


class PageFailed(Exception):
    """A page answered with an error: printed in its row, and the bench goes on."""


def get(connection, path: str, cookie: str) -> tuple[float, int]:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise PageFailed(f"HTTP {response.status} after {elapsed:.0f} ms")
    return elapsed, len(body)


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def print_heading(trivial) -> None:
    c8 = trivial.get("c8", (float("nan"), float("nan"), 0))
    print(f"\ntrivial page {TRIVIAL}: p50 {trivial['c1'][0]:.1f} ms, p95 {trivial['c1'][1]:.1f} "
          f"ms (concurrency 8: p50 {c8[0]:.1f}, p95 {c8[1]:.1f})")
    print(f"\n{'user':<14} {'page':<44} {'c1 p50':>7} {'p95':>7} {'n':>3} {'×triv':>6} "
          f"{'c8 p50':>7} {'p95':>7} {'n':>3} {'KB':>7} {'stmts':>5}", flush=True)


def print_row(trivial, username: str, path: str, r: dict, statements) -> None:
    c8 = r.get("c8", (float("nan"), float("nan"), 0))
    print(f"{username:<14} {path[:44]:<44} {r['c1'][0]:>7.1f} {r['c1'][1]:>7.1f} "
          f"{r['c1'][2]:>3} {r['c1'][1] / trivial['c1'][1]:>6.1f} {c8[0]:>7.1f} "
          f"{c8[1]:>7.1f} {c8[2]:>3} {r['size'] / 1024:>7.0f} "
          f"{statements.get((username, path), 0):>5}", flush=True)


if __name__ == "__main__":
    main()
