"""Demo data: the fund, its round, Huddinge's nämnder and bolag, one user per role."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.users import create_user
from app.audit import record_event
from app.effects.seed import ensure_reference_lists
from app.grants.funds import create_fund
from app.grants.models import Fund, Organisation, Round
from app.grants.rounds import open_round

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the demo on purpose

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


def load_demo(session: Session, today: date) -> list[str]:
    """Create what is missing of the demo data; return what was created."""
    created: list[str] = []
    organisations = _ensure_organisations(session, created)
    _ensure_fund(session, today, created)
    ensure_reference_lists(session, created)
    for username, name, title, roles, org_name in DEMO_USERS:
        if session.scalars(select(User).where(User.username == username)).first():
            continue
        org = organisations[org_name].id if org_name else None
        user = create_user(session, {
            "username": username, "display_name": name, "title": title,
            "email": f"{username}@huddinge.example", "organisation_id": str(org or ""),
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
    existing = {o.name: o for o in session.scalars(select(Organisation))}
    wanted = [dict(name=n, kind="namnd", cost_centre=c) for n, c in NAMNDER] + [
        dict(name=n, kind="bolag", org_number=nr, account_kind=k, account=a)
        for n, nr, k, a in BOLAG]
    for values in wanted:
        name = values["name"]
        if name not in existing:
            existing[name] = Organisation(**values)
            session.add(existing[name])
            created.append(f"organisation {name}")
    session.flush()
    return existing


def _ensure_fund(session: Session, today: date, created: list[str]) -> None:
    # Through the operations an administrator uses (the same checks and audit events).
    fund = session.scalars(select(Fund).where(Fund.name == "Trygghetsfonden 2027")).first()
    if fund is None:
        fund = create_fund(session, {
            "name": "Trygghetsfonden 2027", "process_id": "trygghetsfond",
            "diarie_prefix": "KS", "organ": "Kommunstyrelsen",
            "description": "Medel för brottsförebyggande åtgärder i Huddinge kommun."},
            processes={"trygghetsfond"}, actor_id=None)
        created.append("fond Trygghetsfonden 2027")
    if not fund.rounds:
        opens = min(today, date(2026, 11, 1))
        closes = max(date(today.year + 1, 3, 31), today)
        open_round(session, fund, {
            "name": "Ansökningsomgång 2027", "opens_on": opens.isoformat(),
            "closes_on": closes.isoformat(), "budget": "10000000",
            "max_per_application": "1500000", "period_start": "2027-01-01",
            "period_end": "2027-12-31", "komplettering_days": "14"},
            criteria=[], today=today, actor_id=None)
        created.append("ansökningsomgång 2027")


def demo_logins() -> list[tuple[str, str, str]]:
    """Return (username, password, description) of every demo user."""
    return [(u, DEMO_PASSWORD, f"{name} – {', '.join(roles)}" + (f" ({org})" if org else ""))
            for u, name, _title, roles, org in DEMO_USERS]


# -- a fund in motion: applications in every state, made by driving the real process --------

KRITERIER = ["problemanalys", "malgrupp", "kunskapsgrund", "samverkan", "mal_och_uppfoljning",
             "budget", "langsiktighet"]

DEMO_CASES = [
    # (title, district, measure, amount, organisation user, how far)
    ("Nattvandring i Flemingsberg", "Flemingsberg", "nattvandring", 80000, "sokande", "utkast"),
    ("Belysning av gångtunnlar i Vårby", "Vårby", "belysning", 95000, "sokande2", "komplettering"),
    ("Fritidsgård med kvällsöppet i Länna", "Länna", "fritidsaktiviteter", 90000, "sokande",
     "bedomning"),
    ("Trygghetsvärdar vid Huddinge station", "Huddinge centrum", "trygghetsvardar", 85000,
     "sokande2", "beslut"),
    ("Röjning av buskage i Skogås", "Skogås", "rojning", 60000, "sokande2", "bifall"),
    ("Sommarlovsaktiviteter i Vårby", "Vårby", "fritidsaktiviteter", 100000, "sokande",
     "delvis_bifall"),
    ("Trygghetskameror i Stuvsta", "Stuvsta-Snättringe", "belysning", 70000, "sokande2",
     "avslag"),
    ("Avhopparverksamhet Södertörn", "Flemingsberg", "avhopparverksamhet", 400000, "sokande",
     "aterrapportering"),
    ("Nattvandring i Tullinge", "Tullinge", "nattvandring", 50000, "sokande", "avslutad"),
    ("Privat vaktbolag i Segeltorp", "Segeltorp", "trygghetsvardar", 120000, "sokande2",
     "avvisning"),
]
ORDER = ["utkast", "komplettering", "bedomning", "beslut", "bifall", "delvis_bifall", "avslag",
         "aterrapportering", "avslutad", "avvisning"]


def load_demo_cases(session: Session, engine, today: date) -> int:
    """Create the demo applications if the fund has none; return how many were made."""
    from app.grants.models import Application

    if session.scalars(select(Application.id)).first() is not None:
        return 0
    fund_round = session.scalars(select(Round)).first()
    for title, district, measure, amount, username, stage in DEMO_CASES:
        _drive_case(session, engine, fund_round, today, title, district, measure, amount,
                    username, stage)
    return len(DEMO_CASES)


def _drive_case(session, engine, fund_round, today, title, district, measure, amount, username,
                stage):
    from app.grants import applications

    users = {u.username: u for u in session.scalars(select(User))}
    application = applications.start_application(session, engine, users[username],
                                                 fund_round.id, today)

    def step(task_name, data, who):
        task = _open_task(session, application, task_name, who)
        applications.complete_task(session, engine, users[who], task, data, today)
        session.flush()

    data = _application_data(title, district, measure, amount, users[username])
    if stage == "utkast":
        engine.save_draft(session, _open_task(session, application, "ansokan", username),
                          {"titel": title, "stadsdelar": [district]}, actor_id=users[username].id)
        applications.copy_summary(application, {"titel": title})
        return
    step("ansokan", data, username)
    if stage == "komplettering":
        step("formell_kontroll", {
            "kontroll_utfall": "komplettering", "komplettering_delar": ["budget", "sokt_belopp"],
            "komplettering_frist": (today + timedelta(days=14)).isoformat(),
            "kontroll_meddelande": "Specificera budgeten per post och kvartal."}, "handlaggare")
        return
    if stage == "avvisning":
        step("formell_kontroll", {
            "kontroll_utfall": "avvisning",
            "avvisning_motivering": "Fonden ger bidrag till kommunens nämnder och bolag för egna "
                                    "insatser; köp av bevakning från ett privat vaktbolag utan "
                                    "koppling till åtgärdsplanen hör inte till fondens ändamål."},
             "handlaggare")
        return
    step("formell_kontroll", {"kontroll_utfall": "komplett"}, "handlaggare")
    step("tilldela_bedomare", {"bedomare": ["bedomare", "bedomare2"],
                               "bedomning_frist": (today + timedelta(days=21)).isoformat()},
         "handlaggare")
    if stage == "bedomning":
        return
    for reviewer, score in (("bedomare", 4), ("bedomare2", 3 if stage != "avslag" else 2)):
        step("bedomning", _review(score, "avslag" if stage == "avslag" else "bifall"), reviewer)
    outcome = stage if stage in ("delvis_bifall", "avslag") else "bifall"
    granted = {"avslag": 0, "delvis_bifall": amount - 20000}.get(outcome, amount)
    follow_up_days = 10 if stage in ("aterrapportering", "avslutad") else 75
    step("beredning", _proposal(outcome, granted, today, follow_up_days), "handlaggare")
    if stage == "beslut":
        return
    decision = {"beslut": outcome, "beslut_motivering": _MOTIVATION[outcome]}
    if outcome == "delvis_bifall":
        decision["beviljat_belopp"] = granted
    if granted > 100000:
        decision.update(sammantradesdatum=today.isoformat(), paragraf="§ 47", organ="au")
        step("namndbeslut", decision, "beslutsfattare")
    else:
        decision["beslut_jav_intygande"] = True
        step("beslut", decision, "beslutsfattare")
    if stage in ("aterrapportering", "avslutad"):
        _pay_out(session, engine, application, users["ekonomi"], today)
        engine.fire_timers(session, application.process_instance_id)
        session.flush()
    if stage == "avslutad":
        step("aterrapportering", {
            "genomfort": "Nattvandring varje fredag och lördag mars–december.",
            "anvant_belopp": granted,
            "indikator_utfall": [{"indikator": "Upplevd trygghet", "utfall": "61 %"}]},
            username)
        step("granska_aterrapport", {"granskning": "godkand"}, "handlaggare")


def _pay_out(session, engine, application, finance_user, today) -> None:
    """Finance attests the case's first tranche, exports it in a batch and marks it paid."""
    from app.config import DEFAULTS
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


_MOTIVATION = {
    "bifall": "Insatsen bygger på kommunens lägesbild och har tydliga, mätbara mål.",
    "delvis_bifall": "Insatsen beviljas delvis; materialkostnaderna ryms inte i fonden.",
    "avslag": "Insatsen saknar koppling till lägesbilden och åtgärdsplanen.",
}


def _open_task(session, application, task_name, username) -> str:
    from app.engine.models import HumanTask

    query = select(HumanTask.id).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.task_name == task_name, HumanTask.completed_at.is_(None),
        (HumanTask.assignee.is_(None)) | (HumanTask.assignee == username))
    return session.scalars(query).first()


def _application_data(title, district, measure, amount, user) -> dict:
    return {
        "titel": title, "kort_beskrivning": f"{title} under 2027.",
        "kontaktperson": {"namn": user.display_name, "epost": user.email},
        "kategori": "situationell" if measure in ("belysning", "rojning") else "social",
        "atgardstyper": [measure], "stadsdelar": [district],
        "beskrivning": "Lägesbilden 2026 visar otrygghet kvällstid; insatsen svarar mot "
                       "åtgärdsplanens mål om tryggare offentliga miljöer.",
        "malgrupp": "Boende och unga som rör sig i området kvällstid.",
        "startdatum": "2027-03-01", "slutdatum": "2027-12-31",
        "budget": [{"post": "Personal", "belopp": amount - 10000},
                   {"post": "Material", "belopp": 10000}],
        "medfinansiering": 0, "sokt_belopp": amount,
        "resultat": [{"indikator": "Upplevd trygghet i trygghetsmätningen",
                      "utgangslage": "52 %", "mal": "60 %"}],
        "bekraftelse": True,
    }


def _review(score: int, recommendation: str) -> dict:
    return {"bedomning": {
        "jav": "ingen", "rekommendation": recommendation,
        "kriterier": {k: {"poang": score, "motivering": "Bedömt utifrån ansökan."}
                      for k in KRITERIER}}}


def _proposal(outcome: str, amount: int, today: date, follow_up_days: int) -> dict:
    data = {"forslag": outcome, "forslag_belopp": amount,
            "forslag_motivering": _MOTIVATION[outcome]}
    if outcome != "avslag":
        data["utbetalningsplan"] = [{"datum": today.isoformat(), "belopp": amount}]
        if amount >= 50000 and follow_up_days > 30:
            # Half now, half when the follow-up report is approved.
            data["utbetalningsplan"] = [
                {"datum": today.isoformat(), "belopp": amount // 2},
                {"datum": (today + timedelta(days=follow_up_days + 14)).isoformat(),
                 "belopp": amount - amount // 2, "villkor": "Efter godkänd återrapport"}]
        data["aterrapportering_datum"] = (today + timedelta(days=follow_up_days)).isoformat()
    return data
