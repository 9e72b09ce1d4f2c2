"""Attachments: upload checks, storage, the form field, upload with a task form, download."""

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import jinja2
import lxml.html
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

import app.attachments.models  # noqa: F401  (the table exists before the schema is made)
from app.accounts.models import User, UserRole
from app.accounts.passwords import hash_password
from app.attachments import checks
from app.attachments.checks import check_upload, safe_name
from app.attachments.models import Attachment
from app.attachments.operations import attachment_data, attachment_for, store_uploads
from app.attachments.storage import LocalFileStorage, storage_from_config
from app.audit import events_for_instance
from app.demo import DEMO_PASSWORD
from app.engine.models import HumanTask, ProcessInstance
from app.errors import InvalidInput
from app.forms import FormDefinition, check_definition, load_form
from tests.conftest import csrf_token, login
from tests.factories import (
    application_data,
    formdata,
    make_application,
    submitted_application,
    to_review,
    user,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "app" / "web" / "templates"
MB = 1024 * 1024
LIMIT = 10 * MB
TASK_URL = re.compile(r"/uppgifter/([0-9a-f-]{36})")
SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


# Tiny real files ------------------------------------------------------------------------------


def pdf_bytes(text: str = "Karta") -> bytes:
    """A minimal valid one-page PDF with a cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def png_bytes() -> bytes:
    """A 1×1 RGB PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    """The start of a JFIF JPEG (what libmagic looks at) and its end marker."""
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65)) + b"\xff\xd9")


CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
                 'ContentType="application/xml"/></Types>')


def office_bytes(part: str, *, encrypted: bool = False) -> bytes:
    """A minimal OOXML package: [Content_Types].xml, _rels/.rels and the main part; with
    `encrypted`, every entry is flagged as encrypted (bit 0 of its general purpose flags)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES),
                           ("_rels/.rels", "<Relationships/>"), (part, "<x/>")):
            # A fixed time stamp: the same bytes on every call.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2027, 1, 1, 0, 0, 0)), text,
                             compress_type=zipfile.ZIP_DEFLATED)
    data = bytearray(buffer.getvalue())
    if encrypted:  # zipfile cannot write encrypted entries: set the flag in every header
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = data.find(signature)
            while start != -1:
                data[start + offset] |= 0x1
                start = data.find(signature, start + 4)
    return bytes(data)


def xlsx_bytes() -> bytes:
    return office_bytes("xl/workbook.xml")


def docx_bytes() -> bytes:
    return office_bytes("word/document.xml")


def bomb_bytes(megabytes: int) -> bytes:
    """A .docx whose document part is `megabytes` MB of zeros, deflated to almost nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            for _ in range(megabytes):
                part.write(bytes(MB))
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


# check_upload ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "make", "content_type"), [
    ("Karta.pdf", pdf_bytes, "application/pdf"),
    ("Budget.xlsx", xlsx_bytes, checks.XLSX),
    ("Offert.docx", docx_bytes, checks.DOCX),
    ("Lägesbild.jpg", jpeg_bytes, "image/jpeg"),
    ("LÄGESBILD.JPEG", jpeg_bytes, "image/jpeg"),
    ("Tunnel.png", png_bytes, "image/png"),
])
def test_every_allowed_type_is_accepted(name, make, content_type):
    assert check_upload(name, make(), LIMIT) == (name, content_type)


@pytest.mark.parametrize(("extension", "part"), [("xlsx", "xl/workbook.xml"),
                                                 ("docx", "word/document.xml")])
def test_office_files_libmagic_calls_zip_are_accepted_by_their_main_part(
        monkeypatch, extension, part):
    monkeypatch.setattr(checks.magic, "from_buffer", lambda data, mime: "application/zip")
    assert check_upload(f"a.{extension}", office_bytes(part), LIMIT)[1] == \
        checks.ALLOWED[extension][0]
    with pytest.raises(InvalidInput, match=f"inte en .*-fil fast namnet slutar på .{extension}"):
        check_upload(f"a.{extension}", office_bytes("content.xml"), LIMIT)


@pytest.mark.parametrize(("name", "data"), [
    ("Offert.pdf", HTML),                 # HTML disguised as a PDF
    ("Karta.png", SVG),                   # SVG disguised as a PNG
    ("Karta.png", pdf_bytes()),           # a real file under the wrong extension
    ("Budget.docx", xlsx_bytes()),        # a workbook called a document
    ("Budget.xlsx", b"PK\x03\x04" + bytes(40)),
])
def test_content_that_does_not_match_the_extension_is_refused(name, data):
    with pytest.raises(InvalidInput) as caught:
        check_upload(name, data, LIMIT)
    assert caught.value.message.startswith(name)


@pytest.mark.parametrize("name", ["Karta.svg", "sida.html", "sida.htm", "program.exe",
                                  "utan-andelse", "arkiv.zip"])
def test_types_outside_the_allow_list_are_refused(name):
    with pytest.raises(InvalidInput, match="har en filtyp som inte tas emot"):
        check_upload(name, SVG if name.endswith("svg") else pdf_bytes(), LIMIT)


def test_empty_and_oversize_files_are_refused():
    with pytest.raises(InvalidInput, match=r"^Tom\.pdf är tom\.$"):
        check_upload("Tom.pdf", b"", LIMIT)
    too_big = pdf_bytes() + b"%" + bytes(LIMIT)
    with pytest.raises(InvalidInput, match=r"^Stor\.pdf är större än 10 MB\.$"):
        check_upload("Stor.pdf", too_big, LIMIT)
    assert check_upload("Lagom.pdf", pdf_bytes(), len(pdf_bytes()))[0] == "Lagom.pdf"


@pytest.mark.parametrize("megabytes", [200, 20])
def test_a_zip_bomb_is_refused_without_unpacking_it(monkeypatch, megabytes):
    bomb = bomb_bytes(megabytes)
    assert len(bomb) < MB  # 200 MB (or 20 MB: a ratio of about 1000) of zeros in the archive

    def no_reading(*args, **kwargs):
        raise AssertionError("the archive was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    with pytest.raises(InvalidInput, match="packas upp till för mycket data"):
        check_upload("Offert.docx", bomb, LIMIT)


def test_encrypted_and_broken_office_files_are_refused():
    with pytest.raises(InvalidInput, match="lösenordsskyddad"):
        check_upload("Hemlig.docx", office_bytes("word/document.xml", encrypted=True), LIMIT)
    with pytest.raises(InvalidInput, match="skadad"):
        check_upload("Trasig.xlsx", xlsx_bytes()[:-30], LIMIT)


def test_names_lose_folders_control_characters_and_extra_spaces():
    assert safe_name("C:\\Users\\sara\\Karta.pdf") == "Karta.pdf"
    assert safe_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_name("Bud\x00get\r\n 2027\t\t(slutlig).xlsx") == "Budget 2027 (slutlig).xlsx"
    assert safe_name("faktura\u202egpj.exe.pdf") == "fakturagpj.exe.pdf"  # no RTL override
    assert safe_name("La\u0308gesbild.png") == "Lägesbild.png"  # NFC, as macOS sends NFD
    assert safe_name("\x1b\x07") == "bilaga"
    long = safe_name("a" * 300 + ".docx")
    assert len(long) == 200 and long.endswith("a.docx")
    assert check_upload("Kart\x1ba\n.pdf", pdf_bytes(), LIMIT)[0] == "Karta .pdf"


# LocalFileStorage: the contract every FileStorage keeps ----------------------------------------


def test_local_file_storage_keeps_the_contract(tmp_path):
    storage = LocalFileStorage(tmp_path / "filer")
    key = "0123456789abcdef" * 2

    storage.put(key, "innehåll".encode())
    assert storage.get(key) == "innehåll".encode()
    storage.put(key, b"nytt")
    assert storage.get(key) == b"nytt"
    assert [p.name for p in (tmp_path / "filer").iterdir()] == [key]  # no temporary files
    storage.delete(key)
    storage.delete(key)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        storage.get(key)
    for bad in ["../" + key, key.upper(), "abc", key + "/x", "a" * 65, ""]:
        with pytest.raises(ValueError, match="ogiltig lagringsnyckel"):
            storage.put(bad, b"x")
        with pytest.raises(ValueError):
            storage.get(bad)
    assert list((tmp_path / "filer").iterdir()) == []


def test_a_failed_write_leaves_neither_a_temporary_nor_a_partial_file(tmp_path, monkeypatch):
    storage = LocalFileStorage(tmp_path)
    key = "ab" * 16

    def broken_replace(src, dst):
        raise OSError("disken är full")

    monkeypatch.setattr("app.attachments.storage.os.replace", broken_replace)
    with pytest.raises(OSError, match="disken är full"):
        storage.put(key, b"data")
    assert list(tmp_path.iterdir()) == []


def test_storage_from_config_uses_the_upload_dir(tmp_path):
    storage = storage_from_config({"UPLOAD_DIR": str(tmp_path)})
    storage.put("c" * 40, b"x")
    assert (tmp_path / ("c" * 40)).read_bytes() == b"x"


# The attachments field of a form ---------------------------------------------------------------

ATTACHED = [{"id": 7, "namn": "Karta.pdf", "storlek": 2048, "typ": "application/pdf"},
            {"id": 9, "namn": "<b>Budget</b>.xlsx", "storlek": 3 * MB // 2, "typ": checks.XLSX}]


@pytest.fixture(scope="module")
def ansokan() -> FormDefinition:
    return load_form(ROOT / "forms", "ansokan")


def render(form, defn) -> lxml.html.HtmlElement:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    page = env.from_string('{% from "forms/macros.html" import render_form %}'
                           "<form>{{ render_form(form, definition) }}</form>")
    return lxml.html.fromstring(page.render(form=form, definition=defn))


def test_ansokan_has_an_optional_attachments_field(ansokan):
    assert ansokan.attachment_fields() == ["bilagor"]
    assert "bilagor" not in ansokan.schema["required"]
    assert ansokan.uischema["ui:order"][-2:] == ["bilagor", "bekraftelse"]
    assert ansokan.subset(["bilagor"]).attachment_fields() == ["bilagor"]
    assert ansokan.make_form().bilagor.type == "AttachmentsField"


def test_the_field_keeps_saved_files_but_those_ticked_for_removal(ansokan):
    data = {**application_data(), "bilagor": ATTACHED}
    assert ansokan.to_data(ansokan.make_form(data=data))["bilagor"] == ATTACHED
    assert ansokan.validate_data(data) == {}

    posted = MultiDict([*formdata(application_data()), ("bilagor-id", "7"), ("bilagor-id", "9"),
                        ("bilagor-remove", "7")])
    form = ansokan.make_form(formdata=posted, data=data)
    assert ansokan.validate(form), form.errors
    assert ansokan.to_data(form)["bilagor"] == [ATTACHED[1]]

    nothing_listed = ansokan.make_form(formdata=MultiDict(formdata(application_data())),
                                       data=data)
    assert ansokan.to_data(nothing_listed)["bilagor"] == ATTACHED
    all_gone = MultiDict([("bilagor-id", "7"), ("bilagor-id", "9"), ("bilagor-remove", "7"),
                          ("bilagor-remove", "9")])
    assert "bilagor" not in ansokan.to_data(ansokan.make_form(formdata=all_gone, data=data))


def test_the_field_renders_the_files_with_links_removal_and_a_file_input(ansokan):
    html = render(ansokan.make_form(data={"bilagor": ATTACHED}), ansokan)

    links = html.xpath("//ul[@class='attachment-list']//a")
    assert [(a.get("href"), a.text_content()) for a in links] == [
        ("/bilagor/7", "Karta.pdf"), ("/bilagor/9", "<b>Budget</b>.xlsx")]  # escaped text
    items = [li.text_content() for li in html.xpath("//ul[@class='attachment-list']/li")]
    assert "(2\u00a0kB)" in items[0] and "(1,5\u00a0MB)" in items[1]
    assert [i.get("value") for i in html.xpath("//input[@name='bilagor-id']")] == ["7", "9"]
    boxes = html.xpath("//input[@type='checkbox'][@name='bilagor-remove']")
    assert [b.get("value") for b in boxes] == ["7", "9"]
    for box in boxes:
        assert "Ta bort" in html.xpath(f"//label[@for='{box.get('id')}']")[0].text_content()
    upload = html.xpath("//input[@type='file']")[0]
    assert upload.get("name") == "bilagor-upload" and upload.get("multiple") is not None
    assert upload.get("accept") == ".pdf,.xlsx,.docx,.jpg,.jpeg,.png"
    assert html.xpath(f"//label[@for='{upload.get('id')}']")[0].text_content() == "Bilagor"
    helps = " ".join(html.xpath(f"//*[@id='{i}']")[0].text_content()
                     for i in upload.get("aria-describedby").split())
    assert "PDF" in helps and "10 MB" in helps and "personuppgifter" in helps


def test_errors_on_the_field_are_shown_next_to_it_and_in_the_summary(ansokan):
    form = ansokan.make_form()
    ansokan.attach_errors(form, {"bilagor": ["Sida.pdf är inte en PDF-fil."]})
    html = render(form, ansokan)

    field = html.xpath("//div[contains(@class,'field-error')]")[0]
    assert "Fel: Sida.pdf är inte en PDF-fil." in field.xpath(".//p[@class='error']")[0].text
    assert html.xpath("//input[@type='file'][@aria-invalid='true']")
    summary = html.find_class("error-summary")[0]
    assert summary.xpath(".//a[@href='#bilagor']")


@pytest.mark.parametrize(("node", "problem"), [
    ({"type": "array", "x-bilagor": "ja", "items": {"type": "object", "properties": {
        k: {"type": "string"} for k in ("id", "namn", "storlek", "typ")}}}, "ska vara true"),
    ({"type": "array", "x-bilagor": True, "items": {"type": "object", "properties": {
        "namn": {"type": "string"}}}}, "id, namn, storlek, typ"),
    ({"type": "string", "x-bilagor": True}, "passar bara till en lista"),
])
def test_check_definition_names_a_misused_attachments_keyword(node, problem):
    defn = FormDefinition("x", {"title": "X", "type": "object", "properties": {"filer": node}})
    assert any(problem in p for p in check_definition(defn)), check_definition(defn)


def test_check_definition_accepts_attachments_only_at_the_top(ansokan):
    node = ansokan.schema["properties"]["bilagor"]
    top = FormDefinition("x", {"title": "X", "type": "object", "properties": {"filer": node}})
    nested = FormDefinition("x", {"title": "X", "type": "object", "properties": {"del": {
        "type": "object", "title": "Del", "properties": {"filer": node}}}})
    assert check_definition(top) == []
    assert check_definition(nested) == [
        "egenskapen 'del.filer': x-bilagor går bara att använda på formulärets översta nivå"]


# store_uploads and the table ------------------------------------------------------------------


def test_store_uploads_stores_all_checked_files_and_audits_them(session, engine, demo,
                                                                tmp_path):
    case = make_application(session, engine)
    storage = LocalFileStorage(tmp_path)
    sara = user(session, "sokande")

    stored = store_uploads(session, storage, instance_id=case.process_instance_id,
                           field="bilagor", files=[("Karta.pdf", pdf_bytes()),
                                                   ("Bild.png", png_bytes())],
                           user_id=sara.id, max_bytes=LIMIT)
    session.commit()

    assert [(s["namn"], s["typ"], s["storlek"]) for s in stored] == [
        ("Karta.pdf", "application/pdf", len(pdf_bytes())),
        ("Bild.png", "image/png", len(png_bytes()))]
    rows = session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [r.id for r in rows] == [s["id"] for s in stored]
    assert storage.get(rows[0].key) == pdf_bytes()
    assert re.fullmatch(r"[0-9a-f]{32}", rows[0].key)  # a generated name, not the user's
    assert rows[0].uploaded_by_id == sara.id and rows[0].uploaded_at.tzinfo is not None
    assert len(rows[0].sha256) == 64 and rows[0].removed_at is None
    summaries = [e.summary for e in events_for_instance(session, case.process_instance_id)
                 if e.action == "attachment_added"]
    assert summaries == ["Bilaga Karta.pdf bifogad", "Bilaga Bild.png bifogad"]
    assert attachment_for(session, rows[0].id) is rows[0]
    assert attachment_for(session, 999999) is None


def test_store_uploads_is_all_or_nothing(session, engine, demo, tmp_path):
    case = make_application(session, engine)

    with pytest.raises(InvalidInput) as caught:
        store_uploads(session, LocalFileStorage(tmp_path), instance_id=case.process_instance_id,
                      field="bilagor", files=[("Karta.pdf", pdf_bytes()), ("Sida.pdf", HTML),
                                              ("Ritning.svg", SVG)],
                      user_id=user(session, "sokande").id, max_bytes=LIMIT)

    problems = caught.value.errors["bilagor"]
    assert [p.split(" ")[0] for p in problems] == ["Sida.pdf", "Ritning.svg"]
    assert session.scalars(select(Attachment)).all() == []
    assert list(tmp_path.iterdir()) == []


def test_attachment_data_keeps_only_this_cases_field_and_no_removed_files(session, engine,
                                                                          demo, tmp_path):
    ours, theirs = make_application(session, engine), make_application(session, engine,
                                                                       "sokande2")
    storage = LocalFileStorage(tmp_path)

    def upload(case, username, field="bilagor"):
        return store_uploads(session, storage, instance_id=case.process_instance_id,
                             field=field, files=[("a.pdf", pdf_bytes())],
                             user_id=user(session, username).id, max_bytes=LIMIT)[0]["id"]

    mine, removed, other_field = upload(ours, "sokande"), upload(ours, "sokande"), \
        upload(ours, "sokande", "ovrigt")
    foreign = upload(theirs, "sokande2")
    session.get(Attachment, removed).removed_at = session.get(Attachment, mine).uploaded_at
    session.commit()

    kept = attachment_data(session, instance_id=ours.process_instance_id, field="bilagor",
                           ids=[foreign, removed, mine, other_field, mine, 12345])
    assert [item["id"] for item in kept] == [mine]
    assert attachment_for(session, removed) is None


# Through the web ------------------------------------------------------------------------------


@pytest.fixture
def upload_dir(app, tmp_path):
    """Uploads go to a fresh folder for this test (the storage is built per request)."""
    before = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["UPLOAD_DIR"] = before


def post(client, url, pairs, files=(), **extra):
    data = MultiDict([*pairs, ("csrf_token", csrf_token(client, url)), *extra.items()])
    for name, content, filename in files:
        data.add(name, (io.BytesIO(content), filename))
    return client.post(url, data=data, content_type="multipart/form-data")


def new_application_task(client, sessions) -> str:
    from app.grants.models import Round

    with sessions() as session:
        round_id = session.scalars(select(Round.id)).first()
    response = client.post("/ansokningar/ny", data={"round_id": round_id,
                                                    "csrf_token": csrf_token(client)})
    return TASK_URL.search(response.headers["Location"]).group(0)


def listed_ids(page: str) -> list[str]:
    return lxml.html.fromstring(page).xpath("//input[@name='bilagor-id']/@value")


def test_an_applicant_attaches_a_file_and_only_those_allowed_can_download_it(
        app, client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)

    response = post(client, task_url, [("titel", "Trygga kvällar i Vårby")],
                    files=[("bilagor-upload", pdf_bytes(), "Karta över Vårby.pdf")],
                    spara_utkast="1")
    assert response.status_code == 302
    page = client.get(task_url).get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    link = tree.xpath("//ul[@class='attachment-list']//a")[0]
    assert link.text_content() == "Karta över Vårby.pdf"
    attachment_id = int(link.get("href").rsplit("/", 1)[1])
    assert listed_ids(page) == [str(attachment_id)]
    assert 'value="Trygga kvällar i Vårby"' in page
    with sessions() as session:
        row = session.get(Attachment, attachment_id)
        assert (upload_dir / row.key).read_bytes() == pdf_bytes()
        draft = session.scalars(select(HumanTask.draft).where(HumanTask.task_name == "ansokan"))
        assert draft.one()["bilagor"][0]["namn"] == "Karta över Vårby.pdf"

    good = formdata(application_data(titel="Trygga kvällar i Vårby", **SMALL))
    response = post(client, task_url, [*good, ("bilagor-id", str(attachment_id))], slutfor="1")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with sessions() as session:
        data = session.scalars(select(ProcessInstance.data)).one()
        assert data["bilagor"] == [{"id": attachment_id, "namn": "Karta över Vårby.pdf",
                                    "storlek": len(pdf_bytes()), "typ": "application/pdf"}]

    url = f"/bilagor/{attachment_id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == pdf_bytes()
    for role, expected in [("sokande2", 404), ("bedomare", 404), ("handlaggare", 200),
                           ("beslutsfattare", 200)]:
        other = app.test_client()
        login(other, role)
        response = other.get(url)
        assert response.status_code == expected, role
    assert response.data == pdf_bytes()
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Karta%20%C3%B6ver%20V%C3%A5rby.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert app.test_client().get(url).status_code == 302  # anonymous: to the login page
    assert client.get("/bilagor/999999").status_code == 404


def test_a_refused_file_is_named_on_the_field_and_nothing_typed_is_lost(
        client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)

    response = post(client, task_url, [("titel", "Trygga kvällar i Vårby"),
                                       ("kort_beskrivning", "Kvällsaktiviteter för unga.")],
                    files=[("bilagor-upload", pdf_bytes(), "Karta.pdf"),
                           ("bilagor-upload", HTML, "Sida.pdf")], spara_utkast="1")

    assert response.status_code == 422
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    error = tree.xpath("//div[contains(@class,'field-error')][.//input[@type='file']]"
                       "//p[@class='error']")[0].text_content()
    assert "Sida.pdf är inte en PDF-fil" in error
    assert tree.xpath("//input[@name='titel']/@value") == ["Trygga kvällar i Vårby"]
    assert tree.xpath("//textarea[@name='kort_beskrivning']")[0].text_content().strip() == \
        "Kvällsaktiviteter för unga."
    assert tree.find_class("error-summary")
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []  # the good file neither
        assert session.scalars(select(HumanTask.draft)).one() is None
    assert list(upload_dir.iterdir()) == []


def test_a_file_uploaded_with_a_form_that_fails_validation_stays_attached(
        client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    incomplete = formdata(application_data(titel="", **SMALL))

    response = post(client, task_url, incomplete, slutfor="1",
                    files=[("bilagor-upload", png_bytes(), "Tunnel.png")])
    assert response.status_code == 422
    ids = listed_ids(response.get_data(as_text=True))
    assert len(ids) == 1

    good = formdata(application_data(titel="Trygga kvällar i Vårby", **SMALL))
    response = post(client, task_url, [*good, ("bilagor-id", ids[0])], slutfor="1")
    assert response.status_code == 302
    with sessions() as session:
        data = session.scalars(select(ProcessInstance.data)).one()
        assert [b["namn"] for b in data["bilagor"]] == ["Tunnel.png"]


def test_removing_a_file_and_posting_another_cases_file_id(client, demo, sessions, engine,
                                                          upload_dir):
    with sessions() as session:
        theirs = make_application(session, engine, "sokande2")
        foreign = store_uploads(session, LocalFileStorage(upload_dir),
                                instance_id=theirs.process_instance_id, field="bilagor",
                                files=[("Deras.pdf", pdf_bytes("Deras"))],
                                user_id=user(session, "sokande2").id, max_bytes=LIMIT)[0]["id"]
        session.commit()
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    post(client, task_url, [], spara_utkast="1",
         files=[("bilagor-upload", pdf_bytes(), "Karta.pdf"),
                ("bilagor-upload", png_bytes(), "Bild.png")])
    karta, bild = (int(i) for i in listed_ids(client.get(task_url).get_data(as_text=True)))

    response = post(client, task_url, [("bilagor-id", str(karta)), ("bilagor-id", str(bild)),
                                       ("bilagor-id", str(foreign)),
                                       ("bilagor-remove", str(karta))], spara_utkast="1")
    assert response.status_code == 302
    assert listed_ids(client.get(task_url).get_data(as_text=True)) == [str(bild)]
    with sessions() as session:
        draft = session.scalars(select(HumanTask.draft).where(
            HumanTask.instance_id != theirs.process_instance_id)).one()
        assert [b["id"] for b in draft["bilagor"]] == [bild]
    assert client.get(f"/bilagor/{foreign}").status_code == 404


def test_more_files_than_the_form_allows_are_refused(client, demo, sessions, upload_dir):
    login(client, "sokande")
    task_url = new_application_task(client, sessions)
    files = [("bilagor-upload", png_bytes(), f"Bild {i}.png") for i in range(11)]

    response = post(client, task_url, [], spara_utkast="1", files=files)

    assert response.status_code == 422
    assert "högst 10 filer" in response.get_data(as_text=True)
    assert list(upload_dir.iterdir()) == []


def test_a_reviewer_assigned_to_the_case_may_download_its_files(app, session, engine, demo,
                                                                upload_dir):
    case = submitted_application(session, engine)
    stored = store_uploads(session, LocalFileStorage(upload_dir),
                           instance_id=case.process_instance_id, field="bilagor",
                           files=[("Offert.docx", docx_bytes())],
                           user_id=user(session, "sokande").id, max_bytes=LIMIT)
    session.commit()
    url = f"/bilagor/{stored[0]['id']}"
    to_review(session, engine, case)
    session.add(User(username="bedomare3", display_name="Bengt Bedömare", title="Polis",
                     email="bedomare3@huddinge.example", password_hash=hash_password(DEMO_PASSWORD),
                     role_rows=[UserRole(role="bedomare")]))
    session.commit()

    for role, expected in [("bedomare", 200), ("bedomare3", 404), ("sokande2", 404)]:
        client = app.test_client()
        login(client, role)
        response = client.get(url)
        assert response.status_code == expected, role
        if expected == 200:
            assert response.data == docx_bytes()
            assert response.mimetype == checks.DOCX

    review = session.scalars(select(HumanTask).where(HumanTask.task_name == "bedomning",
                                                     HumanTask.assignee == "bedomare")).one()
    client = app.test_client()
    login(client, "bedomare")
    response = client.post(f"/uppgifter/{review.id}/jav", data={
        "skal": "Jag sitter i styrelsen.", "csrf_token": csrf_token(client, "/uppgifter")})
    assert response.status_code == 302
    assert client.get(url).status_code == 404  # jävig: no longer part of the case
