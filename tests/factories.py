"""make_* factories with keyword defaults, driving the real process."""


from sqlalchemy import select

from app.accounts.models import User
from app.engine.models import HumanTask
from app.formatting import local_today
from app.grants import applications
from app.grants.models import Application, Round


def application_data(**overrides) -> dict:
    """Valid data for the ansokan form."""
    data = {
        "titel": "Nattvandring i Flemingsberg",
        "kort_beskrivning": "Vuxna nattvandrar fredag och lördag kväll i centrala Flemingsberg.",
        "kontaktperson": {"namn": "Sara Sökande", "epost": "sara@huddinge.example",
                          "telefon": "08-535 300 00"},
        "kategori": "social",
        "atgardstyper": ["nattvandring"],
        "stadsdelar": ["Flemingsberg"],
        "beskrivning": "Lägesbilden visar otrygghet kvällstid kring stationen.",
        "startdatum": "2027-02-01",
        "slutdatum": "2027-12-31",
        "malgrupp": "Ungdomar 13–19 år som rör sig kring Flemingsbergs station kvällstid.",
        "budget": [{"post": "Arvoden", "belopp": 200000}, {"post": "Västar", "belopp": 50000}],
        "medfinansiering": 0,
        "sokt_belopp": 250000,
        "resultat": [{"indikator": "Upplevd trygghet i trygghetsmätningen",
                      "utgangslage": "54 %", "mal": "65 %"}],
        "bekraftelse": True,
    }
    data.update(overrides)
    return data


def user(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def make_application(session, engine, username: str = "sokande",
                     round_id: int | None = None) -> Application:
    """Start a draft application in the round (default: the demo round; committed)."""
    if round_id is None:
        round_id = session.scalars(select(Round.id)).first()
    application = applications.start_application(session, engine, user(session, username),
                                                  round_id, local_today())
    session.commit()
    return application


def open_task(session, application: Application, task_name: str) -> HumanTask:
    session.expire_all()
    return session.scalars(select(HumanTask).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.task_name == task_name, HumanTask.completed_at.is_(None))).one()


def complete(session, engine, application: Application, task_name: str, data: dict,
             username: str) -> HumanTask:
    """Complete the open task `task_name` of the application as `username` (committed)."""
    task = open_task(session, application, task_name)
    applications.complete_task(session, engine, user(session, username), task.id, data,
                               local_today())
    session.commit()
    return task


def submitted_application(session, engine, username: str = "sokande",
                          round_id: int | None = None, **data) -> Application:
    application = make_application(session, engine, username, round_id)
    complete(session, engine, application, "ansokan", application_data(**data), username)
    return application


def open_task_names(session, application: Application) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(HumanTask.task_name).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.completed_at.is_(None))))


def formdata(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten JSON form data into the (name, value) pairs a browser would post."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs += formdata(value, f"{name}-")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                pairs += formdata(row, f"{name}-{i}-")
        elif isinstance(value, list):
            pairs += [(name, str(v)) for v in value]
        elif isinstance(value, bool):
            if value:
                pairs.append((name, "y"))
        else:
            pairs.append((name, str(value)))
    return pairs


KRITERIER = ["problemanalys", "malgrupp", "kunskapsgrund", "samverkan", "mal_och_uppfoljning",
             "budget", "langsiktighet"]


def review_data(score: int = 4, jav: bool = False, recommendation: str = "bifall") -> dict:
    """Valid data for the bedomning form."""
    if jav:
        return {"bedomning": {"jav": "jav", "jav_skal": "Min make leder verksamheten."}}
    return {"bedomning": {
        "jav": "ingen",
        "kriterier": {k: {"poang": score, "motivering": "Väl beskrivet."} for k in KRITERIER},
        "rekommendation": recommendation}}


def proposal_data(outcome: str = "bifall", amount: int = 250000, **overrides) -> dict:
    """Valid data for the beredning form."""
    data = {"forslag": outcome, "forslag_belopp": amount,
            "forslag_motivering": "Ansökan uppfyller fondens syfte men budgeten är hög."}
    if outcome != "avslag":
        half = amount // 2
        data["utbetalningsplan"] = [{"datum": "2027-02-01", "belopp": half},
                                    {"datum": "2027-08-01", "belopp": amount - half,
                                     "villkor": "Efter godkänd delrapport"}]
        data["aterrapportering_datum"] = "2028-01-31"
    data.update(overrides)
    return data


def decision_data(outcome: str = "bifall", amount: int | None = None) -> dict:
    data = {"beslut": outcome, "beslut_motivering": "Insatsen bygger på lägesbilden.",
            "beslut_jav_intygande": True}
    if amount is not None:
        data["beviljat_belopp"] = amount
    return data


def to_review(session, engine, application, reviewers=("bedomare", "bedomare2"),
              deadline: str = "2030-01-31") -> None:
    """Take a submitted application through formell kontroll and reviewer assignment."""
    complete(session, engine, application, "formell_kontroll",
             {"kontroll_utfall": "komplett"}, "handlaggare")
    complete(session, engine, application, "tilldela_bedomare",
             {"valda_bedomare": list(reviewers), "bedomning_frist": deadline}, "handlaggare")


def review_all(session, engine, application, reviewers=("bedomare", "bedomare2"), score=4):
    for reviewer in reviewers:
        task = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == application.process_instance_id,
            HumanTask.task_name == "bedomning", HumanTask.assignee == reviewer,
            HumanTask.completed_at.is_(None))).one()
        applications.complete_task(session, engine, user(session, reviewer), task.id,
                                   review_data(score), local_today())
        session.commit()


def pay_out(session, engine, application, tranches=(1,)):
    """Finance attests the case's given tranches, exports them in a batch and marks it paid
    (the real finance steps, so the process gets its payout message)."""
    from app.db import utcnow
    from app.formatting import STOCKHOLM
    from app.payouts import attest, batches
    from app.payouts.plans import payouts_of
    from app.storage import storage_from_config

    finance = user(session, "ekonomi")
    now = utcnow()
    today = now.astimezone(STOCKHOLM).date()
    ids = [p.id for p in payouts_of(session, application.id) if p.tranche in tranches]
    attest.attest(session, finance, ids, now)
    batch = batches.create_batch(session, storage_from_config(engine.config), engine.config,
                                 finance, execution_date=today, now=now, payout_ids=ids)
    batches.mark_paid(session, engine, finance, batch.id, today, now)
    session.commit()
    return batch
