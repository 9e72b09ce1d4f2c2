"""The case lists as the pages show and export them: Mina uppgifter and Ansökningar
(columns, sorts, filters; the queries are app.grants.case_lists)."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.db import utcnow
from app.engine.models import HumanTask
from app.grants import case_lists as q
from app.grants.models import Application, Organisation
from app.web.context import db
from app.web.listing import ListColumn, ListFilter, ListSpec
from app.web.statuses import case_status, process_name

STATUS_CHOICES = (("utkast", _l("Utkast")), ("pagar", _l("Pågår")),
                  ("forsenad", _l("Försenad")), ("beviljad", _l("Beviljad")),
                  ("avslag", _l("Avslag")), ("avslutad", _l("Avslutad")))
YES = (("ja", _l("Ja")),)


def _text(lazy):
    return lambda: str(lazy)


def _case_filters() -> list[ListFilter]:
    return [ListFilter("fond", _text(_l("Fond")), lambda: q.fund_choices(db()), q.in_fund),
            ListFilter("omgang", _text(_l("Omgång")), lambda: q.round_choices(db()),
                       q.in_round)]


def applications_spec(user: User) -> ListSpec:
    """Ansökningar: every case the user may see."""
    now = utcnow()
    return ListSpec(
        name=_text(_l("Ansökningar")),
        columns=[
            ListColumn("diarienummer", _text(_l("Diarienummer")),
                       lambda a: a.diarienummer or str(_l("Utkast")), q.diarienummer_order(),
                       link=lambda a: url_for("applications.detail", application_id=a.id)),
            ListColumn("titel", _text(_l("Titel")), lambda a: a.title, Application.title),
            ListColumn("organisation", _text(_l("Organisation")), lambda a: a.organisation.name,
                       Organisation.name),
            ListColumn("belopp", _text(_l("Sökt belopp")), lambda a: a.requested_amount,
                       None, css="num"),
            ListColumn("status", _text(_l("Status")), lambda a: case_status(a.status),
                       Application.status),
            ListColumn("skapad", _text(_l("Skapad")), lambda a: a.created_at,
                       Application.created_at, css="date"),
        ],
        key=Application.id, default_sort="skapad", default_descending=True,
        filters=[*_case_filters(),
                 ListFilter("status", _text(_l("Status")), lambda: _choices(STATUS_CHOICES),
                            q.with_status(now)),
                 ListFilter("forsenad", _text(_l("Försenade")), lambda: _choices(YES),
                            lambda _value: q.overdue_case(now))],
        search=lambda text: q.search_condition(db(), text))


def inbox_spec(user: User) -> ListSpec:
    """Mina uppgifter: the open tasks of the user's roles."""
    now = utcnow()
    return ListSpec(
        name=_text(_l("Mina uppgifter")),
        columns=[
            ListColumn("uppgift", _text(_l("Uppgift")), lambda r: process_name(r[0].title),
                       HumanTask.title,
                       link=lambda r: url_for("tasks.task_page", task_id=r[0].id)),
            ListColumn("diarienummer", _text(_l("Ärende")), _case_name, q.diarienummer_order()),
            ListColumn("organisation", _text(_l("Organisation")),
                       lambda r: r[1].organisation.name if r[1] else "", Organisation.name),
            ListColumn("skapad", _text(_l("Skapad")), lambda r: r[0].created_at,
                       HumanTask.created_at, css="date"),
            ListColumn("senast", _text(_l("Senast")), lambda r: r[0].due_at, q.due_order(),
                       css="date"),
            ListColumn("tagen_av", _text(_l("Tagen av")), lambda r: r[2], None),
        ],
        key=HumanTask.id, default_sort="senast",
        filters=[*_case_filters(),
                 ListFilter("tilldelning", _text(_l("Tilldelning")), lambda: _choices((
                     ("mina", _l("Tagna av mig")), ("otilldelade", _l("Inte tagna")),
                     ("andras", _l("Tagna av en kollega")))),
                     lambda value: q.claimed_condition(user, value)),
                 ListFilter("forsenad", _text(_l("Försenade")), lambda: _choices(YES),
                            lambda _value: q.overdue_task(now))],
        search=lambda text: q.search_condition(db(), text))


def _case_name(row) -> str:
    application = row[1]
    if application is None:
        return ""
    return f"{application.diarienummer or _l('Ej registrerad')} {application.title}".strip()


def _choices(pairs) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in pairs]
