"""The yearly effect report (PDF/A through the letters pipeline, and XLSX) and the reference
lists the administrator keeps."""

import io
import re

import openpyxl
from sqlalchemy import select, update

from app.audit import AuditEvent
from app.effects.models import CaseIndicator, ReferenceItem
from app.formatting import local_today
from app.grants.models import Round
from tests.conftest import csrf_token, login
from tests.test_letters import pdf_text
from tests.test_overview import three_cases


def test_effect_report_pdf_and_xlsx_tell_money_measures_and_indicators(app, client, session,
                                                                       demo):
    a, _b = three_cases(session, app.extensions["engine"])
    session.execute(update(CaseIndicator).where(CaseIndicator.application_id == a.id)
                    .values(outcome="66 %", reached=True))
    session.commit()
    fund = session.get(Round, a.round_id).fund
    login(client, "beslutsfattare")
    year = local_today().year
    response = client.get(f"/oversikt/effektrapport.pdf?fond={fund.id}&ar={year}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert f"Effektrapport {year} – {fund.name}" in text
    assert "2 ansökningar som sökte 180 000 kr. Beviljat: 90 000 kr. Utbetalt: 45 000 kr." in text
    assert "Pengar per kommundel" in text and "Vårby" in text and "Flemingsberg" in text
    assert "Social brottsprevention" in text and "Nattvandring" in text
    assert a.diarienummer in text and "Nattvandring i Flemingsberg" in text
    # A's indicator is reached; B's is not reported: per district A counts twice.
    # (pdftotext may put the chart's rotated axis title between heading and summary)
    assert re.search(r"Indikatorer per kommundel (Kommundel )?2 av 3 indikatorer har nått", text)
    assert re.search(r"Indikatorer per åtgärd (Åtgärd )?1 av 3 indikatorer har nått", text)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/oversikt/effektrapport.xlsx?fond={fund.id}&ar={year}").data))
    measures = list(workbook["Insatser"].iter_rows(min_row=3, values_only=True))
    assert [(m[0], m[2], m[3]) for m in measures] == [
        (a.diarienummer, "Nattvandring i Flemingsberg", 90000)]
    districts = {row[0]: row[1:] for row in workbook["pengar-district"].iter_rows(
        min_row=3, values_only=True)}
    assert districts == {"Flemingsberg": (1, 90000, 90000, 45000),
                         "Vårby": (2, 180000, 90000, 45000)}
    earlier = client.get(f"/oversikt/effektrapport.pdf?fond={fund.id}&ar={year - 5}")
    assert "0 ansökningar" in pdf_text(earlier.data)


def test_administrator_keeps_the_reference_lists(client, session, demo):
    login(client, "admin")
    page = client.get("/admin/listor/atgardsplan")
    assert page.status_code == 200 and "Skadegörelse och klotter" in page.get_data(as_text=True)
    token = csrf_token(client, "/admin/listor/atgardsplan")
    created = client.post("/admin/listor/atgardsplan", data={
        "csrf_token": token, "code": "4.1", "name": "Trygghet i skolmiljön",
        "name_en": "Safety around schools", "active": "ja"})
    assert created.status_code == 302
    item = session.scalars(select(ReferenceItem).where(ReferenceItem.code == "4.1")).one()
    assert (item.list_name, item.name, item.active, item.position) == (
        "atgardsplan", "Trygghet i skolmiljön", True, 6)
    again = client.post("/admin/listor/atgardsplan", data={
        "csrf_token": token, "code": "4.1", "name": "", "position": "x"})
    assert again.status_code == 422
    html = again.get_data(as_text=True)
    assert "Det finns redan en post med koden 4.1." in html
    assert 'href="#name"' in html and 'href="#position"' in html
    changed = client.post(f"/admin/listor/post/{item.id}", data={
        "csrf_token": token, "code": "9.9", "name": "Trygghet kring skolor", "position": "2"})
    assert changed.status_code == 302
    session.rollback()
    item = session.get(ReferenceItem, item.id)
    assert (item.code, item.name, item.active, item.position) == (
        "4.1", "Trygghet kring skolor", False, 2)
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"reference_item_created", "reference_item_changed"} <= actions
    assert client.get("/admin/listor/okand").status_code == 404


def test_the_application_form_offers_the_active_list_items(app, client, session, demo):
    from tests.factories import make_application, open_task
    application = make_application(session, app.extensions["engine"])
    task = open_task(session, application, "ansokan")
    session.execute(update(ReferenceItem).where(ReferenceItem.code == "2.2")
                    .values(active=False))
    session.commit()
    login(client, "sokande")
    html = client.get(f"/uppgifter/{task.id}").get_data(as_text=True)
    assert "Unga som rekryteras till kriminella nätverk" in html
    assert "Skadegörelse och klotter" not in html
    assert "Huddinge centrum" in html
