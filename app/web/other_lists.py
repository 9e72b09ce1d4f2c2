"""The lists besides the cases, as pages show and export them: the outbox, payout batches,
organisations and users (columns, sorts, filters, a plain text search)."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select

from app.accounts.models import User, UserRole
from app.accounts.roles import ROLES
from app.formatting import to_local_date
from app.grants.case_lists import diarienummer_order
from app.grants.models import ORGANISATION_KINDS, OUTCOME_NAMES, Application, Decision, Organisation
from app.notifications.models import OutboxMessage
from app.payouts.models import PayoutBatch
from app.web.listing import ListColumn, ListFilter, ListSpec

OUTBOX_STATUSES = {"pending": _l("Väntar"), "sent": _l("Skickat"), "failed": _l("Misslyckades")}
BATCH_STATES = {"exported": _l("Exporterad"), "paid": _l("Utbetald"), "voided": _l("Makulerad")}
ROLE_NAMES = {"sokande": _l("Sökande"), "handlaggare": _l("Handläggare"),
              "bedomare": _l("Bedömare"), "beslutsfattare": _l("Beslutsfattare"),
              "ekonomi": _l("Ekonomi"), "admin": _l("Administratör")}


def _text(lazy):
    return lambda: str(lazy)


def _choices(names: dict):
    return lambda: [(key, str(label)) for key, label in names.items()]


def containing(*columns) -> callable:
    """A search for text anywhere in some columns (lists that are not cases)."""
    def condition(text: str) -> ColumnElement[bool]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return or_(*(column.ilike(pattern, escape="\\") for column in columns))
    return condition


def delegation_spec(start, end) -> ListSpec:
    """Anmälan av delegationsbeslut: the decisions of the period (rows: decision, case)."""
    return ListSpec(
        name=lambda: f"{_l('Delegationsbeslut')} {start}–{end}",
        columns=[
            ListColumn("datum", _text(_l("Beslutsdatum")), lambda r: to_local_date(r[0].decided_at),
                       Decision.decided_at),
            ListColumn("diarienummer", _text(_l("Diarienummer")),
                       lambda r: r[1].diarienummer or "", diarienummer_order()),
            ListColumn("sokande", _text(_l("Sökande")), lambda r: r[1].organisation.name,
                       Organisation.name),
            ListColumn("arende", _text(_l("Ärende")), lambda r: r[1].title, Application.title),
            ListColumn("beslut", _text(_l("Beslut")), lambda r: OUTCOME_NAMES[r[0].outcome],
                       Decision.outcome),
            ListColumn("belopp", _text(_l("Belopp (kr)")), lambda r: r[0].amount,
                       Decision.amount, css="num"),
            ListColumn("beslutsfattare", _text(_l("Beslutsfattare")), lambda r: (
                f"{r[0].decided_by.display_name}, {r[0].decided_by.title}")),
            ListColumn("delegationspunkt", _text(_l("Delegationspunkt")),
                       lambda r: r[0].delegation_reference),
        ],
        key=Decision.id, default_sort="datum", keep=("fran", "till"))


def outbox_spec() -> ListSpec:
    return ListSpec(
        name=_text(_l("Utkorg")),
        columns=[
            ListColumn("tid", _text(_l("Tid")), lambda m: m.created_at, OutboxMessage.created_at),
            ListColumn("typ", _text(_l("Typ")), lambda m: m.kind, OutboxMessage.kind),
            ListColumn("mottagare", _text(_l("Mottagare")), lambda m: m.recipient_email,
                       OutboxMessage.recipient_email),
            ListColumn("amne", _text(_l("Ämne")), lambda m: m.subject, OutboxMessage.subject),
            ListColumn("status", _text(_l("Status")),
                       lambda m: str(OUTBOX_STATUSES.get(m.status, m.status)),
                       OutboxMessage.status),
            ListColumn("forsok", _text(_l("Försök")), lambda m: m.attempts,
                       OutboxMessage.attempts, css="num"),
        ],
        key=OutboxMessage.id, default_sort="tid", default_descending=True,
        filters=[ListFilter("status", _text(_l("Status")), _choices(OUTBOX_STATUSES),
                            lambda value: OutboxMessage.status == value)],
        search=containing(OutboxMessage.recipient_email, OutboxMessage.subject))


def batches_spec() -> ListSpec:
    return ListSpec(
        name=_text(_l("Utbetalningsbatcher")),
        columns=[
            ListColumn("nummer", _text(_l("Nummer")), lambda b: b.number, PayoutBatch.number,
                       link=lambda b: url_for("finance.batch", batch_id=b.id)),
            ListColumn("status", _text(_l("Status")), lambda b: str(BATCH_STATES[b.status]),
                       PayoutBatch.status),
            ListColumn("skapad", _text(_l("Skapad")), lambda b: b.created_at,
                       PayoutBatch.created_at),
            ListColumn("av", _text(_l("Av")), lambda b: b.created_by.display_name),
            ListColumn("antal", _text(_l("Antal")), lambda b: b.count, PayoutBatch.count,
                       css="num"),
            ListColumn("summa", _text(_l("Summa")), lambda b: b.total, PayoutBatch.total,
                       css="num"),
            ListColumn("utbetalningsdag", _text(_l("Utbetalningsdag")),
                       lambda b: b.execution_date, PayoutBatch.execution_date),
        ],
        key=PayoutBatch.id, default_sort="skapad", default_descending=True,
        filters=[ListFilter("status", _text(_l("Status")), _choices(BATCH_STATES),
                            lambda value: PayoutBatch.status == value)],
        search=containing(PayoutBatch.number))


def organisations_spec(payout_details, problems) -> ListSpec:
    """Organisationer; `payout_details(o)` and `problems(o)` say how and whether it is paid."""
    return ListSpec(
        name=_text(_l("Organisationer")),
        columns=[
            ListColumn("namn", _text(_l("Namn")), lambda o: o.name, Organisation.name,
                       link=lambda o: url_for("organisations.edit", organisation_id=o.id)),
            ListColumn("typ", _text(_l("Typ")), lambda o: ORGANISATION_KINDS.get(o.kind, o.kind),
                       Organisation.kind),
            ListColumn("organisationsnummer", _text(_l("Organisationsnummer")),
                       lambda o: o.org_number),
            ListColumn("utbetalning", _text(_l("Utbetalning")), payout_details),
            ListColumn("status", _text(_l("Status")), lambda o: " ".join(
                [str(_l("Uppgifter saknas")), *problems(o)]) if problems(o)
                else str(_l("Klar för utbetalning")), Organisation.active),
        ],
        key=Organisation.id, default_sort="namn",
        filters=[ListFilter("typ", _text(_l("Typ")), lambda: list(ORGANISATION_KINDS.items()),
                            lambda value: Organisation.kind == value)],
        search=containing(Organisation.name, Organisation.org_number))


def users_spec() -> ListSpec:
    return ListSpec(
        name=_text(_l("Användare")),
        columns=[
            ListColumn("namn", _text(_l("Namn")), lambda u: u.display_name, User.display_name,
                       link=lambda u: url_for("users.edit", user_id=u.id)),
            ListColumn("anvandarnamn", _text(_l("Användarnamn")), lambda u: u.username,
                       User.username),
            ListColumn("epost", _text(_l("E-post")), lambda u: u.email, User.email),
            ListColumn("roller", _text(_l("Roller")),
                       lambda u: ", ".join(str(ROLE_NAMES.get(r, r)) for r in sorted(u.roles))),
            ListColumn("organisation", _text(_l("Organisation")),
                       lambda u: u.organisation.name if u.organisation else ""),
            ListColumn("status", _text(_l("Status")), _user_state),
        ],
        key=User.id, default_sort="namn",
        filters=[ListFilter("roll", _text(_l("Roll")),
                            lambda: [(code, str(ROLE_NAMES.get(code, code))) for code in ROLES],
                            lambda value: User.id.in_(select(UserRole.user_id)
                                                      .where(UserRole.role == value))),
                 ListFilter("status", _text(_l("Status")), _choices(
                     {"aktiva": _l("Aktiva"), "inaktiva": _l("Inaktiverade")}),
                     lambda value: User.active.is_(value == "aktiva"))],
        search=containing(User.display_name, User.username, User.email))


def _user_state(user: User) -> str:
    if not user.active:
        return str(_l("Inaktiverad"))
    return str(_l("Inbjuden") if not user.password_hash else _l("Aktiv"))
