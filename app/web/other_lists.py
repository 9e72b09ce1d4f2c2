"""The lists besides the cases, as pages show and export them: the outbox, payout batches,
organisations and users (columns, sorts, filters, a plain text search)."""

from flask import url_for
from flask_babel import lazy_gettext
from sqlalchemy import ColumnElement, or_, select

from app.accounts.models import User, UserRole
from app.accounts.roles import ROLES
from app.audit import AuditEvent
from app.formatting import to_local_date
from app.grants.case_lists import diarienummer_order, search_condition
from app.grants.models import (
    ORGANISATION_KINDS,
    OUTCOME_NAMES,
    Application,
    Decision,
    Organisation,
    RepaymentClaim,
)
from app.notifications.models import OutboxMessage
from app.payouts.models import PayoutBatch
from app.web.context import db
from app.web.listing import ListColumn, ListFilter, ListSpec

OUTBOX_STATUSES = {
    "pending": lazy_gettext("Väntar"),
    "sent": lazy_gettext("Skickat"),
    "failed": lazy_gettext("Misslyckades"),
}
BATCH_STATES = {
    "exported": lazy_gettext("Exporterad"),
    "paid": lazy_gettext("Utbetald"),
    "voided": lazy_gettext("Makulerad"),
}
ROLE_NAMES = {
    "sokande": lazy_gettext("Sökande"),
    "handlaggare": lazy_gettext("Handläggare"),
    "bedomare": lazy_gettext("Bedömare"),
    "beslutsfattare": lazy_gettext("Beslutsfattare"),
    "ekonomi": lazy_gettext("Ekonomi"),
    "admin": lazy_gettext("Administratör"),
}


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
        name=lazy_gettext("Delegationsbeslut %(start)s–%(end)s", start=start, end=end),
        columns=[
            ListColumn(
                "datum",
                lazy_gettext("Beslutsdatum"),
                lambda r: to_local_date(r[0].decided_at),
                Decision.decided_at,
            ),
            ListColumn(
                "diarienummer",
                lazy_gettext("Diarienummer"),
                lambda r: r[1].diarienummer or "",
                diarienummer_order(),
            ),
            ListColumn(
                "sokande",
                lazy_gettext("Sökande"),
                lambda r: r[1].organisation.name,
                Organisation.name,
            ),
            ListColumn("arende", lazy_gettext("Ärende"), lambda r: r[1].title, Application.title),
            ListColumn(
                "beslut",
                lazy_gettext("Beslut"),
                lambda r: OUTCOME_NAMES[r[0].outcome],
                Decision.outcome,
            ),
            ListColumn(
                "belopp",
                lazy_gettext("Belopp (kr)"),
                lambda r: r[0].amount,
                Decision.amount,
                css="num",
            ),
            ListColumn(
                "beslutsfattare",
                lazy_gettext("Beslutsfattare"),
                lambda r: f"{r[0].decided_by.display_name}, {r[0].decided_by.title}",
            ),
            ListColumn(
                "delegationspunkt",
                lazy_gettext("Delegationspunkt"),
                lambda r: r[0].delegation_reference,
            ),
        ],
        key=Decision.id,
        default_sort="datum",
        keep=("fran", "till"),
    )


def audit_spec() -> ListSpec:
    """Händelseloggen's columns for its export (the page filters and pages it itself)."""
    return ListSpec(
        name=lazy_gettext("Händelselogg"),
        columns=[
            ListColumn("tid", lazy_gettext("Tid"), lambda e: e.at),
            ListColumn("vem", lazy_gettext("Vem"), lambda e: e.actor.username if e.actor else ""),
            ListColumn("typ", lazy_gettext("Typ"), lambda e: e.action),
            ListColumn("handelse", lazy_gettext("Händelse"), lambda e: e.summary),
            ListColumn("instans", lazy_gettext("Processinstans"), lambda e: e.process_instance_id),
        ],
        key=AuditEvent.id, default_sort="tid")


def settled_claims_spec() -> ListSpec:
    """Reglerade återkrav: the history of claims paid back."""
    return ListSpec(
        name=lazy_gettext("Reglerade återkrav"),
        columns=[
            ListColumn("diarienummer", lazy_gettext("Diarienummer"),
                       lambda c: c.application.diarienummer or "", diarienummer_order()),
            ListColumn("mottagare", lazy_gettext("Mottagare"),
                       lambda c: c.application.organisation.name, Organisation.name),
            ListColumn("belopp", lazy_gettext("Belopp"), lambda c: c.amount,
                       RepaymentClaim.amount, css="num"),
            ListColumn("skal", lazy_gettext("Skäl"), lambda c: c.reason),
            ListColumn("registrerat", lazy_gettext("Registrerat"), lambda c: c.created_at,
                       RepaymentClaim.created_at),
            ListColumn("reglerat", lazy_gettext("Reglerat"), lambda c: c.settled_on,
                       RepaymentClaim.settled_at),
        ],
        key=RepaymentClaim.id, default_sort="reglerat", default_descending=True,
        search=lambda text: search_condition(db(), text))


def outbox_spec() -> ListSpec:
    return ListSpec(
        name=lazy_gettext("Utkorg"),
        columns=[
            ListColumn(
                "tid", lazy_gettext("Tid"), lambda m: m.created_at, OutboxMessage.created_at
            ),
            ListColumn("typ", lazy_gettext("Typ"), lambda m: m.kind, OutboxMessage.kind),
            ListColumn(
                "mottagare",
                lazy_gettext("Mottagare"),
                lambda m: m.recipient_email,
                OutboxMessage.recipient_email,
            ),
            ListColumn("amne", lazy_gettext("Ämne"), lambda m: m.subject, OutboxMessage.subject),
            ListColumn(
                "status",
                lazy_gettext("Status"),
                lambda m: str(OUTBOX_STATUSES.get(m.status, m.status)),
                OutboxMessage.status,
            ),
            ListColumn(
                "forsok",
                lazy_gettext("Försök"),
                lambda m: m.attempts,
                OutboxMessage.attempts,
                css="num",
            ),
        ],
        key=OutboxMessage.id,
        default_sort="tid",
        default_descending=True,
        filters=[
            ListFilter(
                "status",
                lazy_gettext("Status"),
                _choices(OUTBOX_STATUSES),
                lambda value: OutboxMessage.status == value,
            )
        ],
        search=containing(OutboxMessage.recipient_email, OutboxMessage.subject),
    )


def batches_spec() -> ListSpec:
    return ListSpec(
        name=lazy_gettext("Utbetalningsbatcher"),
        columns=[
            ListColumn(
                "nummer",
                lazy_gettext("Nummer"),
                lambda b: b.number,
                PayoutBatch.number,
                link=lambda b: url_for("finance.batch", batch_id=b.id),
            ),
            ListColumn(
                "status",
                lazy_gettext("Status"),
                lambda b: str(BATCH_STATES[b.status]),
                PayoutBatch.status,
            ),
            ListColumn(
                "skapad", lazy_gettext("Skapad"), lambda b: b.created_at, PayoutBatch.created_at
            ),
            ListColumn("av", lazy_gettext("Av"), lambda b: b.created_by.display_name),
            ListColumn(
                "antal", lazy_gettext("Antal"), lambda b: b.count, PayoutBatch.count, css="num"
            ),
            ListColumn(
                "totalt", lazy_gettext("Summa"), lambda b: b.total, PayoutBatch.total, css="num"
            ),
            ListColumn(
                "utbetalningsdag",
                lazy_gettext("Utbetalningsdag"),
                lambda b: b.execution_date,
                PayoutBatch.execution_date,
            ),
        ],
        key=PayoutBatch.id,
        default_sort="skapad",
        default_descending=True,
        filters=[
            ListFilter(
                "status",
                lazy_gettext("Status"),
                _choices(BATCH_STATES),
                lambda value: PayoutBatch.status == value,
            )
        ],
        search=containing(PayoutBatch.number),
    )


def organisations_spec(payout_details, problems) -> ListSpec:
    """Organisationer; `payout_details(o)` and `problems(o)` say how and whether it is paid."""
    return ListSpec(
        name=lazy_gettext("Organisationer"),
        columns=[
            ListColumn(
                "namn",
                lazy_gettext("Namn"),
                lambda o: o.name,
                Organisation.name,
                link=lambda o: url_for("organisations.edit", organisation_id=o.id),
            ),
            ListColumn(
                "typ",
                lazy_gettext("Typ"),
                lambda o: ORGANISATION_KINDS.get(o.kind, o.kind),
                Organisation.kind,
            ),
            ListColumn(
                "organisationsnummer", lazy_gettext("Organisationsnummer"), lambda o: o.org_number
            ),
            ListColumn("utbetalning", lazy_gettext("Utbetalning"), payout_details),
            ListColumn(
                "status",
                lazy_gettext("Status"),
                lambda o: (
                    " ".join([str(lazy_gettext("Uppgifter saknas")), *problems(o)])
                    if problems(o)
                    else str(lazy_gettext("Klar för utbetalning"))
                ),
                Organisation.active,
            ),
        ],
        key=Organisation.id,
        default_sort="namn",
        filters=[
            ListFilter(
                "typ",
                lazy_gettext("Typ"),
                lambda: list(ORGANISATION_KINDS.items()),
                lambda value: Organisation.kind == value,
            )
        ],
        search=containing(Organisation.name, Organisation.org_number),
    )


def users_spec() -> ListSpec:
    return ListSpec(
        name=lazy_gettext("Användare"),
        columns=[
            ListColumn(
                "namn",
                lazy_gettext("Namn"),
                lambda u: u.display_name,
                User.display_name,
                link=lambda u: url_for("users.edit", user_id=u.id),
            ),
            ListColumn(
                "anvandarnamn", lazy_gettext("Användarnamn"), lambda u: u.username, User.username
            ),
            ListColumn("e-post", lazy_gettext("E-post"), lambda u: u.email, User.email),
            ListColumn(
                "roller",
                lazy_gettext("Roller"),
                lambda u: ", ".join(str(ROLE_NAMES.get(r, r)) for r in sorted(u.roles)),
            ),
            ListColumn(
                "organisation",
                lazy_gettext("Organisationer"),
                lambda u: ", ".join(o.name for o in u.organisations),
            ),
            ListColumn("status", lazy_gettext("Status"), _user_state),
        ],
        key=User.id,
        default_sort="namn",
        filters=[
            ListFilter(
                "roll",
                lazy_gettext("Roll"),
                lambda: [(code, str(ROLE_NAMES.get(code, code))) for code in ROLES],
                lambda value: User.id.in_(select(UserRole.user_id).where(UserRole.role == value)),
            ),
            ListFilter(
                "status",
                lazy_gettext("Status"),
                _choices(
                    {"aktiva": lazy_gettext("Aktiva"), "inaktiva": lazy_gettext("Inaktiverade")}
                ),
                lambda value: User.active.is_(value == "aktiva"),
            ),
        ],
        search=containing(User.display_name, User.username, User.email),
    )


def _user_state(user: User) -> str:
    if not user.active:
        return str(lazy_gettext("Inaktiverad"))
    return str(lazy_gettext("Inbjuden") if not user.password_hash else lazy_gettext("Aktiv"))
