"""The lists besides the cases — outbox, batches, organisations, users, the delegation
report — through the shared list machinery: sort, filter, search, pages, export."""

import csv
import io

from lxml import html
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.users import create_user
from app.formatting import local_today
from tests.conftest import login
from tests.factories import pay_out, submitted_application
from tests.test_lists import link, rows_of
from tests.test_process_full import decided


def client_of(app, username):
    client = app.test_client()
    login(client, username)
    return client


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))


def test_users_list_searches_sorts_pages_and_exports(app, session, demo):
    for n in range(30):
        create_user(session, {"username": f"granskare{n:02d}", "display_name": f"Granskare {n:02d}",
                              "email": f"g{n:02d}@huddinge.example", "organisation_id": "",
                              "roles": ["bedomare"]}, actor_id=None)
    session.commit()
    client = client_of(app, "admin")
    first = client.get("/admin/anvandare?q=granskare&sortera=namn&ordning=fallande&antal=25")
    text = first.get_data(as_text=True)
    names = [html.fromstring(text).xpath("//tbody/tr/th")[i].text_content().strip()
             for i in range(25)]
    assert names == [f"Granskare {n:02d}" for n in range(29, 4, -1)]
    rest = html.fromstring(client.get(link(text, "next")).get_data(as_text=True))
    assert len(rest.xpath("//tbody/tr")) == 5
    exported = csv_rows(client.get("/admin/anvandare?q=granskare&roll=bedomare&format=csv"))
    assert len(exported) == 31 and exported[0][:2] == ["Namn", "Användarnamn"]
    inactive = client.get("/admin/anvandare?status=inaktiva").get_data(as_text=True)
    assert html.fromstring(inactive).xpath("//tbody/tr") == []


def test_organisations_list_filters_by_kind_and_searches_org_number(app, demo):
    client = client_of(app, "admin")
    page = html.fromstring(client.get("/admin/organisationer?typ=bolag").get_data(as_text=True))
    kinds = {" ".join(td.text_content().split()) for td in page.xpath("//tbody/tr/td[1]")}
    assert kinds == {"Bolag"}
    found = client.get("/admin/organisationer?q=556070").get_data(as_text=True)
    assert "Huge Fastigheter AB" in found
    workbook = load_workbook(io.BytesIO(client.get("/admin/organisationer?format=xlsx").data))
    names = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert names == sorted(names) and "Huge Fastigheter AB" in names


def test_outbox_list_filters_searches_and_exports(app, session, demo):
    submitted_application(session, app.extensions["engine"])  # a receipt to the applicant
    client = client_of(app, "handlaggare")
    pending = rows_of(client.get("/utkorg?status=pending").get_data(as_text=True))
    assert pending and all("Väntar" in row[4] for row in pending)
    assert rows_of(client.get("/utkorg?status=sent").get_data(as_text=True)) == []
    assert rows_of(client.get("/utkorg?q=ingen-sadan-mottagare").get_data(as_text=True)) == []
    exported = csv_rows(client.get("/utkorg?format=csv&sortera=mottagare"))
    assert exported[0][:3] == ["Tid", "Typ", "Mottagare"] and len(exported) == len(pending) + 1


def test_batches_and_delegation_report_lists(app, session, demo):
    engine = app.extensions["engine"]
    application = decided(session, engine)
    batch = pay_out(session, engine, application)
    client = client_of(app, "ekonomi")
    page = html.fromstring(client.get("/ekonomi/batcher?status=paid").get_data(as_text=True))
    assert [th.text_content().strip() for th in page.xpath("//tbody/tr/th")] == [batch.number]
    assert rows_of(client.get("/ekonomi/batcher?status=voided").get_data(as_text=True)) == []
    assert client.get("/ekonomi/batcher?status=stulen").status_code == 422
    exported = csv_rows(client.get(f"/ekonomi/batcher?q={batch.number}&format=csv"))
    assert exported[1][0] == batch.number
    officer = client_of(app, "handlaggare")
    today = local_today().isoformat()
    report = officer.get(f"/rapporter/delegationsbeslut?fran={today}&till={today}"
                         "&sortera=belopp&ordning=fallande")
    assert [row[1] for row in rows_of(report.get_data(as_text=True))] == [
        application.diarienummer]
    assert "fran=" in html.fromstring(report.get_data(as_text=True)).xpath(
        "//th[@aria-sort]//a/@href")[0]
    assert session.scalars(select(User)).first() is not None


def test_audit_log_exports_every_page_of_its_filter(app, session, demo):
    for n in range(60):  # more than one page of 50
        create_user(session, {"username": f"person{n:02d}", "display_name": f"Person {n:02d}",
                              "email": f"p{n:02d}@huddinge.example", "organisation_id": "",
                              "roles": ["bedomare"]}, actor_id=None)
    session.commit()
    client = client_of(app, "admin")
    page = client.get("/admin/handelser?typ=user_created").get_data(as_text=True)
    assert len(html.fromstring(page).xpath("//tbody/tr")) == 50
    exported = csv_rows(client.get("/admin/handelser?typ=user_created&format=csv"))
    created = len(session.scalars(select(User)).all())
    assert exported[0][:3] == ["Tid", "Vem", "Typ"] and len(exported) == created + 1
    assert {row[2] for row in exported[1:]} == {"user_created"}
    workbook = load_workbook(io.BytesIO(client.get("/admin/handelser?typ=user_created"
                                                   "&format=xlsx").data))
    assert workbook.active.max_row == created + 1
