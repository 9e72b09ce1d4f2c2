"""Check an uploaded file before it is stored: size, name, and content against its extension."""

import io
import re
import unicodedata
import zipfile

import magic
from babel.numbers import format_decimal

from app.attachments.archives import ArchiveProblem, check_unpacked
from app.attachments.pdfs import active_content
from app.errors import InvalidInput

MB = 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Extension -> (the content type libmagic must find, what the user calls the type).
ALLOWED = {
    "pdf": ("application/pdf", "PDF"),
    "xlsx": (XLSX, "Excel (XLSX)"),
    "docx": (DOCX, "Word (DOCX)"),
    "jpg": ("image/jpeg", "JPEG"),
    "jpeg": ("image/jpeg", "JPEG"),
    "png": ("image/png", "PNG"),
}
# Office files are zip archives; libmagic names small ones only "zip" (or nothing). They are
# then accepted if the archive holds the part that makes them a workbook or a document.
OFFICE_PARTS = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml"}
ZIP_TYPES = {"application/zip", "application/octet-stream"}
# A zip bomb: far more data inside than the file itself. The ratio only counts when the
# content is large enough to matter (tiny XML parts compress very well).
MAX_UNPACKED = 100 * MB
MAX_RATIO = 100
RATIO_FLOOR = MB
MAX_NAME = 200
DEFAULT_NAME = "bilaga"
ALLOWED_TEXT = "PDF, Excel (XLSX), Word (DOCX), JPEG eller PNG"
# Unicode categories never kept in a file name: controls, format characters (e.g. the
# right-to-left override that hides a real extension), separators and surrogates.
DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
SPACES = re.compile(r"\s+")


def check_upload(filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """Return (safe original name, content type) of an acceptable file; raise InvalidInput
    naming the file and the problem otherwise."""
    name = safe_name(filename)
    if not data:
        raise InvalidInput(f"{name} är tom.")
    if len(data) > max_bytes:
        raise InvalidInput(f"{name} är större än {_megabytes(max_bytes)} MB.")
    extension = extension_of(name)
    if extension not in ALLOWED:
        raise InvalidInput(f"{name} har en filtyp som inte tas emot. "
                           f"Bifoga {ALLOWED_TEXT}.")
    content_type, label = ALLOWED[extension]
    detected = magic.from_buffer(data, mime=True)
    if extension in OFFICE_PARTS:
        _check_office_file(name, data, extension, detected)
    elif detected != content_type:
        raise InvalidInput(f"{name} är inte en {label}-fil fast namnet slutar på "
                           f".{extension}. Spara filen som {label} och försök igen.")
    if content_type == "application/pdf":
        _check_pdf(name, data)
    return name, content_type


def safe_name(filename: str) -> str:
    """Return a file name fit to show and to offer for download: no folders, no control or
    format characters, single spaces, at most 200 characters (the extension is kept)."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = SPACES.sub(" ", re.split(r"[/\\]", name)[-1])
    name = "".join(c for c in name if unicodedata.category(c) not in DROPPED_CATEGORIES)
    name = SPACES.sub(" ", name).strip(" .")
    if not name:
        return DEFAULT_NAME
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) < 20 and len(name) > MAX_NAME:
        return stem[:MAX_NAME - len(extension) - 1].rstrip(" .") + "." + extension
    return name[:MAX_NAME].rstrip(" .")


def extension_of(name: str) -> str:
    """Return the lower-case extension of a file name without the dot ("" if none)."""
    _stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def _check_office_file(name: str, data: bytes, extension: str, detected: str) -> None:
    content_type, label = ALLOWED[extension]
    wrong = InvalidInput(f"{name} är inte en {label}-fil fast namnet slutar på .{extension}. "
                         f"Spara filen som {label} och försök igen.")
    if detected != content_type and detected not in ZIP_TYPES:
        raise wrong
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()  # the central directory only: nothing is unpacked
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        raise InvalidInput(f"{name} är skadad och kan inte läsas. Spara filen igen som "
                           f"{label} och försök igen.") from err
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise InvalidInput(f"{name} är lösenordsskyddad. Spara filen utan lösenord och "
                           "försök igen.")
    bomb = InvalidInput(f"{name} packas upp till för mycket data (mer än "
                        f"{MAX_UNPACKED // MB} MB eller ovanligt hårt packad) och tas inte emot.")
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    if unpacked > MAX_UNPACKED or (unpacked > RATIO_FLOOR and unpacked > MAX_RATIO * packed):
        raise bomb  # what the directory claims is already too much: nothing is unpacked
    if OFFICE_PARTS[extension] not in {entry.filename for entry in entries}:
        raise wrong
    try:  # the directory may lie: unpack for real, with a cap
        check_unpacked(data, entries, MAX_UNPACKED)
    except ArchiveProblem as problem:
        if problem.kind == "bomb":
            raise bomb from problem
        if problem.kind == "nested":
            raise InvalidInput(f"{name} innehåller en annan packad fil (ett arkiv i arkivet) "
                               "och tas inte emot. Spara dokumentet utan inbäddade filer och "
                               "försök igen.") from problem
        raise InvalidInput(f"{name} är skadad eller stämmer inte med sin innehållsförteckning "
                           f"och tas inte emot. Spara filen igen som {label} och försök "
                           "igen.") from problem


def _check_pdf(name: str, data: bytes) -> None:
    found = active_content(data)
    if found:
        raise InvalidInput(f"{name} innehåller aktivt innehåll ({found}: skript eller "
                           "automatiska åtgärder) och tas inte emot. Skriv ut dokumentet som "
                           "en ny PDF eller spara det som PDF/A och försök igen.")


def _megabytes(size: int) -> str:
    return format_decimal(round(size / MB, 1), locale="sv_SE")
