"""Demo funds as data: `processes/<process id>/demofond.json` describes one fund of the demo —
the fund, its open round, the applying organisations and their people, and cases driven through
the real process step by step — so a fund's demo is files, like the fund itself (README,
"Lägga till en fond"). Everything goes through the operations an administrator, an applicant
and the staff use, with their checks and audit events."""

import json
import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.users import create_user
from app.demo import DEMO_PASSWORD, _pay_out
from app.engine.models import HumanTask
from app.errors import InvalidInput
from app.grants import applications
from app.grants.funds import create_fund
from app.grants.models import Application, Fund, Organisation, Round
from app.grants.organisations import create_organisation
from app.grants.rounds import open_round
from app.payouts.payees import PAYEE_FIELDS, clean_payee

DEMO_FILE = "demofond.json"
# "@today", "@today+14", "@today-20": a date relative to the day the demo is loaded.
RELATIVE_DAY = re.compile(r"@today(?:([+-]\d+))?")


def load_demo_funds(session: Session, engine, today: date) -> list[str]:
    """Create every demo fund described next to a process that does not exist yet; return
    what was created."""
    created: list[str] = []
    for path in sorted(Path(engine.config["PROCESSES_DIR"]).glob(f"*/{DEMO_FILE}")):
        described = _dated(json.loads(path.read_text(encoding="utf-8")), today)
        created += load_demo_fund(session, engine, described, today)
    return created


def load_demo_fund(session: Session, engine, described: dict, today: date) -> list[str]:
    """Create one described fund with its round, organisations, people and cases."""
    values = described["fund"]
    if session.scalar(select(Fund.id).where(Fund.name == values["name"])) is not None:
        return []
    fund = create_fund(session, values, processes={values["process_id"]}, actor_id=None)
    fund_round = open_round(session, fund, described["round"], criteria=[], today=today,
                            actor_id=None)
    for organisation in described.get("organisations", []):
        _ensure_organisation(session, organisation)
    for person in described.get("users", []):
        _ensure_user(session, person)
    session.flush()
    for case in described.get("cases", []):
        _drive_case(session, engine, fund_round, case, today)
    return [f"fond {fund.name}", f"{len(described.get('cases', []))} ärenden i {fund.name}"]


def _ensure_organisation(session: Session, values: dict) -> None:
    if session.scalar(select(Organisation.id).where(Organisation.name == values["name"])):
        return
    organisation = create_organisation(session, {**values, "active": "ja"}, actor_id=None)
    payee, errors = clean_payee(values)
    if errors:
        raise InvalidInput(f"Demoföreningen {values['name']}: fel i utbetalningsuppgifterna.",
                           errors)
    for name in PAYEE_FIELDS:
        setattr(organisation, name, payee[name])


def _ensure_user(session: Session, person: dict) -> None:
    if session.scalar(select(User.id).where(User.username == person["username"])):
        return
    organisation = session.scalar(select(Organisation.id).where(
        Organisation.name == person["organisation"])) if person.get("organisation") else None
    user = create_user(session, {
        "username": person["username"], "display_name": person["display_name"],
        "title": person.get("title", ""), "roles": person["roles"],
        "email": person.get("email", f"{person['username']}@huddinge.example"),
        "organisation_id": str(organisation or "")}, actor_id=None)
    user.password_hash = hash_password(DEMO_PASSWORD)  # the demo's printed password


def _drive_case(session: Session, engine, fund_round: Round, case: dict, today: date) -> None:
    """Start the case as its applicant and take each step as the person it names: complete a
    task by its id, pay the first tranche (`pay`), or fire the timers now due (`timers`)."""
    users = {u.username: u for u in session.scalars(select(User))}
    application = applications.start_application(session, engine, users[case["applicant"]],
                                                 fund_round.id, today)
    for step in case["steps"]:
        if step.get("pay"):
            _pay_out(session, engine, application, users[step.get("user", "ekonomi")], today)
        elif step.get("timers"):
            engine.fire_timers(session, application.process_instance_id)
        else:
            user = users[step["user"]]
            applications.complete_task(session, engine, user,
                                       _open_task(session, application, step["task"], user),
                                       step["data"], today)
        session.flush()


def _open_task(session: Session, application: Application, task_name: str, user: User) -> str:
    task_id = session.scalar(select(HumanTask.id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.task_name == task_name, HumanTask.completed_at.is_(None)))
    if task_id is None:
        raise ValueError(f"Demoärendet väntar inte på uppgiften {task_name!r}.")
    return task_id


def _dated(value, today: date):
    """The described data with every "@today±N" replaced by that date (ISO)."""
    if isinstance(value, dict):
        return {key: _dated(item, today) for key, item in value.items()}
    if isinstance(value, list):
        return [_dated(item, today) for item in value]
    if isinstance(value, str) and (match := RELATIVE_DAY.fullmatch(value)):
        return (today + timedelta(days=int(match.group(1) or 0))).isoformat()
    return value
