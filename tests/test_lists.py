"""The case lists: keyset pages, sorting, filters, search and exports (app.web.listing), on
both databases, read through the pages as a user reads them."""

import csv
import io

import pytest
from lxml import html
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.engine.models import HumanTask
from app.grants.models import Application, Organisation
from app.grants.search import matching_case_ids
from tests.conftest import login
from tests.factories import make_application, submitted_application

TITLES = [f"Trygghetsvandring nummer {n:02d}" for n in range(1, 28)]


@pytest.fixture
def many(app, session, demo):
    """27 submitted cases (more than one page of 25) and one draft."""
    engine = app.extensions["engine"]
    cases = [submitted_application(session, engine, titel=title) for title in TITLES]
    make_application(session, engine)
    return cases


def rows_of(page: str) -> list[list[str]]:
    """The list's rows as the reader sees them: the cells' text."""
    tree = html.fromstring(page)
    return [[" ".join(td.text_content().split()) for td in tr.xpath("td")]
            for tr in tree.xpath("//table[@class='table']/tbody/tr")]


def link(page: str, rel: str) -> str | None:
    found = html.fromstring(page).xpath(f"//nav[@class='pagination']//a[@rel='{rel}']/@href")
    return found[0] if found else None


def officer(app):
    client = app.test_client()
    login(client, "handlaggare")
    return client


def test_applications_list_pages_forward_and_back_by_keyset(app, many):
    client = officer(app)
    first = client.get("/ansokningar?antal=25&sortera=titel&ordning=stigande")
    assert first.status_code == 200
    page1 = rows_of(first.get_data(as_text=True))
    assert [r[1] for r in page1] == TITLES[:25]
    assert link(first.get_data(as_text=True), "prev") is None
    second = client.get(link(first.get_data(as_text=True), "next"))
    page2 = rows_of(second.get_data(as_text=True))
    assert [r[1] for r in page2] == TITLES[25:]
    assert link(second.get_data(as_text=True), "next") is None
    back = client.get(link(second.get_data(as_text=True), "prev"))
    assert rows_of(back.get_data(as_text=True)) == page1


def test_applications_list_sorts_descending_and_keeps_the_state_in_the_url(app, many):
    client = officer(app)
    page = client.get("/ansokningar?sortera=titel&ordning=fallande&antal=25&q=trygghetsvandring")
    text = page.get_data(as_text=True)
    assert [r[1] for r in rows_of(text)] == sorted(TITLES, reverse=True)[:25]
    following = link(text, "next")
    assert "q=trygghetsvandring" in following and "ordning=fallande" in following
    tree = html.fromstring(text)
    assert tree.xpath("//th[@aria-sort='descending']//text()")[0].strip() == "Titel"


def test_applications_list_filters_by_status_round_and_overdue(app, many, session):
    client = officer(app)
    under_way = rows_of(client.get("/ansokningar?status=pagar&antal=100").get_data(as_text=True))
    assert len(under_way) == 27  # the draft is the applicant's only
    assert rows_of(client.get("/ansokningar?status=beviljad").get_data(as_text=True)) == []
    round_id = many[0].round_id
    assert len(rows_of(client.get(f"/ansokningar?omgang={round_id}&antal=100")
                       .get_data(as_text=True))) == 27
    assert rows_of(client.get("/ansokningar?forsenad=ja").get_data(as_text=True)) == []


def test_applicant_lists_only_its_own_cases_and_its_draft(app, many):
    client = app.test_client()
    login(client, "sokande")
    rows = rows_of(client.get("/ansokningar?antal=100").get_data(as_text=True))
    assert len(rows) == 28 and rows[0][0] == "Utkast"  # newest first: the draft
    client = app.test_client()
    login(client, "sokande2")
    assert rows_of(client.get("/ansokningar").get_data(as_text=True)) == []


def test_wrong_list_parameters_are_named_not_a_500(app, many):
    client = officer(app)
    for query, field in (("sortera=losenord", "sortera"), ("ordning=upp", "ordning"),
                         ("antal=7", "antal"), ("efter=abc", "efter"), ("status=x", "status"),
                         ("omgang=99999999999999999999", "omgang")):
        response = client.get(f"/ansokningar?{query}")
        assert response.status_code == 422, query
        summary = html.fromstring(response.get_data(as_text=True)).xpath(
            "//div[@class='error-summary']//a/@href")
        assert f"#{field}" in summary, (query, summary)


def test_export_csv_and_xlsx_hold_every_page_as_the_list_shows_it(app, many):
    client = officer(app)
    query = "sortera=titel&ordning=stigande&antal=25"
    first = client.get(f"/ansokningar?{query}").get_data(as_text=True)
    shown = rows_of(first) + rows_of(client.get(link(first, "next")).get_data(as_text=True))
    response = client.get(f"/ansokningar?{query}&format=csv")
    assert response.status_code == 200 and "attachment" in response.headers[
        "Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                            delimiter=";"))
    assert table[0] == ["Diarienummer", "Titel", "Organisation", "Sökt belopp", "Status",
                        "Skapad"]
    assert [row[:3] for row in table[1:]] == [row[:3] for row in shown]
    workbook = load_workbook(io.BytesIO(client.get(f"/ansokningar?{query}&format=xlsx").data))
    sheet = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert [row[:3] for row in sheet[1:]] == [row[:3] for row in shown]
    assert float(sheet[1][3]) == 250000  # amounts stay numbers


def test_inbox_pages_filters_and_search(app, many, session):
    client = officer(app)
    first = client.get("/uppgifter?antal=25&sortera=diarienummer")
    text = first.get_data(as_text=True)
    assert len(rows_of(text)) == 25
    rest = rows_of(client.get(link(text, "next")).get_data(as_text=True))
    assert len(rest) == 2
    found = rows_of(client.get("/uppgifter?q=nummer+07").get_data(as_text=True))
    assert len(found) == 1 and "Trygghetsvandring nummer 07" in found[0][2]
    assert rows_of(client.get("/uppgifter?tilldelning=mina").get_data(as_text=True)) == []
    assert len(rows_of(client.get("/uppgifter?tilldelning=otilldelade&antal=100")
                       .get_data(as_text=True))) == 27


def test_search_uses_swedish_stemming_on_postgres_and_fts5_prefixes_on_sqlite(app, many,
                                                                             session):
    dialect = session.get_bind().dialect.name

    def titles(query):
        ids = matching_case_ids(dialect, query)
        return set(session.scalars(select(Application.title).where(Application.id.in_(ids))))

    assert titles("trygghetsvandr") == set(TITLES)  # the start of a word
    assert titles("nummer 03") == {TITLES[2]}  # every word must match
    assert titles("Kultur- och fritidsnämnden nummer 04") == {TITLES[3]}
    diarienummer = many[4].diarienummer
    assert titles(diarienummer) == {TITLES[4]}
    if dialect == "postgresql":  # Swedish stemming: the plural finds the singular
        assert titles("trygghetsvandringar") == set(TITLES)
    assert matching_case_ids(dialect, " -- ") is None


def test_search_follows_a_renamed_organisation(app, many, session):
    dialect = session.get_bind().dialect.name
    session.execute(update(Organisation).where(Organisation.id == many[0].organisation_id)
                    .values(name="Samhällsbyggnadsnämnden"))
    session.commit()
    ids = matching_case_ids(dialect, "samhällsbyggnadsnämnden")
    assert len(session.scalars(select(Application.id).where(Application.id.in_(ids))).all()) \
        == 28
    assert session.scalars(select(HumanTask.id)).first() is not None


def test_applications_and_inbox_filter_by_district_and_kind_of_prevention(app, session, demo):
    """The filters read the facts the forms declare (x-grant districts, prevention_kind)."""
    engine = app.extensions["engine"]
    submitted_application(session, engine, titel="Nattvandring i Vårby", stadsdelar=["Vårby"],
                          kategori="social")
    submitted_application(session, engine, titel="Belysning i Flemingsberg",
                          stadsdelar=["Flemingsberg", "Vårby"], kategori="situationell")
    submitted_application(session, engine, titel="Fritidsgård i Segeltorp",
                          stadsdelar=["Segeltorp"], kategori="social")
    client = officer(app)

    def titles(query, path="/ansokningar"):
        page = client.get(f"{path}?{query}&antal=100")
        assert page.status_code == 200
        return sorted(" ".join(row) for row in rows_of(page.get_data(as_text=True)))

    assert [t for t in titles("kommundel=Vårby") if "Vårby" in t or "Belysning" in t] == \
        titles("kommundel=Vårby")
    assert len(titles("kommundel=Vårby")) == 2
    assert len(titles("kommundel=Segeltorp")) == 1
    assert len(titles("inriktning=social")) == 2
    assert len(titles("kommundel=Vårby&inriktning=social")) == 1
    assert len(titles("kommundel=Vårby", "/uppgifter")) == 2  # their formell kontroll
    page = client.get("/ansokningar?kommundel=Atlantis")
    assert page.status_code == 422 and "kommundel" in page.get_data(as_text=True)
    options = html.fromstring(client.get("/ansokningar").get_data(as_text=True)).xpath(
        "//select[@name='kommundel']/option/@value")
    assert {"Vårby", "Flemingsberg", "Segeltorp"} <= set(options)
