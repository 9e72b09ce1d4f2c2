"""More demo funds, for `flask demo load` only: `processes/<process id>/demofond.json` is a
fund's demo like `demo.json` (app/demo.py: the fund, its round, cases as steps), with the
organisations that apply and their people too — a fund whose applicants are not the standard
demo's (the föreningsbidrag's associations). The tests' standard demo (`load_demo`) leaves these
funds out, so that it keeps exactly one fund and one round."""

import json
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.users import create_user
from app.demo import DEMO_PASSWORD, dated, drive_case
from app.grants.funds import create_fund
from app.grants.models import Fund, Organisation
from app.grants.organisations import create_organisation
from app.grants.rounds import open_round

DEMO_FILE = "demofond.json"


def load_demo_funds(session: Session, engine, today: date) -> list[str]:
    """Create every fund described in a demofond.json that does not exist yet, with its open
    round, organisations, people and cases; return what was created."""
    created: list[str] = []
    for path in sorted(Path(engine.config["PROCESSES_DIR"]).glob(f"*/{DEMO_FILE}")):
        demo = json.loads(path.read_text(encoding="utf-8"))
        if session.scalar(select(Fund.id).where(Fund.name == demo["fund"]["name"])) is None:
            created += _load(session, engine, demo, today)
    return created


def _load(session: Session, engine, demo: dict, today: date) -> list[str]:
    # Through the operations an administrator, an applicant and the staff use.
    fund = create_fund(session, demo["fund"], processes={demo["fund"]["process_id"]},
                       actor_id=None)
    fund_round = open_round(session, fund, dated(demo["round"], today), criteria=[],
                            today=today, actor_id=None)
    for values in demo.get("organisations", []):
        _ensure_organisation(session, values)
    for person in demo.get("users", []):
        _ensure_user(session, person)
    session.flush()
    for case in demo.get("cases", []):
        drive_case(session, engine, fund_round, today, case)
    return [f"fond {fund.name}", f"{len(demo.get('cases', []))} ärenden i {fund.name}"]


def _ensure_organisation(session: Session, values: dict) -> None:
    if session.scalar(select(Organisation.id).where(Organisation.name == values["name"])):
        return
    create_organisation(session, {**values, "active": "ja"}, actor_id=None)


def _ensure_user(session: Session, person: dict) -> None:
    if session.scalar(select(User.id).where(User.username == person["username"])):
        return
    organisation = session.scalar(select(Organisation.id).where(
        Organisation.name == person["organisation"])) if person.get("organisation") else None
    user = create_user(session, {
        "username": person["username"], "display_name": person["display_name"],
        "title": person.get("title", ""), "roles": person["roles"],
        "email": person.get("email", f"{person['username']}@huddinge.example"),
        "organisation_ids": [str(organisation)] if organisation else []}, actor_id=None)
    user.password_hash = hash_password(DEMO_PASSWORD)  # the demo's printed password
