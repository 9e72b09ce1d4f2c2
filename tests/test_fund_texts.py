"""Per-fund texts and money (issue 13 point 2): a fund's letters and e-mails are its process's
own texts or the neutral defaults naming it from data; two funds' payouts are booked on their
own ansvar with project codes that cannot collide."""

import io
import shutil
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.config import DEFAULTS, ROOT
from app.errors import InvalidInput
from app.formatting import local_today
from app.grants import funds, rounds
from app.grants.models import Fund, Organisation
from app.letters.fetcher import LetterAssetFetcher
from app.letters.render import TEMPLATES, letter_context, render_pdf
from app.notifications.models import OutboxMessage
from app.notifications.texts import MESSAGES_DIR, render_message
from app.storage import storage_from_config
from tests.test_letter_rendering import DECL, TRYGGHETSFOND, case
from tests.test_letters import letter_dir, pdf_text, stored_letter  # noqa: F401 (fixture)
from tests.test_notifications import CONTEXT
from tests.test_payouts import attested, new_batch
from tests.test_process_full import decided

ORGAN = "Kultur- och fritidsnämnden"
OWN_TEXTS = ROOT / "processes" / "trygghetsfond"
YEAR2 = f"{local_today().year % 100:02d}"


def replace_fund(**values) -> SimpleNamespace:
    """A fund as a plain object (no database): the trygghetsfond's values, changed."""
    return SimpleNamespace(**{**vars(TRYGGHETSFOND), **values})


def demo_fund(session, **values) -> Fund:
    fund = session.scalars(select(Fund)).one()
    for name, value in values.items():
        setattr(fund, name, value)
    session.commit()
    return fund


def messages_to_applicant(session, kind: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


@pytest.fixture
def without_own_texts(app, engine, tmp_path, monkeypatch):
    """The same processes, but no process has texts of its own (only the BPMN and DMN files)."""
    folder = tmp_path / "processes"
    folder.mkdir()
    for path in [*Path(app.config["PROCESSES_DIR"]).glob("*.bpmn"),
                 *Path(app.config["PROCESSES_DIR"]).glob("*.dmn")]:
        shutil.copy(path, folder)
    monkeypatch.setitem(app.config, "PROCESSES_DIR", str(folder))
    monkeypatch.setitem(engine.config, "PROCESSES_DIR", str(folder))
    return folder


def test_the_trygghetsfond_has_a_text_for_every_outcome_and_case_message():
    defaults = {path.name for path in TEMPLATES.glob("*.html")} - {"base.html"}
    assert {path.name for path in (OWN_TEXTS / "letters").glob("*.html")} <= defaults
    assert {"granted.html", "partly_granted.html", "rejected.html", "dismissed.html",
            "written_off.html"} <= defaults
    own = {path.name for path in (OWN_TEXTS / "messages").glob("*.txt")}
    assert own == {path.name for path in (OWN_TEXTS / "messages" / "en").glob("*.txt")} - {
        "_footer.txt"} | {"_sidfot.txt"}
    assert own <= {path.name for path in MESSAGES_DIR.glob("*.txt")}


def test_the_defaults_name_no_fund():
    texts = [*TEMPLATES.glob("*.html"), *MESSAGES_DIR.rglob("*.txt")]
    assert len(texts) > 20
    for path in texts:
        assert "trygghetsfond" not in path.read_text(encoding="utf-8").lower(), path


def test_a_fund_with_its_own_texts_gets_its_letter_and_messages(session, engine, demo,
                                                                 letter_dir):  # noqa: F811
    demo_fund(session, name="Trygghetsfonden 2027", organ=ORGAN)
    application = decided(session, engine)
    text = pdf_text(stored_letter(session, letter_dir)[1])
    assert f"{ORGAN} beviljar" in text and "ur trygghetsfonden för" in text
    assert f"på delegation från {ORGAN}" in text  # the fund's organ, not LETTER_NAMND
    assert "Beslut om bidrag ur trygghetsfonden" in text
    receipt, *_ = messages_to_applicant(session, "kvitto")
    assert "Tack för er ansökan till Trygghetsfonden." in receipt.body
    assert "Kommunstyrelsens förvaltning, Huddinge kommun" in receipt.body  # its own footer
    decision, *_ = messages_to_applicant(session, "beslut")
    assert application.diarienummer in decision.subject
    assert "ansökan till Trygghetsfonden." in decision.body


def test_a_fund_without_texts_gets_the_neutral_defaults_naming_it(
        session, engine, demo, letter_dir, without_own_texts):  # noqa: F811
    demo_fund(session, name="Sommarlovsfonden", organ=ORGAN)
    decided(session, engine, "delvis_bifall", 60000)
    text = pdf_text(stored_letter(session, letter_dir)[1])
    assert "Beslut om bidrag ur Sommarlovsfonden" in text
    assert f"{ORGAN} beviljar" in text and "60 000 kr ur Sommarlovsfonden för" in text
    assert "ur trygghetsfonden" not in text
    receipt, *_ = messages_to_applicant(session, "kvitto")
    assert "Tack för er ansökan till Sommarlovsfonden." in receipt.body
    assert "Thank you for your application to Sommarlovsfonden." in receipt.body
    assert "Trygghetsfonden" not in receipt.subject + receipt.body
    decision, *_ = messages_to_applicant(session, "beslut")
    assert "ansökan till Sommarlovsfonden." in decision.body


def test_a_process_text_replaces_the_default_and_its_footer(tmp_path):
    own = tmp_path / "messages"
    (own / "en").mkdir(parents=True)
    (own / "kvitto.txt").write_text("Ämne: Tack, {{ diarienummer }}\nHej från {{ fund }}!\n\n"
                                    "{% include \"_sidfot.txt\" %}\n", encoding="utf-8")
    (own / "_sidfot.txt").write_text("Föreningsenheten\n", encoding="utf-8")
    subject, body = render_message("kvitto", {**CONTEXT, "messages_folder": str(own)})
    assert subject == "Tack, KS-2027/0042"
    assert body.startswith("Hej från Trygghetsfonden 2027!\n\nFöreningsenheten\n")
    # no English text of its own: the default English text, with the default footer
    assert "Thank you for your application to Trygghetsfonden 2027." in body
    assert "Kind regards" in body
    with pytest.raises(ValueError, match="okänd meddelandetyp"):
        render_message("../kvitto", {**CONTEXT, "messages_folder": str(own)})


def second_fund(session, **values) -> Fund:
    form = {"name": "Föreningsbidrag", "process_id": "trygghetsfond", "diarie_prefix": "FB",
            "organ": ORGAN, "cost_centre": "4300", "cost_centre_name": "KFN Föreningsbidrag",
            "project_pattern": "{prefix}{year2}-{seq}", "transfer_account": "7991", **values}
    fund = funds.create_fund(session, form, processes={"trygghetsfond"}, actor_id=None)
    today = local_today()
    rounds.open_round(session, fund, {
        "name": "Föreningsbidrag", "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=365)).isoformat(), "budget": "1000000",
        "max_per_application": "100000", "period_start": "2027-01-01",
        "period_end": "2027-12-31", "komplettering_days": "14"},
        criteria=[], today=today, actor_id=None)
    session.commit()
    return fund


def test_two_funds_pay_out_on_their_own_ansvar_with_codes_that_never_collide(
        session, engine, demo):
    fund = second_fund(session)
    first = decided(session, engine)
    second = decided(session, engine, round_id=fund.rounds[0].id)
    external = decided(session, engine, round_id=fund.rounds[0].id)
    external.organisation = session.scalars(
        select(Organisation).where(Organisation.name == "Huge Fastigheter AB")).one()
    session.commit()
    assert first.diarienummer.endswith("/0001") and second.diarienummer.endswith("/0001")
    ids = [payout for case in (first, second, external)
           for payout in attested(session, engine, case)]
    batch = new_batch(session, engine, ids)
    session.commit()
    storage = storage_from_config(engine.config)
    files = {file.kind: storage.get(file.storage_key) for file in batch.files}
    sie = files["sie"].decode("cp437")
    assert '#OBJEKT 1 "1100" "KS Trygghetsfond"' in sie  # the demo fund: the global settings
    assert '#OBJEKT 1 "4300" "KFN Föreningsbidrag"' in sie
    assert f'#OBJEKT 6 "TF{YEAR2}-0001"' in sie and f'#OBJEKT 6 "FB{YEAR2}-0001"' in sie
    assert f'#TRANS 7990 {{1 "1100" 6 "TF{YEAR2}-0001"}}' in sie  # FINANCE_TRANSFER_ACCOUNT
    assert f'#TRANS 7991 {{1 "4300" 6 "FB{YEAR2}-0001"}}' in sie  # the fund's own account
    assert f'"Föreningsbidrag {second.diarienummer}"' in sie
    assert "Från Föreningsbidrag" in sie and "Från Trygghetsfonden 2027" in sie
    pain = files["pain001"].decode()
    assert f"<Ustrd>Föreningsbidrag {external.diarienummer}</Ustrd>" in pain
    sheet = load_workbook(io.BytesIO(files["xlsx"])).active
    rows = [(row[6], row[11], row[12]) for row in sheet.iter_rows(min_row=3, values_only=True)
            if row[1]]  # project, fund, the fund's ansvar
    assert sorted(rows) == [(f"FB{YEAR2}-0001", "Föreningsbidrag", "4300"),
                            (f"FB{YEAR2}-0002", "Föreningsbidrag", "4300"),
                            (f"TF{YEAR2}-0001", "Trygghetsfonden 2027", "1100")]


def test_a_pattern_that_would_collide_is_refused_naming_the_field(session, demo):
    def refused(**values) -> str:
        with pytest.raises(InvalidInput) as caught:
            second_fund(session, **values)
        session.rollback()
        return " ".join(caught.value.errors["project_pattern"])

    # without a pattern of its own: the global TF{year2}-{seq}, as the demo fund's KS cases
    assert "Den gemensamma projektkoden TF{year2}-{seq}" in refused(project_pattern="")
    message = refused(project_pattern="TF{year2}-{seq}")
    assert "krockar med fonden Trygghetsfonden 2027" in message and "TF27-0001" in message
    assert "{seq}" in refused(project_pattern="FB-{seq}")  # no year: codes repeat every year
    assert "{seq}" in refused(project_pattern="FB{year2}-{nr}")
    with pytest.raises(InvalidInput) as caught:
        second_fund(session, transfer_account="79 90")
    session.rollback()
    assert "fyra siffror" in caught.value.errors["transfer_account"][0]
    # a fund code of its own, or the prefix, or the demo fund's prefix (one number sequence)
    assert second_fund(session, project_pattern="FB{year2}-{seq}").project_pattern
    assert second_fund(session, name="Tredje", diarie_prefix="KS", project_pattern="").id


def test_a_process_letter_is_used_and_can_fetch_nothing_but_letter_assets(tmp_path):
    own = tmp_path / "egen_process" / "letters"
    own.mkdir(parents=True)
    (own / "rejected.html").write_text(
        '{% extends "base.html" %}{% block decision %}<p>{{ organ }} säger nej för '
        '{{ fund }}.</p><img src="file:///etc/passwd" alt="">'
        '<img src="https://example.invalid/x.png" alt="">{% endblock %}', encoding="utf-8")
    fund = replace_fund(name="Egna fonden", process_id="egen_process", organ=ORGAN)
    config = {**DEFAULTS, "PROCESSES_DIR": str(tmp_path)}
    context = letter_context(*case("avslag", fund=fund), config, decl=DECL)
    fetcher = LetterAssetFetcher()
    text = pdf_text(render_pdf(context, fetcher))
    assert f"{ORGAN} säger nej för Egna fonden." in text
    assert "Beslut om bidrag ur Egna fonden" in text  # base.html: the default
    assert fetcher.refused == ["file:///etc/passwd", "https://example.invalid/x.png"]
    # another outcome of the same process: the neutral default, naming the fund
    context = letter_context(*case("avvisning", fund=fund), config, decl=DECL)
    assert "avvisar er ansökan om bidrag ur Egna fonden" in pdf_text(render_pdf(context))
    # a process id that cannot be a folder name never reaches the disk
    bad = replace_fund(name="Egna fonden", process_id="../egen_process", organ=ORGAN)
    assert letter_context(*case("avslag", fund=bad), config, decl=DECL)["letters_folder"] == ""


def test_a_funds_contact_replaces_the_global_one_in_its_letters():
    own = replace_fund(name="Föreningsbidrag", organ=ORGAN,
                       contact="Kultur- och fritidsförvaltningen, bidrag@kultur.example")
    text = pdf_text(render_pdf(letter_context(*case("avslag", fund=own), DEFAULTS, decl=DECL)))
    assert "bidrag@kultur.example" in text
    assert DEFAULTS["LETTER_CONTACT"].split(",")[1].strip() not in text
    text = pdf_text(render_pdf(letter_context(*case("avslag"), DEFAULTS, decl=DECL)))
    assert DEFAULTS["LETTER_CONTACT"].split(",")[1].strip() in text
