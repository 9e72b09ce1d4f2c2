"""The second fund, föreningsbidrag, shipped as files only (processes/foreningsbidrag.bpmn, its
decision table, forms/forening-*.json, processes/foreningsbidrag/ texts), driven end to end
through the web pages as every role would, on both databases and with a fresh engine per step:
apply (a checked organisationsnummer and bankgiro), registration, a formal check with one
komplettering, a decision on delegation above the four-eyes limit and its approval, the letter,
the payout attested, exported and marked paid, and the follow-up report with a repayment claim."""

from datetime import timedelta

import pytest
from lxml import html
from sqlalchemy import select

from app.accounts.passwords import hash_password
from app.accounts.users import create_user
from app.engine.models import HumanTask
from app.engine.timers import run_due_timers
from app.formatting import local_today
from app.grants.funds import create_fund
from app.grants.models import Application, Decision, RepaymentClaim
from app.grants.organisations import create_organisation
from app.grants.rounds import open_round
from app.letters.models import Letter
from app.notifications.models import OutboxMessage
from app.payouts.models import BatchFile, Payout
from app.payouts.payees import update_payee
from tests.conftest import csrf_token, login
from tests.test_letters import pdf_text
from tests.test_process_full import make_timers_due
from tests.test_web import TASK_URL, complete_in_inbox, logout, open_task_url, post

ORG_NUMBER = "802015-4327"
BANKGIRO = "5050-1055"


@pytest.fixture
def forening(session, demo, app, tmp_path):
    """The föreningsbidrag fund with an open round, an association paid by bankgiro and one
    of its officers, set up through the administrator's operations; letters and batch files go
    to a fresh folder."""
    today = local_today()
    admin = demo["admin"]
    fund = create_fund(session, {
        "name": "Föreningsbidrag 2027", "process_id": "foreningsbidrag", "diarie_prefix": "KFN",
        "organ": "Kultur- och fritidsnämnden", "cost_centre": "4210",
        "cost_centre_name": "KFN Föreningsbidrag", "project_pattern": "KFN{year2}-{seq}"},
        processes={"foreningsbidrag"},
        actor_id=admin.id)
    open_round(session, fund, {
        "name": "Föreningsbidrag våren 2027", "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(), "budget": "500000",
        "max_per_application": "100000", "komplettering_days": "14"}, criteria=[], today=today,
        actor_id=admin.id)
    association = create_organisation(session, {
        "name": "Vårby Ungdomsförening", "kind": "forening", "org_number": ORG_NUMBER,
        "active": "ja"}, actor_id=admin.id)
    update_payee(session, session.merge(admin), association, {
        "kind": "forening", "org_number": ORG_NUMBER, "account_kind": "bankgiro",
        "account": BANKGIRO})
    officer = create_user(session, {
        "username": "forening", "display_name": "Fia Förening", "title": "Kassör",
        "email": "fia@forening.example", "organisation_ids": [str(association.id)],
        "roles": ["sokande"]}, actor_id=admin.id)
    officer.password_hash = hash_password("demo1234")
    session.commit()
    storage = {"UPLOAD_DIR": str(tmp_path), "STORAGE": "local"}
    engine = app.extensions["engine"]
    before = {key: app.config.get(key) for key in storage}
    app.config.update(storage)
    engine.config.update(storage)
    yield fund.rounds[0].id
    app.config.update(before)
    engine.config.update(before)


def application_pairs(**changes) -> list[tuple[str, str]]:
    values = {
        "aktivitet": "Sommarläger för unga i Vårby",
        "sammanfattning": "Fem dagars läger med idrott och friluftsliv för unga i Vårby.",
        "verksamhet": "Föreningen ordnar ett sommarläger med fotboll, bad och friluftsliv för "
                      "40 unga från Vårby, med ledare från föreningen.",
        "medlemsantal": "180", "orgnummer": ORG_NUMBER, "kontotyp": "bankgiro",
        "kontonummer": BANKGIRO, "kontakt-namn": "Fia Förening",
        "kontakt-epost": "fia@forening.example", "aktivitet_start": "2027-06-20",
        "aktivitet_slut": "2027-06-25", "kostnader-0-post": "Lägerplats och mat",
        "kostnader-0-summa": "70000", "kostnader-1-post": "Buss", "kostnader-1-summa": "20000",
        "egen_insats": "10000", "belopp": "80000", "styrelsen_star_bakom": "y", **changes}
    return list(values.items())


def submitted(client, round_id: int) -> str:
    """The association's officer applies; return the case page."""
    login(client, "forening")
    started = client.post("/ansokningar/ny", data={"round_id": round_id,
                                                   "csrf_token": csrf_token(client)})
    task_url = TASK_URL.search(started.headers["Location"]).group(0)
    sent = post(client, task_url, application_pairs(), slutfor="1")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    logout(client)
    return sent.headers["Location"]


def decide(client, amount: int):
    complete_in_inbox(client, "Beslut", [
        ("beslut_utfall", "delvis_bifall"), ("beviljas", str(amount)),
        ("utbetalning-0-dag", local_today().isoformat()), ("utbetalning-0-summa", str(amount)),
        ("rapport_senast", (local_today() + timedelta(days=120)).isoformat()),
        ("beslutsmotivering", "Lägret beviljas; bussen ryms inte i bidraget."),
        ("ingen_jav", "y")])


def inbox_titles(client) -> list[str]:
    page = html.fromstring(client.get("/uppgifter").get_data(as_text=True))
    return [a.text_content().strip() for a in page.xpath("//table//a")]


def test_foreningsbidrag_end_to_end_through_the_web(client, sessions, engine, forening):
    login(client, "forening")
    started = client.post("/ansokningar/ny", data={"round_id": forening,
                                                   "csrf_token": csrf_token(client)})
    assert started.status_code == 302
    task_url = TASK_URL.search(started.headers["Location"]).group(0)

    # The association's organisationsnummer and bankgiro are checked, each on its field.
    refused = post(client, task_url, application_pairs(
        orgnummer="802015-4328", kontonummer="5050-1056"), slutfor="1")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "organisationsnummer med 10 siffror" in page
    assert "giltigt bankgironummer" in page
    sent = post(client, task_url, application_pairs(), slutfor="1")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    case_url = sent.headers["Location"]
    with sessions() as session:
        application = session.scalars(select(Application)).one()
        assert application.diarienummer.startswith("KFN-")
        assert (application.title, application.requested_amount) == (
            "Sommarläger för unga i Vårby", 80000)
        receipt = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "kvitto")).first()
        assert receipt is not None and "föreningens ansökan" in receipt.body
    logout(client)

    # Formal check: one komplettering of the budget and the amount.
    login(client, "handlaggare")
    complete_in_inbox(client, "Formell kontroll", [
        ("kontroll", "komplettering"), ("kompletteras", "kostnader"), ("kompletteras", "belopp"),
        ("till_foreningen", "Dela upp lägerplatsen och maten på två rader."),
        ("svara_senast", (local_today() + timedelta(days=14)).isoformat())])
    logout(client)
    login(client, "forening")
    page = client.get(open_task_url(client, "Komplettering")).get_data(as_text=True)
    assert "Dela upp lägerplatsen och maten" in page
    complete_in_inbox(client, "Komplettering", [
        ("kostnader-0-post", "Lägerplats"), ("kostnader-0-summa", "40000"),
        ("kostnader-1-post", "Mat"), ("kostnader-1-summa", "30000"),
        ("kostnader-2-post", "Buss"), ("kostnader-2-summa", "20000"), ("belopp", "80000")])
    logout(client)

    # The officer decides on delegation: 60 000 of 80 000, above the four-eyes limit.
    login(client, "handlaggare")
    complete_in_inbox(client, "Formell kontroll", [("kontroll", "komplett")])
    decide(client, 60000)
    with sessions() as session:
        assert session.scalars(select(Decision)).first() is None  # not until it is approved
    # The approval is a decision maker's task, not the deciding officer's.
    assert "Godkänn beslut" not in inbox_titles(client)
    logout(client)

    login(client, "beslutsfattare")
    complete_in_inbox(client, "Godkänn beslut", [
        ("godkannande", "godkant"), ("godkannare_ingen_jav", "y")])
    logout(client)
    with sessions() as session:
        decision = session.scalars(select(Decision)).one()
        assert (decision.amount, decision.motivation) == (
            60000, "Lägret beviljas; bussen ryms inte i bidraget.")
        letter = session.scalars(select(Letter)).one()
        assert letter.decision_id == decision.id
        decision_id = decision.id
        payout = session.scalars(select(Payout)).one()
        assert payout.amount == 60000

    # The association reads its own letter: the fund's text, the fund's organ.
    login(client, "forening")
    text = pdf_text(client.get(f"/beslut/{decision_id}/brev").data)
    assert "Beslut om föreningsbidrag" in text
    assert "Kultur- och fritidsnämnden beviljar Vårby Ungdomsförening föreningsbidrag med " \
           "60 000 kr" in text
    assert "ur trygghetsfonden" not in text.lower()
    assert "Föreningen ska lämna en återrapport senast" in text
    logout(client)

    # Finance attests, exports the payout to the association's bankgiro and marks it paid.
    login(client, "ekonomi")
    today = local_today().isoformat()
    assert post(client, "/ekonomi/attestera", [("utbetalning", str(payout.id)),
                                               ("forfaller", today)]).status_code == 302
    made = post(client, "/ekonomi/batcher", [("urval", "valda"), ("utbetalning", str(payout.id)),
                                             ("utbetalningsdag", today)])
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    batch_url = made.headers["Location"]
    with sessions() as session:
        files = {f.kind: f for f in session.scalars(select(BatchFile))}
    pain = client.get(f"{batch_url}/filer/pain001").data.decode()
    assert "50501055" in pain and "60000" in pain
    assert set(files) >= {"pain001", "csv"}
    summary = client.get(f"{batch_url}/filer/csv").data.decode("utf-8-sig")
    assert f"KFN{local_today().year % 100:02d}-0001" in summary  # the fund's own project code
    assert "Vårby Ungdomsförening;Betalning" in summary and "Bankgiro 5050-1055" in summary
    assert post(client, batch_url + "/utbetald", [("utbetald_datum", today),
                                                  ("bekraftat_utbetald", "ja")]).status_code == 302
    logout(client)

    # The follow-up: asked for ahead of its date, reported, and the unused money claimed back.
    with sessions() as session:
        application = session.scalars(select(Application)).one()
        make_timers_due(session, engine, application)
    run_due_timers(sessions, engine)
    login(client, "forening")
    complete_in_inbox(client, "Återrapport", [
        ("genomforande", "Lägret genomfördes med 38 deltagare."), ("deltagare", "38"),
        ("forbrukat", "50000")])
    logout(client)
    login(client, "handlaggare")
    page = client.get(open_task_url(client, "Granska återrapport")).get_data(as_text=True)
    assert "50000" in page.replace("\u00a0", "").replace(" ", "")
    complete_in_inbox(client, "Granska återrapport", [("rapport_bedomning", "aterkrav")])
    page = client.get(case_url).get_data(as_text=True)
    assert "Avslutad med återkrav" in page
    with sessions() as session:
        claim = session.scalars(select(RepaymentClaim)).one()
        assert claim.amount == 10000
        kinds = set(session.scalars(select(OutboxMessage.kind)))
        assert {"kvitto", "komplettering", "beslut", "utbetalning", "aterrapportering"} <= kinds
        paid = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "utbetalning")).one()
        assert "föreningsbidrag" in paid.body and "Trygghetsfonden" not in paid.body


def test_the_demo_has_the_second_fund_with_cases_in_motion(session, sessions, engine, demo):
    from app.demo_funds import load_demo_funds
    from app.grants.models import Fund, Organisation

    today = local_today()
    created = load_demo_funds(session, engine, today)
    session.commit()
    assert created == ["fond Föreningsbidrag 2027", "5 ärenden i Föreningsbidrag 2027"]
    fund = session.scalars(select(Fund).where(Fund.process_id == "foreningsbidrag")).one()
    assert fund.rounds[0].is_open(today)
    associations = session.scalars(select(Organisation).where(
        Organisation.kind == "forening")).all()
    assert len(associations) == 4
    assert {a.account_kind for a in associations} == {"bankgiro", "plusgiro"}
    open_tasks = dict(session.execute(
        select(Application.title, HumanTask.task_name).join(
            HumanTask, HumanTask.instance_id == Application.process_instance_id)
        .where(HumanTask.completed_at.is_(None))).all())
    assert open_tasks == {
        "Sommarläger för unga i Vårby": "foreningskontroll",  # submitted
        "Läxhjälp två kvällar i veckan": "foreningskomplettering",  # in formal check
        "Kulturkvällar i Vårby gård": "beslutsgodkannande",  # four eyes above 50 000 kr
        "Simskola för nyanlända barn": "foreningsrapport",  # paid, follow-up asked for
    }
    decided = session.scalars(select(Decision).order_by(Decision.id)).all()
    assert [d.amount for d in decided] == [30000, 35000]
    assert [p.status for p in session.scalars(select(Payout).order_by(Payout.id))] == [
        "planned", "paid"]
    assert load_demo_funds(session, engine, today) == []  # once only


def test_the_approver_sends_the_decision_back_and_a_smaller_grant_needs_no_approval(
        client, sessions, engine, forening):
    case_url = submitted(client, forening)
    login(client, "handlaggare")
    complete_in_inbox(client, "Formell kontroll", [("kontroll", "komplett")])
    decide(client, 75000)
    logout(client)
    login(client, "beslutsfattare")
    page = client.get(open_task_url(client, "Godkänn beslut")).get_data(as_text=True)
    assert "punkt 3.2" in page  # the decision table's delegation for more than 50 000 kr
    refused = post(client, open_task_url(client, "Godkänn beslut"), [
        ("godkannande", "tillbaka"), ("godkannare_ingen_jav", "y")], slutfor="1")
    assert refused.status_code == 422  # sending it back needs a comment
    complete_in_inbox(client, "Godkänn beslut", [
        ("godkannande", "tillbaka"), ("godkannare_ingen_jav", "y"),
        ("godkannande_kommentar", "Högst 50 000 kr ryms i år.")])
    logout(client)
    login(client, "handlaggare")
    page = client.get(open_task_url(client, "Beslut")).get_data(as_text=True)
    assert "Högst 50 000 kr ryms i år." in page
    decide(client, 50000)
    with sessions() as session:
        decision = session.scalars(select(Decision)).one()
        assert (decision.amount, decision.decided_by.username) == (50000, "handlaggare")
        assert "punkt 3.1" in decision.delegation_reference
    assert "Beviljad, väntar på utbetalning" in client.get(case_url).get_data(as_text=True)


def test_the_association_withdraws_its_application_before_the_decision(
        client, sessions, engine, forening):
    case_url = submitted(client, forening)
    login(client, "forening")
    assert client.get(case_url + "/aterkalla").status_code == 200
    response = post(client, case_url + "/aterkalla", [("orsak", "Lägret blev inställt.")])
    assert response.status_code == 302
    assert "Återkallad" in client.get(case_url).get_data(as_text=True)
    logout(client)
    login(client, "handlaggare")
    assert "Formell kontroll" not in inbox_titles(client)
    with sessions() as session:
        notice = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "aterkallelse")).first()
        assert notice is not None and "återkallad av föreningen" in notice.body
        assert "Lägret blev inställt." in notice.body
