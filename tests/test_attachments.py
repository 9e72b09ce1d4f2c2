"""Attachments: upload checks, storage, the form field, store_uploads."""

import io
import re
import zipfile

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

import app.attachments.models  # noqa: F401  (the table exists before the schema is made)
from app.attachments import checks
from app.attachments.checks import check_upload, safe_name
from app.attachments.models import Attachment
from app.attachments.operations import attachment_data, attachment_for, store_uploads
from app.audit import events_for_instance
from app.errors import InvalidInput
from app.forms import FormDefinition, check_definition, load_form
from app.storage import LocalFileStorage, storage_from_config
from tests.attachment_files import (
    HTML,
    LIMIT,
    MB,
    ROOT,
    SVG,
    bomb_bytes,
    docx_bytes,
    jpeg_bytes,
    lying_bomb_bytes,
    nested_docx_bytes,
    object_stream,
    office_bytes,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
)
from tests.factories import (
    application_data,
    formdata,
    make_application,
    user,
)
from tests.form_support import render

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


def test_a_zip_bomb_whose_directory_lies_is_refused_by_unpacking_with_a_cap():
    bomb = lying_bomb_bytes(120)
    assert len(bomb) < MB
    assert sum(e.file_size for e in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) < 2048

    with pytest.raises(InvalidInput, match=r"^Offert\.docx packas upp till för mycket data"):
        check_upload("Offert.docx", bomb, LIMIT)
    # Smaller than the cap, it still does not hold what its directory says.
    with pytest.raises(InvalidInput, match=r"^Liten\.docx är skadad eller stämmer inte med sin "
                                           r"innehållsförteckning"):
        check_upload("Liten.docx", lying_bomb_bytes(2), LIMIT)


@pytest.mark.parametrize("inner", ["word/embeddings/Bilaga.zip", "word/embeddings/Ark.xlsx",
                                   "word/media/image1.png"])
def test_an_archive_inside_an_office_file_is_refused(inner):
    with pytest.raises(InvalidInput, match=r"^Offert\.docx innehåller en annan packad fil"):
        check_upload("Offert.docx", nested_docx_bytes(inner), LIMIT)


@pytest.mark.parametrize(("catalog", "extra", "found"), [
    (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", (), "JavaScript"),
    (b"/OpenAction 5 0 R", (b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",), "JavaScript"),
    (b"/OpenAction << /S /Launch /F (cmd.exe) >>", (), "Launch"),
    (b"/OpenAction << /S /URI /URI (https://example.invalid/) >>", (), "OpenAction"),
    (b"/OpenAction 6 0 R", (object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"),),
     "JavaScript"),
])
def test_a_pdf_with_scripts_or_actions_on_opening_is_refused(catalog, extra, found):
    with pytest.raises(InvalidInput, match=rf"^Karta\.pdf innehåller aktivt innehåll \({found}"):
        check_upload("Karta.pdf", pdf_bytes(catalog=catalog, extra=extra), LIMIT)


def test_a_pdf_that_only_opens_at_a_page_is_accepted():
    # LibreOffice and others write an /OpenAction that is a destination, not an action.
    data = pdf_bytes(catalog=b"/OpenAction [3 0 R /XYZ null null 0]",
                     extra=(object_stream(b"<< /Title (Karta) >>"),))
    assert check_upload("Karta.pdf", data, LIMIT) == ("Karta.pdf", "application/pdf")


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

    monkeypatch.setattr("app.storage.local.os.replace", broken_replace)
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


def test_a_file_stored_in_a_rolled_back_transaction_is_deleted(app, sessions, tmp_path):
    from app.storage import LocalFileStorage, put_in_transaction

    storage = LocalFileStorage(tmp_path)
    with sessions() as session:
        kept = put_in_transaction(session, storage, b"kept")
        session.commit()
        dropped = put_in_transaction(session, storage, b"dropped")
        session.rollback()
    assert storage.get(kept) == b"kept"
    with pytest.raises(FileNotFoundError):
        storage.get(dropped)
