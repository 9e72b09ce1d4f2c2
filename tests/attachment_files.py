"""Tiny real files of every allowed type, for the attachment tests."""

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import app.attachments.models  # noqa: F401  (the table exists before the schema is made)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "app" / "web" / "templates"
MB = 1024 * 1024
LIMIT = 10 * MB
TASK_URL = re.compile(r"/uppgifter/([0-9a-f-]{36})")
SMALL = {"budget": [{"post": "Arvoden", "belopp": 90000}], "sokt_belopp": 90000}


# Tiny real files ------------------------------------------------------------------------------


def pdf_bytes(text: str = "Karta", catalog: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A minimal valid one-page PDF with a cross-reference table; `catalog` is added to the
    document catalog's dictionary, `extra` are more objects (numbered from 5)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream", *extra]
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


def object_stream(*objects: bytes) -> bytes:
    """A compressed object stream (/Type /ObjStm) holding the given objects (numbered 6…)."""
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (6 + i, offset) for i, offset in enumerate(offsets)) + b"\n"
    packed = zlib.compress(header + body)
    return (b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(objects), len(header), len(packed)) + packed + b"\nendstream")


def zip_bytes(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2027, 1, 1, 0, 0, 0)), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def nested_docx_bytes(inner_name: str = "word/embeddings/Bilaga.zip") -> bytes:
    """A .docx that carries another archive inside (under `inner_name`)."""
    return zip_bytes(("[Content_Types].xml", CONTENT_TYPES.encode()),
                     ("word/document.xml", b"<x/>"),
                     (inner_name, zip_bytes(("inner.txt", b"hej " * 100))))


def lying_bomb_bytes(megabytes: int) -> bytes:
    """A .docx whose document part unpacks to `megabytes` MB of zeros while its directory
    (and local header) claim 1 kB: only unpacking it for real shows what it holds."""
    data = bytearray(bomb_bytes(megabytes, zip64=False))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 17] == b"word/document.xml":
                data[start + offset:start + offset + 4] = (1024).to_bytes(4, "little")
            start = data.find(signature, start + 4)
    return bytes(data)


def xlsx_bytes() -> bytes:
    return office_bytes("xl/workbook.xml")


def docx_bytes() -> bytes:
    return office_bytes("word/document.xml")


def bomb_bytes(megabytes: int, zip64: bool = True) -> bytes:
    """A .docx whose document part is `megabytes` MB of zeros, deflated to almost nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=zip64) as part:
            for _ in range(megabytes):
                part.write(bytes(MB))
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
