"""The case lists as the pages show and export them: Mina uppgifter and Ansökningar
(columns, sorts, filters; the queries are app.grants.case_lists)."""

from flask import url_for
from flask_babel import lazy_gettext

from app.accounts.models import User
from app.db import utcnow
from app.engine.models import HumanTask
from app.grants import case_lists as q
from app.grants.models import Application, Organisation
from app.web.context import db
from app.web.listing import ListColumn, ListFilter, ListSpec
from app.web.statuses import case_status, process_name

STATUS_CHOICES = (
    ("utkast", lazy_gettext("Utkast")),
    ("pagar", lazy_gettext("Pågår")),
    ("forsenad", lazy_gettext("Försenad")),
    ("beviljad", lazy_gettext("Beviljad")),
    ("avslag", lazy_gettext("Avslag")),
    ("avslutad", lazy_gettext("Avslutad")),
)
YES = (("ja", lazy_gettext("Ja")),)


def _case_filters() -> list[ListFilter]:
    return [
        ListFilter("fond", lazy_gettext("Fond"), lambda: q.fund_choices(db()), q.in_fund),
        ListFilter("omgang", lazy_gettext("Omgång"), lambda: q.round_choices(db()), q.in_round),
        ListFilter("kommundel", lazy_gettext("Kommundel"),
                   lambda: q.fact_choices(db(), "district", "kommundel"), q.with_fact("district")),
        ListFilter("inriktning", lazy_gettext("Inriktning"),
                   lambda: q.fact_choices(db(), "prevention_kind"),
                   q.with_fact("prevention_kind")),
    ]


def applications_spec(user: User) -> ListSpec:
    """Ansökningar: every case the user may see."""
    now = utcnow()
    return ListSpec(
        name=lazy_gettext("Ansökningar"),
        columns=[
            ListColumn(
                "diarienummer",
                lazy_gettext("Diarienummer"),
                lambda a: a.diarienummer or str(lazy_gettext("Utkast")),
                q.diarienummer_order(),
                link=lambda a: url_for("applications.detail", application_id=a.id),
            ),
            ListColumn("titel", lazy_gettext("Titel"), lambda a: a.title, Application.title),
            ListColumn(
                "organisation",
                lazy_gettext("Organisation"),
                lambda a: a.organisation.name,
                Organisation.name,
            ),
            ListColumn(
                "belopp", lazy_gettext("Sökt belopp"), lambda a: a.requested_amount, None, css="num"
            ),
            ListColumn(
                "status",
                lazy_gettext("Status"),
                lambda a: case_status(a.status),
                Application.status,
            ),
            ListColumn(
                "skapad",
                lazy_gettext("Skapad"),
                lambda a: a.created_at,
                Application.created_at,
                css="date",
            ),
        ],
        key=Application.id,
        default_sort="skapad",
        default_descending=True,
        filters=[
            *_case_filters(),
            ListFilter(
                "status",
                lazy_gettext("Status"),
                lambda: _choices(STATUS_CHOICES),
                q.with_status(now),
            ),
            ListFilter(
                "forsenad",
                lazy_gettext("Försenade"),
                lambda: _choices(YES),
                lambda _value: q.overdue_case(now),
            ),
        ],
        search=lambda text: q.search_condition(db(), text),
    )


def inbox_spec(user: User) -> ListSpec:
    """Mina uppgifter: the open tasks of the user's roles."""
    now = utcnow()
    return ListSpec(
        name=lazy_gettext("Mina uppgifter"),
        columns=[
            ListColumn(
                "uppgift",
                lazy_gettext("Uppgift"),
                lambda r: process_name(r[0].title),
                HumanTask.title,
                link=lambda r: url_for("tasks.task_page", task_id=r[0].id),
            ),
            ListColumn("diarienummer", lazy_gettext("Ärende"), _case_name, q.diarienummer_order()),
            ListColumn(
                "organisation",
                lazy_gettext("Organisation"),
                lambda r: r[1].organisation.name if r[1] else "",
                Organisation.name,
            ),
            ListColumn(
                "skapad",
                lazy_gettext("Skapad"),
                lambda r: r[0].created_at,
                HumanTask.created_at,
                css="date",
            ),
            ListColumn(
                "senast", lazy_gettext("Senast"), lambda r: r[0].due_at, q.due_order(), css="date"
            ),
            ListColumn("tagen_av", lazy_gettext("Tagen av"), lambda r: r[2], None),
        ],
        key=HumanTask.id,
        default_sort="senast",
        filters=[
            *_case_filters(),
            ListFilter(
                "tilldelning",
                lazy_gettext("Tilldelning"),
                lambda: _choices(
                    (
                        ("mina", lazy_gettext("Tagna av mig")),
                        ("otilldelade", lazy_gettext("Inte tagna")),
                        ("andras", lazy_gettext("Tagna av en kollega")),
                    )
                ),
                lambda value: q.claimed_condition(user, value),
            ),
            ListFilter(
                "forsenad",
                lazy_gettext("Försenade"),
                lambda: _choices(YES),
                lambda _value: q.overdue_task(now),
            ),
        ],
        search=lambda text: q.search_condition(db(), text),
    )


def _case_name(row) -> str:
    application = row[1]
    if application is None:
        return ""
    return (
        f"{application.diarienummer or lazy_gettext('Ej registrerad')} {application.title}".strip()
    )


def _choices(pairs) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in pairs]
