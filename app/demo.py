"""Demo data: Huddinge's nämnder and bolag, one user per role, and each fund's demo (its
round and cases, processes/<process id>/demo.json)."""

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.users import create_user
from app.audit import record_event
from app.config import DEFAULTS
from app.effects.seed import ensure_reference_lists
from app.grants.funds import create_fund
from app.grants.models import Fund, Organisation
from app.grants.organisations import create_organisation
from app.grants.rounds import open_round

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the demo on purpose
TODAY = "@today"  # a date in a demo file: "@today" or "@today+N" (N days from today)

# name, ansvar/kostnadsställe (internal transfers)
NAMNDER = [
    ("Kommunstyrelsen", "1000"), ("Kultur- och fritidsnämnden", "4200"),
    ("Socialnämnden", "3100"), ("Gymnasienämnden", "2300"), ("Grundskolenämnden", "2200"),
    ("Natur- och byggnadsnämnden", "5100"), ("Förskolenämnden", "2100"),
]
# name, organisationsnummer, account kind, account (demo numbers with valid check digits)
BOLAG = [("Huge Fastigheter AB", "556070-0519", "bankgiro", "50501055"),
         ("Huddinge Samhällsfastigheter AB", "556718-1952", "plusgiro", "4865028")]

# username, display name, title, roles, organisation
DEMO_USERS = [
    ("sokande", "Sara Sökande", "Fritidsstrateg", ["sokande"], "Kultur- och fritidsnämnden"),
    ("sokande2", "Sam Sökande", "Trygghetssamordnare", ["sokande"], "Huge Fastigheter AB"),
    ("handlaggare", "Hanna Handläggare", "Utredare", ["handlaggare"], None),
    ("bedomare", "Bo Bedömare", "Säkerhetschef", ["bedomare"], None),
    ("bedomare2", "Berit Bedömare", "Samverkanssamordnare, lokalpolisen", ["bedomare"], None),
    ("beslutsfattare", "Britt Beslutsfattare", "Kommundirektör", ["beslutsfattare"], None),
    ("ekonomi", "Erik Ekonom", "Controller", ["ekonomi"], None),
    ("admin", "Ada Administratör", "Systemförvaltare", ["admin"], None),
]


def load_demo(session: Session, today: date, processes_dir: Path | None = None) -> list[str]:
    """Create what is missing of the demo data; return what was created."""
    created: list[str] = []
    organisations = _ensure_organisations(session, created)
    for demo in demo_files(processes_dir):
        _ensure_fund(session, today, created, demo)
    ensure_reference_lists(session, created)
    for username, name, title, roles, org_name in DEMO_USERS:
        if session.scalars(select(User).where(User.username == username)).first():
            continue
        org = organisations[org_name].id if org_name else None
        user = create_user(session, {
            "username": username, "display_name": name, "title": title,
            "email": f"{username}@huddinge.example", "organisation_ids": [str(org)] if org else [],
            "roles": list(roles)}, actor_id=None)
        # The demo's printed password, set on purpose without the password policy (and without
        # an invitation): real users choose theirs through their invitation link.
        user.password_hash = hash_password(DEMO_PASSWORD)
        created.append(f"användare {username}")
    session.flush()
    if created:
        record_event(session, "demo_loaded", f"Demodata laddad: {len(created)} poster",
                     details={"created": created})
    return created


def _ensure_organisations(session: Session, created: list[str]) -> dict[str, Organisation]:
    # Through the operation an administrator uses (identifiers checked, audit events).
    existing = {o.name: o for o in session.scalars(select(Organisation))}
    wanted = [dict(name=n, kind="namnd", cost_centre=c) for n, c in NAMNDER] + [
        dict(name=n, kind="bolag", org_number=nr, account_kind=k, account=a)
        for n, nr, k, a in BOLAG]
    for values in wanted:
        name = values["name"]
        if name not in existing:
            existing[name] = create_organisation(session, {**values, "active": "ja"},
                                                 actor_id=None)
            created.append(f"organisation {name}")
    return existing


def _ensure_fund(session: Session, today: date, created: list[str], demo: dict) -> None:
    # Through the operations an administrator uses (the same checks and audit events).
    settings = demo["fund"]
    fund = session.scalars(select(Fund).where(Fund.name == settings["name"])).first()
    if fund is None:
        fund = create_fund(session, dict(settings), processes={settings["process_id"]},
                           actor_id=None)
        created.append(f"fond {settings['name']}")
    if not fund.rounds:
        opens = min(today, date(2026, 11, 1))
        closes = max(date(today.year + 1, 3, 31), today)
        open_round(session, fund, {**demo["round"], "opens_on": opens.isoformat(),
                                   "closes_on": closes.isoformat()},
                   criteria=[], today=today, actor_id=None)
        created.append(f"ansökningsomgång {demo['round']['name']}")


def demo_logins() -> list[tuple[str, str, str]]:
    """Return (username, password, description) of every demo user."""
    return [(u, DEMO_PASSWORD, f"{name} – {', '.join(roles)}" + (f" ({org})" if org else ""))
            for u, name, _title, roles, org in DEMO_USERS]


# -- funds in motion: applications in every state, made by driving the real process ---------
# Each fund's demo is data next to its process: processes/<process id>/demo.json with the fund,
# its round and its cases, each a list of steps {"task", "as", "data"} (a draft: "draft": true),
# {"pay_out": "first"} or {"fire_timers": true}. "@today" and "@today+N" are dates.


def demo_files(processes_dir: Path | None = None) -> list[dict]:
    """Return every fund's demo (processes/*/demo.json), in file order."""
    folder = Path(processes_dir or DEFAULTS["PROCESSES_DIR"])
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*/demo.json"))]


def load_demo_cases(session: Session, engine, today: date,
                    processes_dir: Path | None = None) -> int:
    """Create the demo applications if there are none; return how many were made."""
    from app.grants.models import Application

    if session.scalars(select(Application.id)).first() is not None:
        return 0
    made = 0
    for demo in demo_files(processes_dir):
        fund = session.scalars(select(Fund).where(Fund.name == demo["fund"]["name"])).first()
        if fund is None or not fund.rounds:
            continue
        for case in demo["cases"]:
            drive_case(session, engine, fund.rounds[0], today, case)
            made += 1
    return made


def drive_case(session, engine, fund_round, today, case: dict) -> None:
    from app.grants import applications

    users = {u.username: u for u in session.scalars(select(User))}
    application = applications.start_application(session, engine, users[case["applicant"]],
                                                 fund_round.id, today)
    for step in case["steps"]:
        if step.get("pay_out"):
            _pay_out(session, engine, application, users["ekonomi"], today)
        elif step.get("fire_timers"):
            engine.fire_timers(session, application.process_instance_id)
        else:
            who, data = users[step["as"]], dated(step["data"], today)
            task = _open_task(session, application, step["task"], who.username)
            if step.get("draft"):
                applications.save_draft(session, engine, who, task, data)
            else:
                applications.complete_task(session, engine, who, task, data, today)
        session.flush()


def dated(value, today: date):
    """The step's data with "@today" and "@today+N" as dates."""
    if isinstance(value, dict):
        return {key: dated(item, today) for key, item in value.items()}
    if isinstance(value, list):
        return [dated(item, today) for item in value]
    if isinstance(value, str) and value.startswith(TODAY):
        days = int(value.removeprefix(TODAY) or 0)
        return (today + timedelta(days=days)).isoformat()
    return value


def _pay_out(session, engine, application, finance_user, today) -> None:
    """Finance attests the case's first tranche, exports it in a batch and marks it paid."""
    from app.db import utcnow
    from app.formatting import local_today
    from app.payouts import attest, batches
    from app.payouts.plans import payouts_of
    from app.storage import storage_from_config

    config = {**DEFAULTS, **engine.config}
    first = payouts_of(session, application.id)[0]
    now, today = utcnow(), max(today, local_today())
    attest.attest(session, finance_user, [first.id], now)
    batch = batches.create_batch(session, storage_from_config(config), config, finance_user,
                                 execution_date=today, now=now, payout_ids=[first.id])
    batches.mark_paid(session, engine, finance_user, batch.id, today, now)
    session.flush()


def _open_task(session, application, task_name, username) -> str:
    from app.engine.models import HumanTask

    query = select(HumanTask.id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.task_name == task_name, HumanTask.completed_at.is_(None),
        (HumanTask.assignee.is_(None)) | (HumanTask.assignee == username))
    return session.scalars(query).first()
