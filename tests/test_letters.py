"""Beslutsbrev: issued by the process as PDF/A, stored once, safe, previewable, access-checked."""

import ctypes.util
import hashlib
import re
import subprocess
import zlib

import pytest
from sqlalchemy import func, select

from app.grants.models import Decision
from app.letters.fetcher import LetterAssetFetcher, RefusedURL
from app.letters.issue import issue_letter
from app.letters.models import Letter
from app.letters.render import html_to_pdf, letter_context, render_pdf
from app.storage import LocalFileStorage
from tests.conftest import login
from tests.test_process_full import decided, proposed

EVIL_TITLE = 'Nattvandring <img src="file:///etc/passwd">'
EVIL_URL = "http://example.invalid/x.png"


@pytest.fixture
def letter_dir(app, engine, tmp_path):
    """Letters go to a fresh folder (the engine and the web app each read UPLOAD_DIR)."""
    before = app.config["UPLOAD_DIR"], engine.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = engine.config["UPLOAD_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["UPLOAD_DIR"], engine.config["UPLOAD_DIR"] = before


def pdf_text(pdf: bytes) -> str:
    """pdftotext of the PDF, with no-break spaces as plain spaces and whitespace collapsed."""
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def inflated(pdf: bytes) -> bytes:
    """The PDF with its Flate streams decompressed (to find catalog entries)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def stored_letter(session, letter_dir) -> tuple[Letter, bytes]:
    letter = session.scalars(select(Letter)).one()
    return letter, LocalFileStorage(letter_dir).get(letter.storage_key)


@pytest.mark.parametrize(("outcome", "amount"), [
    ("bifall", 90000), ("delvis_bifall", 60000), ("avslag", 0)])
def test_the_decision_step_issues_a_pdfa_letter_with_the_contents(
        session, engine, demo, letter_dir, outcome, amount):
    application = decided(session, engine, outcome, amount)
    letter, pdf = stored_letter(session, letter_dir)
    decision = session.scalars(select(Decision)).one()
    assert letter.decision_id == decision.id
    assert letter.sha256 == hashlib.sha256(pdf).hexdigest() and letter.size == len(pdf)
    assert letter.filename == f"Beslut {application.diarienummer.replace('/', '-')}.pdf"
    text = pdf_text(pdf)
    assert application.diarienummer in text
    assert "90 000 kr" in text  # sought (and, on bifall, granted)
    assert f"{amount:,} kr".replace(",", " ") in text
    assert re.search(r"\d{1,2} (januari|februari|mars|april|maj|juni|juli|augusti|september|"
                     r"oktober|november|december) \d{4}", text)
    assert "Insatsen bygger på lägesbilden." in text
    assert "laglighetsprövning" in text
    assert "Huddinge kommun" in text and "Kommunstyrelsen" in text
    assert "Föredragande" in text and "Sida 1 av" in text
    assert "UTKAST" not in text
    xmp = subprocess.run(["pdfinfo", "-meta", "-"], input=pdf, capture_output=True,
                         check=True).stdout.decode()
    assert re.search(r"pdfaid:part[^0-9]{0,3}3", xmp), xmp[:500]


def test_page_one_renders_and_fonts_are_embedded(session, engine, demo, letter_dir, tmp_path):
    decided(session, engine)
    _, pdf = stored_letter(session, letter_dir)
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source),
                    str(tmp_path / "page")], check=True)
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    info = subprocess.run(["pdfinfo", str(source)], capture_output=True, check=True,
                          text=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and "Title:" in info
    fonts = subprocess.run(["pdffonts", str(source)], capture_output=True, check=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)  # every font embedded
    assert re.search(rb"/Lang ?\(sv\)", inflated(pdf))


def test_a_retried_step_returns_the_same_letter(session, engine, demo, letter_dir):
    decided(session, engine)
    letter, pdf = stored_letter(session, letter_dir)
    decision = session.scalars(select(Decision)).one()
    again = issue_letter(session, LocalFileStorage(letter_dir), decision, engine.config)
    assert again.id == letter.id and again.sha256 == letter.sha256
    assert session.scalar(select(func.count(Letter.id))) == 1
    assert LocalFileStorage(letter_dir).get(again.storage_key) == pdf
    assert len(list(letter_dir.iterdir())) == 1


def test_applicant_markup_is_text_and_nothing_is_fetched(session, engine, demo, letter_dir):
    application = decided(session, engine)
    application.title = EVIL_TITLE
    application.public_description = f"Se bilden {EVIL_URL} för detaljer."
    decision = session.scalars(select(Decision)).one()
    fetcher = LetterAssetFetcher()
    context = letter_context(decision, application, application.instance.data, engine.config)
    pdf = render_pdf(context, fetcher)
    session.rollback()
    assert fetcher.refused == []
    assert all(url.startswith("letter-asset:fonts/") for url in fetcher.served)
    text = pdf_text(pdf)
    assert EVIL_TITLE in text and EVIL_URL in text


def test_the_fetcher_refuses_everything_but_letter_assets(monkeypatch):
    opened = []
    monkeypatch.setattr("urllib.request.OpenerDirector.open",
                        lambda *args, **kwargs: opened.append(args))
    fetcher = LetterAssetFetcher()
    for url in ("file:///etc/passwd", EVIL_URL, "https://example.invalid/",
                "data:text/plain,hej", "letter-asset:../../etc/passwd"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    html = (f'<html lang="sv"><title>t</title><img src="file:///etc/passwd">'
            f'<img src="{EVIL_URL}"><link rel="stylesheet" href="https://example.invalid/a.css">'
            f'<p>Hej</p></html>')
    fetcher = LetterAssetFetcher()
    assert html_to_pdf(html, fetcher).startswith(b"%PDF")
    assert set(fetcher.refused) == {"file:///etc/passwd", EVIL_URL,
                                    "https://example.invalid/a.css"}
    assert fetcher.served == [] and opened == []


def test_the_applicant_and_staff_download_the_stored_bytes_others_get_404(
        app, session, engine, demo, letter_dir):
    application = decided(session, engine)
    letter, pdf = stored_letter(session, letter_dir)
    url = f"/beslut/{letter.decision_id}/brev"
    for username, status in [("sokande", 200), ("handlaggare", 200), ("beslutsfattare", 200),
                             ("admin", 200), ("sokande2", 404)]:
        client = app.test_client()
        login(client, username)
        response = client.get(url)
        assert response.status_code == status, username
        if status == 200:
            assert response.data == pdf and response.mimetype == "application/pdf"
            number = application.diarienummer.replace("/", "-")
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith(f'attachment; filename="Beslut {number}.pdf"')
            assert f"filename*=UTF-8''Beslut%20{number}.pdf" in disposition
    client = app.test_client()
    login(client, "sokande")
    assert client.get("/beslut/999999/brev").status_code == 404
    page = client.get(f"/ansokningar/{application.id}").get_data(as_text=True)
    assert url in page and "Beslutsbrev (PDF)" in page


def test_preview_is_watermarked_and_never_stored(app, session, engine, demo, letter_dir):
    application = proposed(session, engine, "delvis_bifall", 60000)
    url = f"/ansokningar/{application.id}/brev/forhandsgranska"
    for username, status in [("handlaggare", 200), ("beslutsfattare", 200), ("admin", 200),
                             ("sokande", 404), ("bedomare", 404)]:
        client = app.test_client()
        login(client, username)
        response = client.get(url)
        assert response.status_code == status, username
        if status == 200:
            text = pdf_text(response.data)
            assert "UTKAST" in text and "60 000 kr" in text
            assert "budgeten är hög" in text  # the proposal's motivation
    assert session.scalar(select(func.count(Letter.id))) == 0
    assert list(letter_dir.iterdir()) == []
    client = app.test_client()
    login(client, "beslutsfattare")
    task_page = client.get(f"/ansokningar/{application.id}").get_data(as_text=True)
    task_id = re.search(r'href="/uppgifter/(\d+)"', task_page)
    if task_id:
        assert url in client.get(f"/uppgifter/{task_id.group(1)}").get_data(as_text=True)


def test_harfbuzz_subsetting_is_available():
    assert ctypes.util.find_library("harfbuzz-subset") is not None
