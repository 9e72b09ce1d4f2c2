"""Letter rendering without a database: avvisning/avskrivning, the logo, the fetcher's
allow-list and the reused (pooled) font configuration, in a row and from two threads."""

import logging
import re
import subprocess
import threading
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from app.config import DEFAULTS, ROOT
from app.engine.specs import load_catalogue
from app.grants.declarations import catalogue_declarations
from app.letters import render
from app.letters.fetcher import LOGO_URL, LetterAssetFetcher, RefusedURL
from app.letters.render import DecisionFacts, letter_context, render_pdf
from tests.test_letters import inflated, pdf_text

LOGO = Path(DEFAULTS["LETTER_LOGO"])
# The shipped process's declarations: the case data below uses its fields.
DECL = catalogue_declarations(load_catalogue(ROOT / "processes", ROOT / "forms"))["trygghetsfond"]
REASON = "Ansökan kom in den 20 mars 2027, efter sista ansökningsdag den 1 mars 2027."
OFFICER = SimpleNamespace(display_name="Bo Beslut", title="Enhetschef")
LOGO_ALT = rb"/Alt ?\(Huddinge kommun logotyp\)"
TRYGGHETSFOND = SimpleNamespace(name="Trygghetsfonden", process_id="trygghetsfond", organ="",
                                signatory_name="", signatory_title="", contact="", cost_centre="",
                                cost_centre_name="", project_pattern="", transfer_account="")


def case(outcome: str = "avvisning", number: int = 1, fund=TRYGGHETSFOND, **decision) -> tuple:
    """A decision, its application (to `fund`) and case data, as plain objects."""
    application = SimpleNamespace(
        round=SimpleNamespace(fund=fund),
        diarienummer=f"KS-2027/{number:04d}", title="Nattvandring i Vårby",
        public_description="Vuxna nattvandrar i Vårby centrum.",
        requested_amount=Decimal(90_000),
        organisation=SimpleNamespace(name="Föreningen Trygga Vårby"))
    data = {"kontaktperson": {"namn": "Sara Sökande", "epost": "sara@example.org"},
            "startdatum": "2027-04-01", "slutdatum": "2027-12-31",
            "utbetalningsplan": [{"datum": "2027-04-01", "belopp": 90_000}]}
    facts = DecisionFacts(outcome=outcome, amount=Decimal(0), motivation=REASON,
                          decided_at=datetime(2027, 3, 14, 9, 30, tzinfo=UTC),
                          level="delegat", decided_by=OFFICER)
    return replace(facts, **decision), application, data


def context(outcome: str = "avvisning", number: int = 1, config=None, **decision) -> dict:
    return letter_context(*case(outcome, number, **decision), config or DEFAULTS, decl=DECL)


def grant_context(number: int) -> dict:
    """A two-page bifall letter."""
    return context("bifall", number, amount=Decimal(90_000), level="delegat",
                   motivation="Insatsen bygger på lägesbilden och trygghetsmätningen. " * 6,
                   conditions="Verksamheten ska genomföras i samverkan med kommunpolisen.",
                   delegation_reference="Delegationsordningen punkt 4.1")


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


class RecordingFetcher(LetterAssetFetcher):
    """Remembers every URL it was asked for, served or refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []

    def fetch(self, url, headers=None):
        self.asked.append(url)
        return super().fetch(url, headers)


def assert_archivable(pdf: bytes, tmp_path: Path, name: str) -> None:
    """PDF/A-3, tagged, Swedish, titled, with every font embedded."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True,
                          text=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and re.search(r"Title:\s+Beslut KS-", info)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes " in line for line in fonts), fonts  # embedded, subset
    xmp = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, check=True,
                         text=True).stdout
    assert re.search(r"pdfaid:part[^0-9]{0,3}3", xmp)
    content = inflated(pdf)
    assert re.search(rb"/Lang ?\(sv\)", content)
    assert b"/GTS_PDFA1" in content and b"/DestOutputProfile" in content


def test_a_committee_letter_names_the_committee_its_meeting_and_delegation():
    pdf = render_pdf(context(
        "bifall", amount=Decimal(300_000), level="au", organ="Kommunstyrelsens arbetsutskott",
        meeting_date=datetime(2027, 2, 10).date(), meeting_paragraph="§ 47",
        delegation_reference="Delegationsordningen punkt 3.2"))
    text = words(pdf_text(pdf))
    assert "Kommunstyrelsens arbetsutskott beviljar Föreningen Trygga Vårby" in text
    assert ("Beslutet har fattats av Kommunstyrelsens arbetsutskott vid sammanträdet "
            "10 februari 2027, § 47.") in text
    assert "Delegation: Delegationsordningen punkt 3.2" in text
    assert "Kommunstyrelsen beviljar" not in text


def test_an_older_decision_without_organ_gets_its_levels_body():
    assert context("bifall", level="ks")["organ"] == "Kommunstyrelsen"
    assert context("bifall", level="au")["organ"] == "Kommunstyrelsens arbetsutskott"
    assert context("bifall", level="delegat")["organ"] == DEFAULTS["LETTER_NAMND"]
    config = {**DEFAULTS, "LETTER_NAMND": "Kultur- och fritidsnämnden",
              "LETTER_ORGANS": {"au": "Kultur- och fritidsnämndens arbetsutskott"}}
    assert context("bifall", level="au", config=config)["organ"] == \
        "Kultur- och fritidsnämndens arbetsutskott"


@pytest.mark.parametrize(("outcome", "verb"), [
    ("avvisning", "Kommunstyrelsen avvisar er ansökan"),
    ("avskrivning", "Kommunstyrelsen avskriver ärendet")])
def test_formal_letters_state_the_reason_delegation_and_appeal(outcome, verb, tmp_path):
    pdf = render_pdf(context(outcome))
    text = pdf_text(pdf)
    assert verb in text
    assert "KS-2027/0001" in text and "14 mars 2027" in text
    assert REASON in text and "Skäl för beslutet" in text
    assert "Bo Beslut, Enhetschef, på delegation från Kommunstyrelsen" in text
    assert words(DEFAULTS["LETTER_FORMAL_DELEGATION"]) in text
    assert "Information om laglighetsprövning" in text
    assert words(DEFAULTS["LETTER_APPEAL_TEXT"]) in text
    assert words(DEFAULTS["LETTER_CONTACT"]) in text
    assert not re.search(r"\d kr\b", text)  # no amounts
    for absent in ("Sökt belopp", "Villkor", "Utbetalning", "Motivering", "UTKAST"):
        assert absent not in text, absent
    assert_archivable(pdf, tmp_path, outcome)


def test_formal_letters_use_the_decisions_own_delegation_and_the_configured_namnd():
    config = {**DEFAULTS, "LETTER_NAMND": "Socialnämnden"}
    text = pdf_text(render_pdf(context(
        "avskrivning", config=config, delegation_reference="Delegationsordning punkt 9.9")))
    assert "Socialnämnden avskriver ärendet" in text
    assert "Delegation: Delegationsordning punkt 9.9" in text
    assert "punkt 1.4" not in text


def test_the_configured_logo_is_fetched_and_tagged_with_its_alt_text():
    fetcher = RecordingFetcher(logo=LOGO)
    pdf = render_pdf(context(), fetcher)
    assert fetcher.asked == [LOGO_URL] and fetcher.served == [LOGO_URL]
    assert fetcher.refused == []
    assert re.search(LOGO_ALT, inflated(pdf))  # the tagged Figure of the letterhead
    assert re.search(LOGO_ALT, inflated(render_pdf(context())))  # default: LETTER_LOGO


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_raster_logo_is_embedded_as_an_image(kind, tmp_path):
    logo = tmp_path / f"logo.{kind.lower()}"
    Image.new("RGB", (60, 70), (31, 78, 121)).save(logo, kind)
    pdf = render_pdf(context(config={**DEFAULTS, "LETTER_LOGO": str(logo)}))
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode().splitlines()[2:]
    assert len(listing) == 1 and " 60    70 " in listing[0]
    assert re.search(LOGO_ALT, inflated(pdf))


UNUSABLE_LOGOS = {
    "not an image": b"inte en bild",
    "html": b"<html><body><svg xmlns='http://www.w3.org/2000/svg'/></body></html>",
    "broken png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    "entities": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg"><title>&a;</title></svg>',
}


@pytest.mark.parametrize("setting", ["missing", "a folder", *UNUSABLE_LOGOS])
def test_an_unusable_logo_is_left_out_with_a_warning(setting, tmp_path, caplog):
    path = {"missing": tmp_path / "borta.svg", "a folder": tmp_path}.get(
        setting, tmp_path / "logo.svg")
    if setting in UNUSABLE_LOGOS:
        path.write_bytes(UNUSABLE_LOGOS[setting])
    caplog.set_level(logging.WARNING, logger="app.letters.fetcher")
    pdf = render_pdf(context(config={**DEFAULTS, "LETTER_LOGO": str(path)}))
    assert "KS-2027/0001" in pdf_text(pdf)
    assert not re.search(LOGO_ALT, inflated(pdf))
    assert any("logotyp" in record.getMessage() for record in caplog.records)


def test_no_logo_configured_means_none_and_no_warning(caplog):
    caplog.set_level(logging.WARNING)
    fetcher = RecordingFetcher()
    pdf = render_pdf(context(config={**DEFAULTS, "LETTER_LOGO": ""}))
    assert not re.search(LOGO_ALT, inflated(pdf)) and caplog.records == []
    render_pdf(context(), fetcher)  # a fetcher without a logo: the letterhead has none
    assert fetcher.asked == []


def test_the_fetcher_serves_the_configured_logo_and_nothing_else(monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr("urllib.request.OpenerDirector.open",
                        lambda *args, **kwargs: opened.append(args))
    fetcher = LetterAssetFetcher(logo=LOGO)
    response = fetcher.fetch(LOGO_URL)
    assert response.content_type == "image/svg+xml" and response.read() == LOGO.read_bytes()
    png = tmp_path / "logo.bin"  # the type comes from the content, not the name
    Image.new("RGB", (4, 4)).save(png, "PNG")
    assert LetterAssetFetcher(logo=png).fetch(LOGO_URL).content_type == "image/png"
    refused = [f"file://{LOGO}", f"file://{png}", "letter-asset:logo.svg",
               "letter-asset:assets/logo.svg", "letter-asset:../assets/logo.svg",
               "letter-asset:LOGO", "letter-asset:fonts/../../../../etc/passwd",
               "data:image/svg+xml,<svg/>", "https://example.invalid/logo.svg"]
    for url in refused:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.refused == refused
    with pytest.raises(RefusedURL):
        LetterAssetFetcher().fetch(LOGO_URL)  # no logo given: not on the list
    assert opened == []


def test_reused_renderers_make_valid_letters_in_a_row_and_from_two_threads(
        monkeypatch, tmp_path):
    render_pdf(grant_context(1))  # at least one renderer in the pool
    made = []
    original = render._new_renderer
    monkeypatch.setattr(render, "_new_renderer",
                        lambda version: made.append(version) or original(version))
    in_a_row = [render_pdf(grant_context(number)) for number in (2, 3)]
    assert made == []  # the font configuration and stylesheets were reused

    results: dict[int, bytes] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(first: int) -> None:
        try:
            start.wait(timeout=30)
            for number in (first, first + 1):
                results[number] = render_pdf(grant_context(number))
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(first,)) for first in (10, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and sorted(results) == [10, 11, 20, 21]
    assert len(made) <= 1  # a second renderer only while both threads render at once

    for number, pdf in [(2, in_a_row[0]), (3, in_a_row[1]), *results.items()]:
        text = pdf_text(pdf)
        assert f"Dnr KS-2027/{number:04d}" in text  # its own running header, no mix-up
        assert "Sida 1 av 2" in text and "Sida 2 av 2" in text
        assert "Huddinge kommun · Kommunstyrelsen" in text
        assert_archivable(pdf, tmp_path, f"letter-{number}")


def test_an_edited_stylesheet_gets_a_new_renderer(monkeypatch):
    render_pdf(context())
    made = []
    original = render._new_renderer
    monkeypatch.setattr(render, "_new_renderer",
                        lambda version: made.append(version) or original(version))
    monkeypatch.setattr(render, "_stylesheets_version", lambda: (1, 2))
    render_pdf(context())
    render_pdf(context())
    assert made == [(1, 2)]


def test_a_draft_has_the_utkast_header_and_watermark(tmp_path):
    pdf = render_pdf(letter_context(*case("avvisning"), DEFAULTS, draft=True, decl=DECL))
    text = pdf_text(pdf)
    assert "UTKAST – inte ett beslut" in text and "Huddinge kommun · Kommunstyrelsen" in text
    (tmp_path / "draft.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-singlefile", str(tmp_path / "draft.pdf"),
                    str(tmp_path / "draft")], check=True)
    with Image.open(tmp_path / "draft.png") as page:
        rgb = page.convert("RGB").tobytes()
    pixels = list(zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True))
    reddish = sum(1 for r, g, b in pixels if r - g > 25 and r - b > 25)
    assert reddish > len(pixels) / 100  # the large rotated UTKAST (~2.7 %), not the header


def test_a_logo_image_does_not_reach_the_network_through_svg(monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr("urllib.request.OpenerDirector.open",
                        lambda *args, **kwargs: opened.append(args))
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" '
                    'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
                    '<image xlink:href="file:///etc/passwd" width="10" height="10"/>'
                    '<image href="https://example.invalid/x.png" width="10" height="10"/>'
                    '</svg>')
    fetcher = RecordingFetcher(logo=logo)
    assert render_pdf(context(), fetcher).startswith(b"%PDF")
    assert fetcher.served == [LOGO_URL]
    assert set(fetcher.refused) == {"file:///etc/passwd", "https://example.invalid/x.png"}
    assert opened == []
