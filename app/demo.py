"""Demo data: the fund, its round, Huddinge's nämnder and bolag, one user per role."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole
from app.accounts.passwords import hash_password
from app.audit import record_event
from app.grants.models import Fund, Organisation, Round

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the demo on purpose

NAMNDER = [
    "Kommunstyrelsen", "Kultur- och fritidsnämnden", "Socialnämnden", "Gymnasienämnden",
    "Grundskolenämnden", "Natur- och byggnadsnämnden", "Förskolenämnden",
]
BOLAG = [("Huge Fastigheter AB", "556070-0512"), ("Huddinge Samhällsfastigheter AB", "556718-1954")]

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


def load_demo(session: Session, today: date) -> list[str]:
    """Create what is missing of the demo data; return what was created."""
    created: list[str] = []
    organisations = _ensure_organisations(session, created)
    _ensure_fund(session, today, created)
    for username, name, title, roles, org_name in DEMO_USERS:
        if session.scalars(select(User).where(User.username == username)).first():
            continue
        org = organisations[org_name].id if org_name else None
        user = User(username=username, display_name=name, title=title,
                    email=f"{username}@huddinge.example", organisation_id=org,
                    password_hash=hash_password(DEMO_PASSWORD),
                    role_rows=[UserRole(role=r) for r in roles])
        session.add(user)
        created.append(f"användare {username}")
    session.flush()
    if created:
        record_event(session, "demo_loaded", f"Demodata laddad: {len(created)} poster",
                     details={"created": created})
    return created


def _ensure_organisations(session: Session, created: list[str]) -> dict[str, Organisation]:
    existing = {o.name: o for o in session.scalars(select(Organisation))}
    wanted = [(n, "namnd", None) for n in NAMNDER] + [(n, "bolag", nr) for n, nr in BOLAG]
    for name, kind, number in wanted:
        if name not in existing:
            existing[name] = Organisation(name=name, kind=kind, org_number=number)
            session.add(existing[name])
            created.append(f"organisation {name}")
    session.flush()
    return existing


def _ensure_fund(session: Session, today: date, created: list[str]) -> None:
    fund = session.scalars(select(Fund).where(Fund.name == "Trygghetsfonden 2027")).first()
    if fund is None:
        fund = Fund(name="Trygghetsfonden 2027", process_id="trygghetsfond", diarie_prefix="KS",
                    description="Medel för brottsförebyggande åtgärder i Huddinge kommun.")
        session.add(fund)
        session.flush()
        created.append("fond Trygghetsfonden 2027")
    if not fund.rounds:
        opens = min(today, date(2026, 11, 1))
        closes = max(date(today.year + 1, 3, 31), today)
        session.add(Round(fund_id=fund.id, name="Ansökningsomgång 2027", opens_on=opens,
                          closes_on=closes, budget=Decimal("10000000"),
                          max_per_application=Decimal("1500000"),
                          period_start=date(2027, 1, 1), period_end=date(2027, 12, 31)))
        created.append("ansökningsomgång 2027")


def demo_logins() -> list[tuple[str, str, str]]:
    """Return (username, password, description) of every demo user."""
    return [(u, DEMO_PASSWORD, f"{name} – {', '.join(roles)}" + (f" ({org})" if org else ""))
            for u, name, _title, roles, org in DEMO_USERS]
