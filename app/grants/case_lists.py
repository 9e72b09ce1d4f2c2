"""The queries behind the case lists (Ansökningar, Mina uppgifter): what a user may see, the
filters they offer (fund, round, status, overdue, assigned to me) and the search. Each is one
select; the web layer pages, sorts and exports it (app.web.listing)."""

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import User
from app.effects.models import CaseFact, ReferenceItem
from app.engine.models import HumanTask
from app.grants import permissions
from app.grants.models import Application, Fund, Organisation, Round
from app.grants.search import matching_case_ids
from app.grants.statuses import status_kind_condition

Claimer = aliased(User)
# Sorts on a nullable column put the empty ones last (a keyset order must not meet NULL).
LAST_TEXT = "\U0010ffff"
LAST_TIME = datetime(9999, 12, 31, tzinfo=UTC)


def applications_query(user: User) -> Select:
    """The applications the user may see, with their organisation joined (to sort by)."""
    return (select(Application).join(Organisation, Organisation.id == Application.organisation_id)
            .where(permissions.visible_applications(user)))


def inbox_query(user: User) -> Select:
    """The open tasks the user may do: (task, case or None, name of who took it or None)."""
    scope = HumanTask.organisation_id.is_(None)
    if user.organisation_ids:
        scope = scope | HumanTask.organisation_id.in_(sorted(user.organisation_ids))
    assigned = HumanTask.assignee.is_(None) | (HumanTask.assignee == user.username)
    return (select(HumanTask, Application, Claimer.display_name)
            .outerjoin(Application, Application.process_instance_id == HumanTask.instance_id)
            .outerjoin(Organisation, Organisation.id == Application.organisation_id)
            .outerjoin(Claimer, Claimer.id == HumanTask.claimed_by_id)
            .where(HumanTask.completed_at.is_(None), HumanTask.role.in_(user.roles), scope,
                   assigned, permissions.may_do_tasks(user)))


def search_condition(session: Session, query: str) -> ColumnElement[bool]:
    """Cases whose diarienummer, title, organisation or applicant match the search."""
    ids = matching_case_ids(session.get_bind().dialect.name, query)
    return Application.id.in_(ids) if ids is not None else Application.id.is_not(None)


def round_choices(session: Session) -> list[tuple[str, str]]:
    """Every round as (id, "fund – round"), newest first (a few per year: a short list)."""
    rows = session.execute(select(Round.id, Fund.name, Round.name).join(Fund)
                           .order_by(Round.opens_on.desc(), Round.id.desc())).all()
    return [(str(id_), f"{fund} – {name}") for id_, fund, name in rows]


def fund_choices(session: Session) -> list[tuple[str, str]]:
    return [(str(id_), name) for id_, name in
            session.execute(select(Fund.id, Fund.name).order_by(Fund.name)).all()]


def in_fund(value: str) -> ColumnElement[bool]:
    return Application.round_id.in_(select(Round.id).where(Round.fund_id == int(value)))


def in_round(value: str) -> ColumnElement[bool]:
    return Application.round_id == int(value)


def fact_choices(session: Session, kind: str, reference_list: str = "") -> list[tuple[str, str]]:
    """The values cases have of one kind of fact (district, prevention_kind: what forms
    declare, app/effects/facts.py), named by the reference list where it has one. One index
    scan of (kind, value): the choices are few whatever the number of cases."""
    values = session.scalars(select(CaseFact.value).where(CaseFact.kind == kind).distinct()
                             .order_by(CaseFact.value)).all()
    names = dict(session.execute(select(ReferenceItem.code, ReferenceItem.name).where(
        ReferenceItem.list_name == reference_list)).all()) if reference_list else {}
    return [(value, names.get(value, value)) for value in values]


def with_fact(kind: str):
    """The filter condition: cases with the chosen value of this kind of fact."""
    def condition(value: str) -> ColumnElement[bool]:
        return Application.id.in_(select(CaseFact.application_id).where(
            CaseFact.kind == kind, CaseFact.value == value))
    return condition


def with_status(now: datetime):
    """The filter by status kind (utkast, pågår, försenad …) at this moment."""
    return lambda kind: status_kind_condition(kind, now)


def overdue_case(now: datetime) -> ColumnElement[bool]:
    """Cases with an open task past its deadline."""
    return exists().where(HumanTask.instance_id == Application.process_instance_id,
                          HumanTask.completed_at.is_(None), HumanTask.due_at < now)


def overdue_task(now: datetime) -> ColumnElement[bool]:
    return and_(HumanTask.due_at.is_not(None), HumanTask.due_at < now)


def claimed_condition(user: User, value: str) -> ColumnElement[bool]:
    """Tasks taken by the user ("mina"), by nobody ("otilldelade") or by a colleague."""
    if value == "mina":
        return HumanTask.claimed_by_id == user.id
    if value == "otilldelade":
        return HumanTask.claimed_by_id.is_(None)
    return and_(HumanTask.claimed_by_id.is_not(None), HumanTask.claimed_by_id != user.id)


def due_order() -> ColumnElement:
    return func.coalesce(HumanTask.due_at, LAST_TIME)


def diarienummer_order() -> ColumnElement:
    return func.coalesce(Application.diarienummer, LAST_TEXT)
