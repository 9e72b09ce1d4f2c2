"""Ekonomi in the browser: attest, batch, download, void, mark paid, återkrav, the ledger."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import html
from sqlalchemy import select

from app.accounts.models import User, UserRole
from app.db import utcnow
from app.demo import load_demo_cases
from app.formatting import local_today
from app.grants.models import Application, RepaymentClaim
from app.payouts.models import BatchFile, Payout, PayoutBatch
from tests.conftest import csrf_token, login

ROLES = ["anonym", "sokande", "handlaggare", "bedomare", "beslutsfattare", "admin", "ekonomi"]
PAGES = ["/ekonomi/", "/ekonomi/batcher", "/ekonomi/batcher/{batch}",
         "/ekonomi/batcher/{batch}/filer/sie", "/ekonomi/aterkrav",
         "/ekonomi/aterkrav/fakturaunderlag.xlsx", "/ekonomi/aterkrav/fakturaunderlag.csv"]
ACTIONS = ["/ekonomi/attestera", "/ekonomi/batcher", "/ekonomi/batcher/{batch}/utbetald",
           "/ekonomi/batcher/{batch}/makulera", "/ekonomi/aterkrav/1/reglera"]


@pytest.fixture
def cases(session, engine, demo):
    """The living demo: planned and waiting tranches and two paid batches."""
    load_demo_cases(session, engine, local_today())
    session.commit()
    return session


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def flashes(client) -> list[str]:
    page = html.fromstring(client.get("/uppgifter").get_data(as_text=True))
    return [p.text_content() for p in page.xpath("//p[contains(@class, 'flash')]")]


def fresh(session):
    """The session on a new snapshot: it sees what the requests have committed."""
    session.rollback()
    return session


def payouts(session, status: str) -> list[Payout]:
    return list(fresh(session).scalars(select(Payout).where(Payout.status == status)
                                .order_by(Payout.id)))


def test_finance_pages_are_for_ekonomi_only(app, cases):
    batch = cases.scalars(select(PayoutBatch.id)).first()
    for role in ROLES:
        client = app.test_client()
        if role != "anonym":
            login(client, role)
        for path in PAGES:
            response = client.get(path.format(batch=batch))
            expected = {"anonym": 302, "ekonomi": 200}.get(role, 404)
            assert response.status_code == expected, f"{role} GET {path}"
        if role == "ekonomi":
            continue
        for path in ACTIONS:
            response = post(client, path.format(batch=batch), {})
            assert response.status_code == (302 if role == "anonym" else 404), \
                f"{role} POST {path}"
            if role == "anonym":
                assert "/logga-in" in response.headers["Location"]


def test_a_post_without_csrf_token_is_refused(client, demo):
    login(client, "ekonomi")
    for path in ("/ekonomi/attestera", "/ekonomi/batcher", "/ekonomi/aterkrav/1/reglera"):
        response = client.post(path, data={"utbetalning": "1", "utbetalningsdag": "2030-01-01"})
        assert response.status_code == 400
        assert "säkerhetstoken" in response.get_data(as_text=True)


def test_attest_batch_download_void_and_mark_paid(client, cases):
    login(client, "ekonomi")
    tree = html.fromstring(client.get("/ekonomi/").get_data(as_text=True))
    planned = payouts(cases, "planned")
    assert len(planned) == 2
    assert tree.xpath("//input[@name='utbetalning']/@value") == [str(p.id) for p in planned]
    assert "1 av 2" in tree.xpath("string(//section[@aria-labelledby='att-attestera'])")
    assert "Efter godkänd återrapport" in tree.xpath("string(//section[@aria-labelledby='vantar'])")
    assert tree.xpath("//p[@class='empty']/text()") == [
        "Inga attesterade utbetalningar väntar på att exporteras.",
        "Inga senare planerade utbetalningar."]

    ids = [p.id for p in planned]
    response = post(client, "/ekonomi/attestera", {"utbetalning": ids,
                                                   "forfaller": "2030-01-31"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ekonomi/?forfaller=2030-01-31")
    assert flashes(client) == ["2 utbetalningar attesterade."]
    assert [p.id for p in payouts(cases, "attested")] == ids
    assert payouts(cases, "attested")[0].attested_by.username == "ekonomi"

    # A date in the past: the page again, the message by the field, the choices kept.
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = post(client, "/ekonomi/batcher", {"urval": "valda", "utbetalning": ids[:1],
                                                 "utbetalningsdag": yesterday})
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert "bakåt i tiden" in tree.xpath("string(//p[@id='utbetalningsdag-valda--fel'])")
    assert tree.xpath("//input[@id='utbetalningsdag-valda']/@value") == [yesterday]
    assert tree.xpath("//input[@id='utbetalningsdag-valda']/@aria-invalid") == ["true"]
    assert tree.xpath("//input[@name='utbetalning'][@checked]/@value") == [str(ids[0])]
    assert tree.xpath("//div[@class='error-summary']//a/@href") == ["#utbetalningsdag-valda"]

    today = local_today().isoformat()
    response = post(client, "/ekonomi/batcher", {"urval": "valda", "utbetalning": ids,
                                                 "utbetalningsdag": today})
    assert response.status_code == 302
    batch = fresh(cases).scalars(select(PayoutBatch).where(PayoutBatch.status == "exported")).one()
    assert response.headers["Location"].endswith(f"/ekonomi/batcher/{batch.id}")
    page = client.get(f"/ekonomi/batcher/{batch.id}").get_data(as_text=True)
    assert "Intern överföring" in page and "Betalning" in page
    files = cases.scalars(select(BatchFile).where(BatchFile.batch_id == batch.id)).all()
    assert {f.kind for f in files} == {"sie", "pain001", "xlsx", "csv"}
    for file in files:
        assert file.sha256 in page
        first = client.get(f"/ekonomi/batcher/{batch.id}/filer/{file.kind}")
        second = client.get(f"/ekonomi/batcher/{batch.id}/filer/{file.kind}")
        assert first.status_code == 200
        assert first.data == second.data
        assert hashlib.sha256(first.data).hexdigest() == file.sha256
        disposition = first.headers["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="{batch.number}')
        assert "filename*=UTF-8''" in disposition
    csv = client.get(f"/ekonomi/batcher/{batch.id}/filer/csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "sammanst%C3%A4llning.csv" in csv.headers["Content-Disposition"]
    assert client.get(f"/ekonomi/batcher/{batch.id}/filer/pdf").status_code == 404

    # Makulera: a reason and the confirmation box are required.
    response = post(client, f"/ekonomi/batcher/{batch.id}/makulera", {"skal": "Fel dag"})
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert tree.xpath("//p[@id='bekraftat-makulera--fel']")
    assert tree.xpath("//textarea[@id='skal']/text()") == ["Fel dag"]
    response = post(client, f"/ekonomi/batcher/{batch.id}/makulera",
                    {"skal": "Fel utbetalningsdag i filen", "bekraftat_makulera": "ja"})
    assert response.status_code == 302
    assert [p.id for p in payouts(cases, "attested")] == ids
    assert "makulerad" in flashes(client)[0]

    # All attested due by a date: nothing is due that early; then a new batch, then paid.
    response = post(client, "/ekonomi/batcher", {
        "urval": "alla", "batch_forfaller": "2000-01-31", "utbetalningsdag": today})
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert "inga attesterade" in tree.xpath("string(//p[@id='allt-attesterat--fel'])")
    assert tree.xpath("//input[@id='batch-forfaller']/@value") == ["2000-01-31"]
    response = post(client, "/ekonomi/batcher", {
        "urval": "alla", "batch_forfaller": (local_today() + timedelta(days=14)).isoformat(),
        "utbetalningsdag": today})
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    number = fresh(cases).scalars(select(PayoutBatch.number)
                           .where(PayoutBatch.status == "exported")).one()
    paid = {"utbetald_datum": today, "bekraftat_utbetald": "ja"}
    assert post(client, batch_url + "/utbetald", paid).status_code == 302
    assert [p.id for p in payouts(cases, "paid") if p.id in ids] == ids
    statuses = fresh(cases).scalars(select(Application.status).where(
        Application.id.in_([p.application_id for p in planned]))).all()
    assert statuses and not any("väntar på utbetalning" in s for s in statuses)
    flashes(client)
    response = post(client, batch_url + "/utbetald", paid)
    assert response.status_code == 302
    assert flashes(client) == [f"Batch {number} är redan utbetald."]

    assert post(client, "/budget/avstamning", {}).status_code == 302
    ledger = html.fromstring(client.get("/budget").get_data(as_text=True))
    row = ledger.xpath("//tbody/tr")[0]
    assert "Stämmer" in row.text_content()
    assert "520\u00a0000\u00a0kr" in row.text_content()  # 400 000 + 50 000 + 30 000 + 40 000


@pytest.mark.parametrize("path", ["/ekonomi/attestera", "/ekonomi/batcher"])
@pytest.mark.parametrize("payout_id", [str(10**20), "-3"])
def test_a_payout_id_no_row_can_have_is_not_found(client, cases, path, payout_id):
    login(client, "ekonomi")
    planned = payouts(cases, "planned")

    response = post(client, path, {"utbetalning": [planned[0].id, payout_id],
                                   "utbetalningsdag": local_today().isoformat()})

    assert response.status_code == 404
    assert "Utbetalningen finns inte." in response.get_data(as_text=True)
    assert len(payouts(cases, "planned")) == 2 and payouts(cases, "attested") == []


def test_four_eyes_the_decision_maker_may_not_attest(app, cases):
    decider = cases.scalars(select(User).where(User.username == "beslutsfattare")).one()
    decider.role_rows.append(UserRole(role="ekonomi"))
    cases.commit()
    client = app.test_client()
    login(client, "beslutsfattare")
    tree = html.fromstring(client.get("/ekonomi/").get_data(as_text=True))
    assert not tree.xpath("//input[@name='utbetalning']")
    reasons = tree.xpath("//span[@class='problem']/text()")
    assert len(reasons) == 2 and all("får inte attestera" in r for r in reasons)
    ids = [p.id for p in payouts(cases, "planned")]
    response = post(client, "/ekonomi/attestera", {"utbetalning": ids})
    assert response.status_code == 302
    assert "du har berett eller beslutat ärendet" in flashes(client)[0]
    assert [p.id for p in payouts(cases, "planned")] == ids


def test_claims_are_listed_downloaded_and_settled(app, client, cases, engine):
    from app.payouts import attest, batches
    from app.storage import storage_from_config

    finance = cases.scalars(select(User).where(User.username == "ekonomi")).one()
    external = next(p for p in payouts(cases, "planned")
                    if p.application.organisation.kind == "bolag")
    now = utcnow()
    attest.attest(cases, finance, [external.id], now)
    batch = batches.create_batch(cases, storage_from_config(app.config), app.config, finance,
                                 execution_date=local_today(), now=now,
                                 payout_ids=[external.id])
    batches.mark_paid(cases, engine, finance, batch.id, local_today(), now)
    cases.commit()
    internal = next(p for p in payouts(cases, "paid")
                    if p.application.organisation.kind == "namnd")
    cases.add_all([
        RepaymentClaim(application_id=internal.application_id, amount=Decimal("15000"),
                       reason="Oförbrukade medel"),
        RepaymentClaim(application_id=external.application_id, amount=Decimal("5000"),
                       reason="Insatsen blev billigare")])
    cases.commit()

    login(client, "ekonomi")
    tree = html.fromstring(client.get("/ekonomi/aterkrav").get_data(as_text=True))
    namnder = tree.xpath("string(//section[@aria-labelledby='namnder'])")
    bolag = tree.xpath("string(//section[@aria-labelledby='bolag'])")
    assert "Kultur- och fritidsnämnden" in namnder and "15\u00a0000\u00a0kr" in namnder
    assert "Huge Fastigheter AB" in bolag and "Insatsen blev billigare" in bolag

    sie = client.get("/ekonomi/aterkrav/sie")
    assert sie.status_code == 200 and sie.data.startswith(b"#FLAGGA 0")
    assert ".se" in sie.headers["Content-Disposition"]
    xlsx = client.get("/ekonomi/aterkrav/fakturaunderlag.xlsx")
    assert xlsx.data.startswith(b"PK")
    assert "fakturaunderlag" in xlsx.headers["Content-Disposition"]
    csv = client.get("/ekonomi/aterkrav/fakturaunderlag.csv")
    assert external.application.diarienummer in csv.data.decode("utf-8-sig")
    assert client.get("/ekonomi/aterkrav/fakturaunderlag.pdf").status_code == 404

    claim = cases.scalars(select(RepaymentClaim).where(
        RepaymentClaim.application_id == external.application_id)).one()
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    response = post(client, f"/ekonomi/aterkrav/{claim.id}/reglera",
                    {"reglerat_datum": tomorrow})
    assert response.status_code == 422
    tree = html.fromstring(response.get_data(as_text=True))
    assert "i dag eller tidigare" in tree.xpath(
        f"string(//p[@id='reglerat-datum-{claim.id}--fel'])")
    assert tree.xpath(f"//input[@id='reglerat-datum-{claim.id}']/@value") == [tomorrow]

    response = post(client, f"/ekonomi/aterkrav/{claim.id}/reglera",
                    {"reglerat_datum": local_today().isoformat()})
    assert response.status_code == 302
    assert flashes(client) == ["Återkravet från Huge Fastigheter AB på 5\u00a0000\u00a0kr är "
                               "reglerat."]
    assert fresh(cases).get(RepaymentClaim, claim.id).status == "settled"
    tree = html.fromstring(client.get("/ekonomi/aterkrav").get_data(as_text=True))
    assert "Huge Fastigheter AB" in tree.xpath("string(//section[@aria-labelledby='reglerade'])")
    assert "Inga öppna återkrav från bolag" in tree.xpath(
        "string(//section[@aria-labelledby='bolag'])")
    assert post(client, "/budget/avstamning", {}).status_code == 302
    ledger = client.get("/budget").get_data(as_text=True)
    assert "5\u00a0000\u00a0kr" in ledger and "Stämmer" in ledger


def test_the_case_page_shows_the_payout_plan_and_its_status(app, session, cases):
    case = session.scalars(select(Application).where(
        Application.title == "Avhopparverksamhet Södertörn")).one()
    client = app.test_client()
    login(client, "sokande")  # the applicant sees its own case's payouts
    page = html.fromstring(client.get(f"/ansokningar/{case.id}").get_data(as_text=True))
    rows = [" ".join(row.text_content().split())
            for row in page.xpath("//section[@aria-labelledby='utbetalningar']//tbody/tr")]
    assert len(rows) == 1 and "400 000 kr" in rows[0] and "Utbetald" in rows[0]


def test_finance_sees_its_waiting_payouts_in_mina_uppgifter(app, cases):
    client = app.test_client()
    login(client, "ekonomi")
    page = client.get("/uppgifter").get_data(as_text=True)
    assert "2 utbetalningar att attestera" in page
    login(client := app.test_client(), "handlaggare")
    assert "att attestera" not in client.get("/uppgifter").get_data(as_text=True)
